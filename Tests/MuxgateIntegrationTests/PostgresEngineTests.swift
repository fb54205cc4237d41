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

/// `sql: read_only` (PostgreSQL) against a real server (a throwaway cluster per test): each write
/// both layers refuse (the token-level check and PostgreSQL's parser, each on its own) changes rows, sequences, large objects, locks, settings or files, notifies or
/// sleeps when PostgreSQL runs it (in a transaction rolled back afterwards, through psycopg's simple
/// queries, which run every statement of a text); each read it passes runs without error or effect.
@Suite(
    "sql: read_only against PostgreSQL itself: refused writes have effects, passed reads none",
    .enabled(if: PostgresServer.available, "needs Debian's postgresql and psycopg (.venv-postgres)")
)
struct PostgresEngineTests {
    init() async throws {
        try await TestEnvironment.shared.preparePython()
    }

    @Test(
        "every base write or side effect has its effect in PostgreSQL, and so have its obfuscated variants; all are refused"
    )
    func writes() async throws {
        try await PostgresServer.with { pg in
            try await pg.sql(SQLCorpus.postgresSetup)
            let workspace = try SQLEngine.Workspace()
            var obfuscator = SQLObfuscator(.postgres, seed: 0x5EED_0013)
            obfuscator.catalogFunctions = SQLCorpus.postgresCatalogFunctions
            var random = SeededRandom(seed: 0x5EED_0014)
            var cases: [SQLEngine.Case] = []
            for write in SQLCorpus.postgresWrites {
                let (base, marker) = workspace.fill(write.sql, cases.count)
                cases.append(SQLEngine.Case(base, mode: .write, effect: write.effect, marker: marker))
                for _ in 0..<4 {
                    let (sql, marker) = workspace.fill(write.sql, cases.count)
                    let wrappers = SQLCorpus.postgresWrappers + (write.dml ? SQLCorpus.postgresDMLWrappers : [])
                    let wrapped = random.pick(wrappers).replacingOccurrences(
                        of: "{W}",
                        with: obfuscator.variant(of: sql)
                    )
                    cases.append(SQLEngine.Case(wrapped, mode: .write, effect: write.effect, marker: marker))
                }
            }
            let outcomes = try await SQLEngine.postgres(url: pg.url, setup: "", cases)
            for (test, outcome) in zip(cases, outcomes) {
                #expect(
                    outcome.changed,
                    "\(test.sql.debugDescription): PostgreSQL shows no effect (\(outcome.error ?? ""))"
                )
                #expect(
                    SQLReadOnly.check(test.sql, dialect: .postgres) != .readOnly,
                    "\(test.sql.debugDescription) passed the token-level check"
                )
                #expect(
                    PostgresParseCheck.refusal(test.sql, rule: SQLReadOnly.Rule(dialect: .postgres)) != nil,
                    "\(test.sql.debugDescription) passed the parse-tree check"
                )
            }
        }
    }

    @Test("reads pass and run without effect; whatever the check passes of random token soup runs without effect")
    func readsAndRandomStatements() async throws {
        try await PostgresServer.with { pg in
            try await pg.sql(SQLCorpus.postgresSetup)
            let workspace = try SQLEngine.Workspace()
            var obfuscator = SQLObfuscator(.postgres, seed: 0x5EED_0015)
            obfuscator.catalogFunctions = SQLCorpus.postgresCatalogFunctions
            let reads = SQLCorpus.postgresReads.flatMap { read in
                [read] + (0..<3).map { _ in obfuscator.variant(of: read) }
            }
            var random = SeededRandom(seed: 0x5EED_0016)
            var soup: [SQLEngine.Case] = []
            var generated = 0
            while soup.count < 120, generated < 40_000 {
                generated += 1
                let (sql, marker) = workspace.fill(SQLCorpus.randomStatement(.postgres, &random), soup.count)
                if SQLReadOnly.check(sql, dialect: .postgres) == .readOnly {
                    soup.append(SQLEngine.Case(sql, mode: .write, effect: .state, marker: marker))
                }
            }
            #expect(soup.count == 120, "only \(soup.count) of \(generated) passed")
            let cases = reads.map { SQLEngine.Case($0, mode: .read) } + soup
            let outcomes = try await SQLEngine.postgres(url: pg.url, setup: "", cases)
            for (read, outcome) in zip(reads, outcomes) {
                #expect(
                    SQLReadOnly.checkAllLayers(read, rule: SQLReadOnly.Rule(dialect: .postgres)) == .readOnly,
                    "\(read.debugDescription) was refused"
                )
                #expect(outcome.error == nil, "\(read.debugDescription): \(outcome.error ?? "")")
                #expect(!outcome.changed, "\(read.debugDescription): \(outcome.why)")
            }
            for (test, outcome) in zip(soup, outcomes.suffix(soup.count)) {
                #expect(!outcome.changed, "\(test.sql.debugDescription) passed the check but \(outcome.why)")
            }
        }
    }
}
