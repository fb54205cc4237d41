import Testing

@testable import MuxgateCore

/// `sql: read_only` with `dialect: postgres`: PostgreSQL's lexing and its writes, locks and
/// functions with effects. The integration test runs the same attacks against a real server.
@Suite("Policy sql: read_only, PostgreSQL")
struct PolicySQLPostgresTests {
    @Test(
        "read-only PostgreSQL queries pass",
        arguments: [
            "SELECT * FROM accounts",
            "SELECT id FROM accounts WHERE name = 'it''s; DELETE FROM accounts'",
            "SELECT $$ DELETE FROM accounts; $$ AS text",
            "SELECT $body$ DROP TABLE x; $inner$ $body$",
            "SELECT E'a\\'; DELETE FROM accounts; --' AS s",
            "SELECT * FROM accounts WHERE id = $1 AND note ~ $2",
            "SELECT /* outer /* nested DELETE */ still a comment */ 1",
            "SELECT a.balance::numeric(10,2), arr[1:2], ARRAY[1,2] @> ARRAY[1] FROM accounts a",
            "WITH RECURSIVE c(n) AS (VALUES (1) UNION ALL SELECT n + 1 FROM c WHERE n < 5) SELECT n FROM c",
            "TABLE accounts",
            "EXPLAIN SELECT 1",
            "EXPLAIN ANALYZE VERBOSE SELECT * FROM accounts",
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT * FROM accounts",
            "EXPLAIN (COSTS off) SELECT 1",
            "SELECT count(*), now(), pg_size_pretty(pg_relation_size('accounts')) FROM accounts",
            "SELECT CASE WHEN balance > 0 THEN 'in' ELSE 'out' END FROM accounts",
            "SELECT replace(name, 'a', 'b') FROM accounts",
            "SELECT U&'d\\0061t\\+000061', B'101', X'1F', N'x'",
            "SELECT * FROM pg_catalog.pg_tables WHERE schemaname = 'public'",
        ]
    )
    func passes(sql: String) {
        #expect(SQLReadOnly.check(sql, dialect: .postgres) == .readOnly, "\(sql)")
    }

    @Test(
        "writes, locks, functions with effects and hidden statements are refused",
        arguments: [
            ("INSERT INTO accounts VALUES (1)", "writes: INSERT"),
            ("UPDATE accounts SET balance = 0", "writes: UPDATE"),
            ("DELETE FROM accounts", "writes: DELETE"),
            ("TRUNCATE accounts", "writes: TRUNCATE"),
            ("MERGE INTO accounts a USING b ON true WHEN MATCHED THEN DELETE", "writes: MERGE"),
            ("CREATE TABLE x (a int)", "writes: CREATE"),
            ("DROP TABLE accounts", "writes: DROP"),
            ("ALTER TABLE accounts ADD COLUMN x int", "writes: ALTER"),
            ("COPY accounts TO PROGRAM 'curl evil'", "writes: COPY"),
            ("COPY (SELECT 1) TO '/tmp/x'", "writes: COPY"),
            ("GRANT ALL ON accounts TO public", "writes: GRANT"),
            ("SELECT * INTO stolen FROM accounts", "writes: INTO"),
            ("SELECT * FROM accounts FOR UPDATE", "writes: UPDATE"),
            ("SELECT * FROM accounts FOR NO KEY UPDATE", "writes: UPDATE"),
            ("SELECT * FROM accounts FOR SHARE", "writes: SHARE"),
            ("SELECT * FROM accounts FOR KEY SHARE", "writes: SHARE"),
            ("WITH gone AS (DELETE FROM accounts RETURNING *) SELECT * FROM gone", "writes: DELETE"),
            ("SELECT pg_terminate_backend(42)", "calls pg_terminate_backend()"),
            ("SELECT pg_catalog.pg_cancel_backend(42)", "calls pg_cancel_backend()"),
            ("SELECT * FROM lo_import('/etc/passwd')", "calls lo_import()"),
            ("SELECT lo_export(1, '/tmp/x')", "calls lo_export()"),
            ("SELECT set_config('search_path', 'evil', false)", "calls set_config()"),
            ("SELECT nextval('accounts_id_seq')", "calls nextval()"),
            ("SELECT pg_read_file('/etc/passwd')", "calls pg_read_file()"),
            ("SELECT pg_sleep(3600)", "calls pg_sleep()"),
            ("SELECT query_to_xml('DELETE FROM accounts RETURNING 1', true, true, '')", "calls query_to_xml()"),
            ("SELECT dblink_exec('dbname=x', 'DELETE FROM accounts')", "calls dblink_exec()"),
            ("SELECT pg_advisory_lock(1)", "calls pg_advisory_lock()"),
            (#"SELECT "pg_terminate_backend"(42)"#, "calls pg_terminate_backend()"),
            ("SELECT 1; DELETE FROM accounts", "stacked statements"),
            ("SELECT 1 /* /* */ ; DELETE FROM accounts; /* */", "a /* comment is never closed"),
            ("SELECT $$ ; $$; DELETE FROM accounts", "stacked statements"),
            ("SELECT $a$ x $b$; DELETE FROM accounts", "never closed"),
            ("SELECT `x; DELETE FROM accounts; `", "stacked statements"),
            ("SELECT [x; DELETE FROM accounts; ]", "stacked statements"),
            ("SELECT 'a\\' , ' ; DELETE FROM accounts; --'", "standard_conforming_strings"),
            ("SELECT E'\\'; DELETE FROM accounts", "never closed"),
            ("SELECT 1 -- \n; DELETE FROM accounts", "stacked statements"),
            ("SELECT $ 1", "'$'"),
            ("DO $$ BEGIN DELETE FROM accounts; END $$", "not a query"),
            ("CALL cleanup()", "not a query"),
            ("SET default_transaction_read_only = off", "not a query"),
            ("LOCK TABLE accounts", "not a query"),
            ("NOTIFY channel", "not a query"),
            ("PREPARE p AS DELETE FROM accounts", "writes: DELETE"),
            ("EXECUTE p", "not a query"),
            ("EXPLAIN ANALYZE DELETE FROM accounts", "writes: DELETE"),
            ("EXPLAIN (ANALYZE) UPDATE accounts SET balance = 0", "writes: UPDATE"),
            ("EXPLAIN (ANALYZE", "never closed"),
            ("EXPLAIN ANALYZE", "EXPLAIN needs a query"),
            ("SELECT 1\0; DELETE FROM accounts", "NUL"),
        ]
    )
    func refused(sql: String, reason: String) {
        guard case .refused(let why) = SQLReadOnly.check(sql, dialect: .postgres) else {
            Issue.record("\(sql) passed")
            return
        }
        #expect(why.contains(reason), "\(sql): \(why)")
    }

    @Test("the SQLite reading is unchanged: $x$ is a parameter there, and backticks quote")
    func sqliteUnchanged() {
        #expect(SQLReadOnly.check("SELECT `x; y`") == .readOnly)
        #expect(SQLReadOnly.check("SELECT $a$ DELETE $a$") != .readOnly)
        #expect(SQLReadOnly.check("SELECT `x; y`", dialect: .postgres) != .readOnly)
    }
    @Test("a password in a server's arguments is a secret: URL userinfo, password= keys, percent-decoded too")
    func argumentPasswords() {
        #expect(ServerConfig.passwords(in: "postgresql://app:s3cr%40t@db/app") == ["s3cr%40t", "s3cr@t"])
        #expect(ServerConfig.passwords(in: "host=db user=app password=hunter22 dbname=x") == ["hunter22"])
        #expect(
            ServerConfig.passwords(in: "postgres://db/app?user=a&password=p4ssw0rd&sslmode=require") == ["p4ssw0rd"]
        )
        #expect(ServerConfig.passwords(in: "Password='quoted one';Server=x") == ["quoted one"])
        #expect(ServerConfig.passwords(in: "https://example.com/a:b@c").isEmpty, "an @ after the path is no userinfo")
        #expect(ServerConfig.passwords(in: "--verbose").isEmpty)
    }
}
