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

/// `database:` on a SQLite `sql: read_only` rule: SQLite's own parser prepares the query against
/// the real schema with an authorizer, after the token-level check.
@Suite("Policy sql: read_only, SQLite's parser against the rule's database")
struct PolicySQLiteSchemaTests {
    let database: String

    init() throws {
        database = try TestPaths.temporaryDirectory("muxgate-schema") + "/shop.db"
        try TestEnvironment.shared.runBlocking(
            "/usr/bin/sqlite3",
            [
                database,
                """
                CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, tags TEXT);
                INSERT INTO items (name, tags) VALUES ('apple', '["fruit"]');
                CREATE VIEW v_ok AS SELECT upper(name) AS n FROM items;
                CREATE VIEW v_log AS SELECT sqlite_log(1, 'x') AS l;
                """,
            ]
        )
    }

    func failure(_ sql: String, functions: Set<String> = [], database: String? = nil) -> String? {
        let rule = SQLReadOnly.Rule(dialect: .sqlite, functions: functions, database: database ?? self.database)
        let policy = PolicyRule(tool: try! Glob("db_*"), argument: "q", check: .sqlReadOnly(rule))
        return policy.failure(in: try? JSONSlice.parse(JSONValue.object([("q", .string(sql))]).encodedString))
    }

    @Test(
        "reads that SQLite prepares against the schema pass: tables, views of safe functions, json_each, pragma tables"
    )
    func reads() {
        for sql in [
            "SELECT name FROM items", "SELECT * FROM v_ok", "SELECT key, value FROM json_each('[1]')",
            "SELECT * FROM pragma_table_info('items')", "SELECT 1; -- done",
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3) SELECT * FROM c",
        ] {
            #expect(failure(sql) == nil, "\(sql): \(failure(sql) ?? "")")
        }
    }

    @Test("a view's call of a function not on the list is refused, which the tokens alone cannot see")
    func viewCalls() throws {
        #expect(SQLReadOnly.check("SELECT * FROM v_log") == .readOnly, "the token-level check passes it")
        let why = try #require(failure("SELECT * FROM v_log"))
        #expect(why.contains("calls sqlite_log()") && why.contains("a view may call it"), "\(why)")
        #expect(failure("SELECT * FROM v_log", functions: ["sqlite_log"]) == nil, "functions: allows it")
    }

    @Test("what does not prepare, or a database that does not open, is refused")
    func failsClosed() throws {
        #expect(try #require(failure("SELECT * FROM nope")).contains("cannot prepare it against"))
        #expect(try #require(failure("SELECT 1", database: "/nonexistent/x.db")).contains("cannot open"))
        #expect(try #require(failure("SELECT load_extension('x')")).contains("calls load_extension()"))
    }
}
