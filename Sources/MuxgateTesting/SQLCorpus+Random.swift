import MuxgateAudit
import MuxgateConfig
import MuxgatePolicy
import MuxgateWire

/// Random statements for the property "whatever the check accepts, the engine runs without effect".
extension SQLCorpus {
    /// Pieces of reads, writes, literals, quotes, comments and parameters, for SQLite.
    static let sqliteFragments = [
        "*", "FROM", "items", "orders", "WHERE", "id", "=", "1", ",", "(", ")", ";", "'x'", "'a;b'", "\"items\"",
        "[items]", "`name`", "$a(')", ":a(x'y)", "@a", "#b", "?1", "--", "\n", "/*", "*/", "DELETE", "INSERT", "INTO",
        "UPDATE", "SET", "name", "count(*)", "load_extension(", "writefile(", "pragma_optimize",
        "pragma_table_info('items')", "json_each('[1]')", "UNION", "SELECT", "VALUES", "x'00'", "0x1", "1e5", "||",
        "->>", "'$.a'", "LIMIT", "ORDER BY", "GROUP BY", "WITH", "c", "AS", "replace(", "VACUUM", "ATTACH", "'MARKER'",
        "DROP", "TABLE", "CREATE", "'", "\"", "`", "[", "]", "price", "upper(", "sum(", "OVER", "PRAGMA",
        "user_version",
        "REPLACE", "RETURNING", "JOIN", "ON", "qty", "item_id", "max(", "x", ".", "main", "temp", "sqlite_master",
    ]

    /// The same for PostgreSQL.
    static let postgresFragments = [
        "*", "FROM", "accounts", "transfers", "WHERE", "id", "=", "1", ",", "(", ")", ";", "'x'", "'a;b'",
        "\"accounts\"", "$$", "$x$", "E'\\''", "'\\'", "-- x\r", "--", "\n", "/*", "*/", "DELETE", "INSERT", "INTO",
        "UPDATE", "SET", "name", "count(*)", "nextval(", "U&\"\\006Eextval\"(", "'accounts_id_seq'", "pg_catalog.",
        "lower(", "::text", "@>", "->>", "'{}'", "meta", "balance", "FOR", "SHARE", "UNION", "SELECT", "VALUES",
        "TABLE", "WITH", "c", "AS", "lo_import(", "query_to_xml(", "pg_sleep(", "set_config(", "pg_notify(", "COPY",
        "TO", "PROGRAM", "'MARKER'", "DROP", "CREATE", "EXPLAIN", "ANALYZE", "RETURNING", "U&'\\0061'", "UESCAPE",
        "'!'", "\"", "'", "B'1'", "X'1F'", "0x1F", "1_000", "$1", "ARRAY[1]", "[1]", "OPERATOR(", "+++", "~~",
        "jsonb_build_object(", "generate_series(1,2)", "DO", "CALL", "bump()", "LOCK", "NOTIFY", "probe",
    ]

    /// A random statement starting `SELECT` (or sometimes another start) from the dialect's fragments.
    package static func randomStatement(_ dialect: SQLObfuscator.Dialect, _ random: inout SeededRandom) -> String {
        let fragments = dialect == .sqlite ? sqliteFragments : postgresFragments
        var sql = random.chance(0.85) ? "SELECT " : random.pick(["WITH c AS (SELECT 1) ", "VALUES (", "EXPLAIN "])
        for _ in 0..<(2 + Int(random.next() % 10)) {
            sql += random.pick(fragments) + random.pick([" ", " ", "", "\n"])
        }
        return sql
    }
}
