import Foundation
import MuxgateTesting
import Testing

@testable import MuxgateAudit
@testable import MuxgateCLI
@testable import MuxgateChildren
@testable import MuxgateCommands
@testable import MuxgateConfig
@testable import MuxgatePolicy
@testable import MuxgateRemote
@testable import MuxgateRouting
@testable import MuxgateTeam
@testable import MuxgateTelemetry
@testable import MuxgateWire

/// The generated corpus, judged by the check alone: every obfuscated write refused, every obfuscated
/// read passed. `MuxgateIntegrationTests.SQLEngineTests` runs the same corpus on the real engines.
@Suite("Policy sql: read_only, generated corpus")
struct PolicySQLCorpusTests {
    /// Variants per base write and wrapper, and per read.
    static let writeVariants = 4
    static let readVariants = 25

    static func writes(_ dialect: SQLObfuscator.Dialect, seed: UInt64) -> [String] {
        var obfuscator = SQLObfuscator(dialect, seed: seed)
        obfuscator.catalogFunctions = SQLCorpus.postgresCatalogFunctions
        let bases = dialect == .sqlite ? SQLCorpus.sqliteWrites : SQLCorpus.postgresWrites
        var statements: [String] = []
        for write in bases {
            let sql = write.sql.replacingOccurrences(of: "MARKER", with: "/tmp/muxgate-marker")
                .replacingOccurrences(of: "SECRET", with: "/etc/hostname")
            let wrappers =
                dialect == .sqlite
                ? SQLCorpus.sqliteWrappers
                : SQLCorpus.postgresWrappers + (write.dml ? SQLCorpus.postgresDMLWrappers : [])
            for wrapper in wrappers {
                for _ in 0..<writeVariants {
                    statements.append(wrapper.replacingOccurrences(of: "{W}", with: obfuscator.variant(of: sql)))
                }
            }
        }
        return statements
    }

    @Test(
        "every generated write or side effect is refused, however it is quoted, cased, commented or wrapped",
        arguments: [(SQLObfuscator.Dialect.sqlite, SQLDialect.sqlite), (.postgres, .postgres)]
    )
    func writesRefused(corpus: SQLObfuscator.Dialect, dialect: SQLDialect) {
        let statements = Self.writes(corpus, seed: 0x5EED_0001)
        #expect(statements.count > 1500)
        let passed = statements.filter { SQLReadOnly.check($0, dialect: dialect) == .readOnly }
        #expect(passed.isEmpty, "\(passed.count) of \(statements.count) passed, e.g. \(passed.prefix(5))")
    }

    @Test("PostgreSQL's parser layer alone refuses every generated write too: two independent readings agree")
    func writesRefusedByTheParser() {
        let statements = Self.writes(.postgres, seed: 0x5EED_0001)
        let rule = SQLReadOnly.Rule(dialect: .postgres)
        let passed = statements.filter { PostgresParseCheck.refusal($0, rule: rule) == nil }
        #expect(passed.isEmpty, "\(passed.count) of \(statements.count) passed, e.g. \(passed.prefix(5))")
    }

    @Test(
        "every read of the corpus passes, also obfuscated",
        arguments: [(SQLObfuscator.Dialect.sqlite, SQLDialect.sqlite), (.postgres, .postgres)]
    )
    func readsPass(corpus: SQLObfuscator.Dialect, dialect: SQLDialect) {
        var obfuscator = SQLObfuscator(corpus, seed: 0x5EED_0002)
        obfuscator.catalogFunctions = SQLCorpus.postgresCatalogFunctions
        let reads = corpus == .sqlite ? SQLCorpus.sqliteReads : SQLCorpus.postgresReads
        for read in reads {
            let rule = SQLReadOnly.Rule(dialect: dialect)
            #expect(SQLReadOnly.checkAllLayers(read, rule: rule) == .readOnly, "\(read)")
            for _ in 0..<Self.readVariants {
                let variant = obfuscator.variant(of: read)
                let verdict = SQLReadOnly.checkAllLayers(variant, rule: rule)
                #expect(verdict == .readOnly, "\(variant.debugDescription): \(verdict)")
            }
        }
    }
}
