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
            "SELECT $$ DELETE FROM accounts; $$ AS text, t.name, t.value, t.type, t.key FROM t",
            "SELECT CASE WHEN balance > 0 THEN 'in' ELSE 'out' END FROM accounts",
            "SELECT replace(name, 'a', 'b') FROM accounts",
            "SELECT U&'d\\0061t\\+000061', B'101', X'1F', N'x'",
            "SELECT * FROM pg_catalog.pg_tables WHERE schemaname = 'public'",
            "SELECT pg_catalog.lower(name), \"lower\"(name), U&\"\\006Cower\"(name) FROM accounts",
            "SELECT 'a'\n'b', E'x'\n'\\' ; DELETE FROM accounts; --'",
            "SELECT 1 -- a comment\n",
            "SELECT * FROM generate_series(1, 3) AS g(n), generate_series(1, 2) h(m)",
            "SELECT x::timestamp with time zone, CAST(y AS character varying(3)), z::numeric(10,2) FROM t",
            "SELECT a FROM t GROUP BY ROLLUP (a, b), CUBE (c), GROUPING SETS ((a), ())",
            "SELECT x FROM t ORDER BY x FETCH FIRST (5) ROWS ONLY",
            "SELECT * FROM t TABLESAMPLE SYSTEM (10) REPEATABLE (42)",
            "SELECT count(*) FILTER (WHERE a) OVER (PARTITION BY b), percentile_cont(0.5) WITHIN GROUP (ORDER BY c) FROM t",
            "SELECT EXTRACT(YEAR FROM now()), POSITION('a' IN 'abc'), SUBSTRING('abc' FROM 1 FOR 2), TRIM(BOTH ' ' FROM x)",
            "SELECT name NOT LIKE ('b'), name ILIKE 'a%', (a, b) OVERLAPS (c, d) FROM t",
            "SELECT 1 +++ 2, a !=b, c @> d, e ->> 'k', f #>> '{a}', g ?| ARRAY['x'], h -|- i",
            "SELECT 1_000, 0x1F, 0o17, 0b101, 1e5, .5, 1.",
            "SELECT currval('accounts_id_seq'), random(), clock_timestamp(), gen_random_uuid()",
            "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3) CYCLE n SET c USING p SELECT * FROM t",
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
            ("SELECT pg_catalog.pg_cancel_backend(42)", "calls pg_catalog.pg_cancel_backend()"),
            ("SELECT * FROM lo_import('/etc/passwd')", "calls lo_import()"),
            ("SELECT lo_export(1, '/tmp/x')", "calls lo_export()"),
            ("SELECT set_config('search_path', 'evil', false)", "calls set_config()"),
            ("SELECT nextval('accounts_id_seq')", "calls nextval(), which has effects: it advances a sequence"),
            ("SELECT NEXTVAL('accounts_id_seq')", "calls nextval()"),
            (#"SELECT "nextval"('s')"#, "calls nextval()"),
            (#"SELECT U&"\006Eextval"('s')"#, "calls nextval()"),
            (#"SELECT U&"\+00006E\+000065xtval"('s')"#, "calls nextval()"),
            (#"SELECT U&"!006Eextval" UESCAPE '!' ('s')"#, "calls nextval()"),
            ("SELECT U&\"!006E!0065xtval\" /* c */ uescape -- c\n '!' ('s')", "calls nextval()"),
            (#"SELECT "pg_catalog"."nextval"('s')"#, "calls pg_catalog.nextval()"),
            ("SELECT PG_CATALOG . NEXTVAL /* c */ ('s')", "calls pg_catalog.nextval()"),
            (#"SELECT "NEXTVAL"('s')"#, #"calls "NEXTVAL"()"#),
            ("SELECT public.nextval('s')", "calls public.nextval(), which has effects"),
            ("SELECT reporting.monthly()", "a function of schema reporting: only pg_catalog's functions are known"),
            ("SELECT my_report()", "add 'my_report' to the rule's functions:"),
            ("SELECT setval('s', 1)", "calls setval()"),
            ("SELECT pg_read_file('/etc/passwd')", "calls pg_read_file()"),
            ("SELECT pg_sleep(3600)", "calls pg_sleep()"),
            ("SELECT pg_notify('c', 'x')", "calls pg_notify()"),
            ("SELECT txid_current()", "calls txid_current()"),
            ("SELECT query_to_xml('DELETE FROM accounts RETURNING 1', true, true, '')", "calls query_to_xml()"),
            ("SELECT table_to_xml('accounts', true, true, '')", "calls table_to_xml()"),
            ("SELECT ts_stat('SELECT 1')", "calls ts_stat()"),
            ("SELECT dblink_exec('dbname=x', 'DELETE FROM accounts')", "calls dblink_exec()"),
            ("SELECT pg_advisory_lock(1)", "calls pg_advisory_lock()"),
            ("SELECT pg_try_advisory_xact_lock(1)", "calls pg_try_advisory_xact_lock()"),
            (#"SELECT "pg_terminate_backend"(42)"#, "calls pg_terminate_backend()"),
            ("SELECT * FROM t TABLESAMPLE evil_method (10)", "calls evil_method()"),
            ("SELECT rollup(1)", "calls rollup()"),
            ("SELECT a FROM t GROUP BY (rollup(x))", "calls rollup()"),
            ("SELECT NOT ilike('a', 'b')", "calls ilike()"),
            ("SELECT NOT materialized(1)", "calls materialized()"),
            ("SELECT system(1)", "calls system()"),
            ("SELECT 1 FROM t JOIN x ON like(1, 2) IS NOT NULL AND NOT similar(1)", "calls similar()"),
            ("SELECT (SELECT 1 GROUP BY a), rollup(x)", "calls rollup()"),
            ("SELECT x::timestamp with time zone, nextval('s') FROM t", "calls nextval()"),
            ("SELECT 1 OPERATOR(pg_catalog.+) 2", "OPERATOR is not a keyword a read needs"),
            ("SELECT a <<->> b", "uses the operator <<->>, which is not a built-in PostgreSQL operator"),
            ("SELECT 1; DELETE FROM accounts", "stacked statements"),
            ("SELECT 1 -- x\r; DELETE FROM accounts", "stacked statements"),
            ("SELECT 'x'\n'\\' ; DELETE FROM accounts; --'", "standard_conforming_strings"),
            ("SELECT 1 /* /* */ ; DELETE FROM accounts; /* */", "a /* comment is never closed"),
            ("SELECT $$ ; $$; DELETE FROM accounts", "stacked statements"),
            ("SELECT $a$ x $b$; DELETE FROM accounts", "never closed"),
            ("SELECT `x; DELETE FROM accounts; `", "stacked statements"),
            ("SELECT [x; DELETE FROM accounts; ]", "stacked statements"),
            ("SELECT 'a\\' , ' ; DELETE FROM accounts; --'", "standard_conforming_strings"),
            ("SELECT E'\\'; DELETE FROM accounts", "never closed"),
            ("SELECT 1 -- \n; DELETE FROM accounts", "stacked statements"),
            ("SELECT $ 1", "'$'"),
            ("SELECT $1abc", "a parameter runs into an identifier"),
            ("SELECT 1abc", "trailing junk after a numeric literal"),
            ("SELECT 0x", "no digits after its prefix"),
            ("SELECT 1e+", "an exponent has no digits"),
            ("SELECT \"\"", "a zero-length quoted identifier"),
            ("SELECT U&'\\D83D'", "an invalid Unicode escape"),
            ("SELECT U&'\\0000'", "an invalid Unicode escape"),
            ("SELECT U&'x' UESCAPE '+'", "an invalid Unicode escape character"),
            ("SELECT U&'x' UESCAPE 1", "UESCAPE must be followed by a simple string literal"),
            ("SELECT {1}", "PostgreSQL has no token that starts with this character"),
            ("DO $$ BEGIN DELETE FROM accounts; END $$", "not a query"),
            ("CALL cleanup()", "not a query"),
            ("SET default_transaction_read_only = off", "not a query"),
            ("LOCK TABLE accounts", "not a query"),
            ("NOTIFY channel", "not a query"),
            ("PREPARE p AS DELETE FROM accounts", "not a query"),
            ("EXECUTE p", "not a query"),
            ("EXPLAIN ANALYZE DELETE FROM accounts", "writes: DELETE"),
            ("EXPLAIN (ANALYZE) UPDATE accounts SET balance = 0", "writes: UPDATE"),
            ("EXPLAIN (ANALYZE", "never closed"),
            ("EXPLAIN ANALYZE", "EXPLAIN needs a query"),
            ("SELECT 1\0; DELETE FROM accounts", "NUL"),
            (
                "SELECT t.type, t.owner FROM t",
                "OWNER is not a keyword a read needs; if it is a column or table, quote it"
            ),
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
    @Test("PostgreSQL's tokens: operators, strings, identifiers and comments as scan.l reads them")
    func tokens() throws {
        func texts(_ sql: String) throws -> [String] {
            try SQLTokenizer.tokenize(sql, dialect: .postgres).get().map(\.text)
        }
        // The longest operator, cut before a comment, a trailing sign dropped unless ~!@#^&|`?% is in it.
        #expect(
            try texts("SELECT 1 +- 2, 3 @- 4, c */* x */ d")
                == ["SELECT", "1", "+", "-", "2", ",", "3", "@-", "4", ",", "c", "*", "d"]
        )
        #expect(
            try texts("SELECT a::text, b := 1, f(x => 2), a != b, c..d") == [
                "SELECT", "a", "::", "text", ",", "b", ":=", "1", ",", "f", "(", "x", "=>", "2", ")", ",", "a", "<>",
                "b", ",", "c", "..", "d",
            ]
        )
        // $ inside identifiers; dollar quotes; parameters.
        #expect(try texts("SELECT a$$b$$, $q$x$q$, $1") == ["SELECT", "a$$b$$", ",", "x", ",", "$1"])
        // Strings: E escapes, doubling, continuation over a newline (with a comment), U& decoded.
        #expect(
            try texts("SELECT E'a\\'b', 'c''d', 'e' -- x\n 'f', U&'\\0067'") == [
                "SELECT", "a'b", ",", "c'd", ",", "ef", ",", "g",
            ]
        )
        #expect(try texts("SELECT U&\"d!0061t!+000061\" UESCAPE '!'") == ["SELECT", "data"])
        // -- ends at \r; block comments nest.
        #expect(try texts("SELECT 1 -- c\r2 /* a /* b */ c */ 3") == ["SELECT", "1", "2", "3"])
        #expect(try texts("SELECT B'10', X'1f', N'n'") == ["SELECT", "10", ",", "1f", ",", "n"])
    }

    @Test(
        "PostgreSQL's own parser (libpg_query) refuses on its own what is no read, named as the parser resolves it",
        arguments: [
            ("SELECT 1; DELETE FROM accounts", "reads 2 statements"),
            ("DELETE FROM accounts", "reads a DELETE (writes: DELETE)"),
            ("SELECT * INTO x FROM accounts", "SELECT … INTO creates a table"),
            ("SELECT * FROM accounts FOR KEY SHARE", "FOR UPDATE / FOR SHARE locks rows"),
            ("WITH d AS (DELETE FROM accounts RETURNING 1) SELECT * FROM d", "a DELETE (writes: DELETE)"),
            ("EXPLAIN ANALYZE UPDATE accounts SET balance = 0", "an UPDATE"),
            (#"SELECT U&"!006E!0065xtval" UESCAPE '!' ('s')"#, "calls nextval()"),
            ("SELECT NOT ilike('a', 'b')", "calls ilike()"),
            ("SELECT a FROM t GROUP BY (rollup(x))", "calls rollup()"),
            ("SELECT 1 OPERATOR(public.+) 2", "OPERATOR(public.+)"),
            ("SELECT 1 OPERATOR(pg_catalog.+) 2", nil),
            ("SELECT a <<->> b FROM t", "uses the operator <<->>"),
            ("SELECT * FROM t TABLESAMPLE evil (1)", "TABLESAMPLE evil is no built-in sampling method"),
            ("SELECT 1 +", "cannot parse it: syntax error at end of input"),
            ("SELECT EXTRACT(YEAR FROM now()), x AT TIME ZONE 'UTC', POSITION('a' IN b), a LIKE b ESCAPE '!'", nil),
            ("SELECT t.owner, t.key FROM t", nil),
            // libpg_query 15 alone rejects a comment around UESCAPE or inside WITH ORDINALITY, which PostgreSQL
            // accepts: the comments are blanked first (as PostgreSQL reads them, they are whitespace).
            ("SELECT U&'d!0061t' /* c */ UESCAPE -- c\n '!'", nil),
            ("SELECT * FROM unnest(ARRAY[1]) WITH /* c */ ORDINALITY", nil),
            ("SELECT 1 /* c */ NOT -- c\n LIKE 'a'", nil),
        ] as [(String, String?)]
    )
    func parserLayer(sql: String, reason: String?) {
        let why = PostgresParseCheck.refusal(sql, rule: SQLReadOnly.Rule(dialect: .postgres))
        if let reason {
            #expect(why?.contains(reason) == true, "\(sql): \(why ?? "passed")")
        } else {
            #expect(why == nil, "\(sql): \(why ?? "")")
        }
    }

    @Test("PostgreSQL's parser layer gives the same answers from many threads at once (libpg_query is thread-safe)")
    func parserConcurrently() async {
        let rule = SQLReadOnly.Rule(dialect: .postgres)
        let cases = [("SELECT lower(name) FROM accounts", true), ("SELECT nextval('s')", false)]
        let answers = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<400 {
                let (sql, reads) = cases[index % 2]
                group.addTask { (PostgresParseCheck.refusal(sql, rule: rule) == nil) == reads }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(answers.count == 400 && answers.allSatisfy { $0 })
    }

    @Test("a rule's functions:, keywords: and operators: extend the PostgreSQL lists")
    func ruleExtensions() {
        let rule = SQLReadOnly.Rule(
            dialect: .postgres,
            functions: ["my_report", "reporting.monthly", "MixedCase"],
            keywords: ["OWNER"],
            operators: ["<<->>"]
        )
        #expect(
            SQLReadOnly.check("SELECT my_report(), MY_REPORT(), reporting.monthly(), \"MixedCase\"()", rule: rule)
                == .readOnly
        )
        #expect(
            SQLReadOnly.check("SELECT public.my_report()", rule: rule) != .readOnly,
            "a qualified call needs the qualified entry"
        )
        #expect(SQLReadOnly.check("SELECT MixedCase()", rule: rule) != .readOnly, "unquoted, it folds to mixedcase")
        #expect(SQLReadOnly.check("SELECT t.owner, a <<->> b FROM t", rule: rule) == .readOnly)
        #expect(SQLReadOnly.isWritingKeyword("share", .postgres))
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
