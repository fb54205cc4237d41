import Foundation
import MuxgateAudit
import MuxgateConfig
import MuxgatePolicy
import MuxgateWire

/// Runs SQL statements on a real engine — Python's `sqlite3` (what `mcp-server-sqlite` runs), the
/// `sqlite3` shell, or PostgreSQL through psycopg — and reports what each did
/// (`Tests/e2e/sql_effects.py`). Each statement gets a fresh database copy or a transaction rolled
/// back afterwards, so one case never sees another's changes.
package enum SQLEngine {
    /// How a case runs.
    package enum Mode: String, Encodable, Sendable {
        /// Every statement in the text, as the shell and psycopg's simple queries run them.
        case write
        /// The `sqlite3` shell (for its `readfile`, `writefile`, `edit`).
        case cli
        /// One statement, the way a client runs a query (SQLite: `execute`, which refuses a second).
        case read
    }

    package struct Case: Encodable, Sendable {
        package let sql: String
        package let mode: Mode
        package let effect: SQLCorpus.Effect
        /// The file the statement must not create (its `MARKER`), when the test chose it.
        package let marker: String?

        package init(_ sql: String, mode: Mode, effect: SQLCorpus.Effect = .state, marker: String? = nil) {
            self.sql = sql
            self.mode = mode
            self.effect = effect
            self.marker = marker
        }
    }

    /// A directory any user may write in (the PostgreSQL server runs as `postgres`) with the secret
    /// file `SECRET` names; `MARKER`s go in it.
    package struct Workspace: Sendable {
        package let directory: String
        package let secret: String

        package init() throws {
            directory = try TestPaths.temporaryDirectory("muxgate-sqlfx")
            try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory)
            secret = directory + "/secret.txt"
            try SQLEngine.secretText.write(toFile: secret, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: secret)
        }

        /// `sql` with its placeholders filled for case `index`, and that case's marker path.
        package func fill(_ sql: String, _ index: Int) -> (sql: String, marker: String) {
            let marker = directory + "/marker-\(index)"
            return (
                sql.replacingOccurrences(of: "MARKER", with: marker).replacingOccurrences(of: "SECRET", with: secret),
                marker
            )
        }
    }

    /// What the secret file holds (`sql_effects.py` looks for it in what a statement returned).
    package static let secretText = "muxgate-secret-7f3a"

    /// What one case did.
    package struct Outcome: Decodable, Sendable {
        /// Whether the engine shows an effect (of the case's kind).
        package let changed: Bool
        /// The engine's error, if it refused (part of) the text.
        package let error: String?
        /// What changed.
        package let why: String
    }

    private struct Spec: Encodable {
        let setup: String
        let url: String?
        let cases: [Case]
    }

    /// Where psycopg is installed (`scripts/setup-venv.sh` builds `.venv-postgres`).
    package static var postgresPython: String { TestPaths.root + "/.venv-postgres/bin/python" }

    /// Runs `cases` on SQLite databases made by `setup`.
    package static func sqlite(setup: String, _ cases: [Case]) async throws -> [Outcome] {
        try await run("sqlite", python: TestPaths.python, Spec(setup: setup, url: nil, cases: cases))
    }

    /// Runs `cases` on the PostgreSQL database at `url`, after running `setup` there once.
    package static func postgres(url: String, setup: String, _ cases: [Case]) async throws -> [Outcome] {
        try await run("postgres", python: postgresPython, Spec(setup: setup, url: url, cases: cases))
    }

    private static func run(_ engine: String, python: String, _ spec: Spec) async throws -> [Outcome] {
        let directory = try TestPaths.temporaryDirectory("muxgate-sqlfx")
        let path = directory + "/cases.json"
        try JSONEncoder().encode(spec).write(to: URL(fileURLWithPath: path))
        let output = try await TestEnvironment.shared.run(
            python,
            [TestPaths.root + "/Tests/e2e/sql_effects.py", engine, path]
        )
        try? FileManager.default.removeItem(atPath: directory)
        let outcomes = try JSONDecoder().decode([Outcome].self, from: Data(output.utf8))
        guard outcomes.count == spec.cases.count else {
            throw TestEnvironment.SetupError(
                description: "sql_effects.py answered \(outcomes.count) of \(spec.cases.count)"
            )
        }
        return outcomes
    }
}
