import Foundation
import MuxgateAudit
import MuxgateCLI
import MuxgateChildren
import MuxgateCommands
import MuxgateConfig
import MuxgatePolicy
import MuxgateRemote
import MuxgateRouting
import MuxgateTeam
import MuxgateTelemetry
import MuxgateTesting
import MuxgateWire
import Testing

/// `sql: read_only` (SQLite) against the real engine: Python's `sqlite3` — what `mcp-server-sqlite`
/// runs — and the `sqlite3` shell. What makes the corpus honest: each write the check refuses does
/// change something when SQLite runs it, each read it passes runs and changes nothing, and whatever
/// it passes of random token soup changes nothing either.
@Suite("sql: read_only against SQLite itself: refused writes have effects, passed reads none")
struct SQLiteEngineTests {
    init() async throws {
        try await TestEnvironment.shared.preparePython()
    }

    static func mode(_ write: SQLCorpus.Write) -> SQLEngine.Mode { write.runner == .cli ? .cli : .write }

    @Test("every base write or side effect has its effect when SQLite runs it, and the check refuses it")
    func baseWrites() async throws {
        let workspace = try SQLEngine.Workspace()
        let cases = SQLCorpus.sqliteWrites.enumerated().map { index, write in
            let (sql, marker) = workspace.fill(write.sql, index)
            return SQLEngine.Case(sql, mode: Self.mode(write), effect: write.effect, marker: marker)
        }
        let outcomes = try await SQLEngine.sqlite(setup: SQLCorpus.sqliteSetup, cases)
        for (test, outcome) in zip(cases, outcomes) {
            #expect(outcome.changed, "\(test.sql): SQLite shows no effect (\(outcome.error ?? "no error"))")
            #expect(SQLReadOnly.check(test.sql) != .readOnly, "\(test.sql) passed the check")
        }
    }

    @Test(
        "obfuscated and wrapped writes keep their effect in SQLite — $a('), :a('), comments, quoting — and are refused"
    )
    func obfuscatedWrites() async throws {
        let workspace = try SQLEngine.Workspace()
        var obfuscator = SQLObfuscator(.sqlite, seed: 0x5EED_0003)
        var random = SeededRandom(seed: 0x5EED_0004)
        var cases: [SQLEngine.Case] = []
        for write in SQLCorpus.sqliteWrites where write.effect != .runs && write.effect != .attempt {
            for _ in 0..<6 {
                let (sql, marker) = workspace.fill(write.sql, cases.count)
                let wrapped = random.pick(SQLCorpus.sqliteWrappers).replacingOccurrences(
                    of: "{W}",
                    with: obfuscator.variant(of: sql)
                )
                cases.append(SQLEngine.Case(wrapped, mode: Self.mode(write), effect: write.effect, marker: marker))
            }
        }
        let outcomes = try await SQLEngine.sqlite(setup: SQLCorpus.sqliteSetup, cases)
        for (test, outcome) in zip(cases, outcomes) {
            #expect(outcome.changed, "\(test.sql.debugDescription): SQLite shows no effect (\(outcome.error ?? ""))")
            #expect(SQLReadOnly.check(test.sql) != .readOnly, "\(test.sql.debugDescription) passed the check")
        }
    }

    @Test("every read of the corpus, obfuscated too, passes the check and runs in SQLite without error or effect")
    func reads() async throws {
        var obfuscator = SQLObfuscator(.sqlite, seed: 0x5EED_0005)
        let reads = SQLCorpus.sqliteReads.flatMap { read in [read] + (0..<4).map { _ in obfuscator.variant(of: read) } }
        let outcomes = try await SQLEngine.sqlite(
            setup: SQLCorpus.sqliteSetup,
            reads.map { SQLEngine.Case($0, mode: .read) }
        )
        for (read, outcome) in zip(reads, outcomes) {
            #expect(SQLReadOnly.check(read) == .readOnly, "\(read.debugDescription) was refused")
            #expect(outcome.error == nil, "\(read.debugDescription): \(outcome.error ?? "")")
            #expect(!outcome.changed, "\(read.debugDescription): \(outcome.why)")
        }
    }

    @Test(
        "whatever the check passes of random token soup, SQLite runs without effect (all statements, as the shell does)"
    )
    func randomStatements() async throws {
        let workspace = try SQLEngine.Workspace()
        var random = SeededRandom(seed: 0x5EED_0006)
        var accepted: [SQLEngine.Case] = []
        var generated = 0
        while accepted.count < 150, generated < 20_000 {
            generated += 1
            let (sql, marker) = workspace.fill(SQLCorpus.randomStatement(.sqlite, &random), accepted.count)
            if SQLReadOnly.check(sql) == .readOnly {
                accepted.append(SQLEngine.Case(sql, mode: .write, effect: .state, marker: marker))
            }
        }
        #expect(accepted.count == 150, "only \(accepted.count) of \(generated) passed")
        let outcomes = try await SQLEngine.sqlite(setup: SQLCorpus.sqliteSetup, accepted)
        for (test, outcome) in zip(accepted, outcomes) {
            #expect(!outcome.changed, "\(test.sql.debugDescription) passed the check but \(outcome.why)")
        }
    }
}
