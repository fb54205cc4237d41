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

@Suite("Policy sql: read_only")
struct PolicySQLReadOnlyTests {
    @Test(
        "read-only queries pass",
        arguments: [
            "SELECT * FROM users",
            "select id, name from users where id = 1",
            "select * from t where name = 'DROP TABLE x'",
            "select * from t where note = 'it''s; DELETE FROM t'",
            #"select "delete" from t"#,
            "select `update`, [insert] from t",
            "SELECT 1;",
            "SELECT 1;  ;  -- done\n",
            "  -- a query\nSELECT 1 /* the answer */",
            "WITH a AS (SELECT 1 AS x) SELECT x FROM a",
            "WITH RECURSIVE c(n) AS (VALUES(1) UNION ALL SELECT n + 1 FROM c WHERE n < 5) SELECT n FROM c",
            "VALUES (1, 'a'), (2, 'b')",
            "EXPLAIN QUERY PLAN SELECT * FROM t",
            "EXPLAIN SELECT 1",
            "SELECT replace(name, 'a', 'b') FROM t",
            "SELECT x'DEADBEEF', X'00'",
            "SELECT * FROM t WHERE id = ? AND name = :name AND v = @v AND w = $w AND z = ?2",
            "SELECT * FROM pragma_table_info('users')",
            "SELECT count(*) FROM t WHERE a IN (SELECT a FROM u) ORDER BY 1 LIMIT 10",
            "SELECT 1.5e10, .5, 0x1F, 1_000",
            "SELECT 'unicode ünïcødé', \"naïve\" FROM t",
            // SQLite reads an unterminated /* comment to the end of the text: one harmless statement.
            "SELECT 1 /* open ; DELETE FROM t",
            // UPSERT is no SQLite keyword: an alias.
            "SELECT 1 UNION SELECT 2 UPSERT",
            "SELECT count(*) OVER (PARTITION BY a ORDER BY b ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM t",
            "SELECT sum(x) FILTER (WHERE x > 1) FROM t",
            "SELECT key, value FROM json_each('[1,2]')",
            "SELECT data ->> '$.a', json_extract(data, '$.b') FROM t",
            "WITH a(x) AS MATERIALIZED (SELECT 1), b AS NOT MATERIALIZED (SELECT 2) SELECT * FROM a, b",
            "SELECT CAST(a AS VARCHAR(10)), a COLLATE NOCASE FROM t",
            "SELECT * FROM main.pragma_index_list('t')",
            "SELECT 1 \u{0B}",
            "\u{FEFF}SELECT 1",
        ]
    )
    func passes(sql: String) {
        #expect(SQLReadOnly.check(sql) == .readOnly, "\(sql)")
    }

    @Test(
        "writes, stacked statements and hidden tricks are refused with a reason",
        arguments: [
            ("DELETE FROM t", "writes: DELETE"),
            ("delete from t", "writes: DELETE"),
            ("SELECT 1; DROP TABLE x", "stacked statements: 2 statements, the second starting with 'DROP'"),
            ("SELECT 1; -- ok\nDROP TABLE x", "stacked statements"),
            ("/* SELECT */ DELETE FROM t", "writes: DELETE"),
            ("SELECT 1 /* ; */ ; DELETE FROM t", "stacked statements"),
            ("SELECT 1 -- ; \n; DELETE FROM t", "stacked statements"),
            ("SELECT 'a;b'; SELECT 2", "stacked statements"),
            ("WITH a AS (SELECT 1) DELETE FROM t", "writes: DELETE"),
            ("WITH a AS (SELECT 1) SELECT * FROM a; UPDATE t SET x = 1", "stacked statements"),
            ("PRAGMA writable_schema=1", "not a query: PRAGMA"),
            ("ATTACH 'x.db' AS y", "not a query: ATTACH"),
            ("SELECT load_extension('x')", "calls load_extension()"),
            ("SELECT LOAD_EXTENSION ('x')", "calls load_extension()"),
            ("SELECT load_extension/**/('x')", "calls load_extension()"),
            (#"SELECT "load_extension"('x')"#, "calls load_extension()"),
            (#"SELECT "Load_Extension"('x')"#, "calls load_extension()"),
            ("SELECT [load_extension]('x')", "calls load_extension()"),
            ("SELECT `load_extension`('x')", "calls load_extension()"),
            ("SELECT writefile('/tmp/x', 'y')", "calls writefile()"),
            ("SELECT readfile('/etc/passwd')", "calls readfile()"),
            ("SELECT edit('x')", "calls edit()"),
            ("SELECT fts3_tokenizer('simple')", "calls fts3_tokenizer()"),
            ("SELECT my_app_function(1)", "add 'my_app_function' to the rule's functions:"),
            ("SELECT NOT materialized(1)", "calls materialized()"),
            ("SELECT 1 AS x, over(1)", "calls over()"),
            ("SELECT key(1)", "calls key()"),
            ("SELECT * FROM pragma_optimize", "reads pragma_optimize, which runs PRAGMA optimize"),
            ("SELECT * FROM \"PRAGMA_OPTIMIZE\"", "reads pragma_optimize"),
            ("SELECT * FROM pragma_journal_mode('wal')", "calls pragma_journal_mode()"),
            ("SELECT * INTO backup FROM t", "writes: INTO"),
            ("INSERT INTO t VALUES (1)", "writes: INSERT"),
            ("REPLACE INTO t VALUES (1)", "writes: REPLACE"),
            ("UPDATE t SET a = 1", "writes: UPDATE"),
            ("CREATE TABLE x (a)", "writes: CREATE"),
            ("ALTER TABLE t ADD COLUMN b", "writes: ALTER"),
            ("VACUUM", "not a query: VACUUM"),
            ("VACUUM INTO '/tmp/copy.db'", "not a query: VACUUM"),
            ("BEGIN; SELECT 1; COMMIT", "stacked statements"),
            ("BEGIN TRANSACTION", "not a query: BEGIN"),
            ("DETACH y", "not a query: DETACH"),
            ("REINDEX", "not a query: REINDEX"),
            ("ANALYZE", "not a query: ANALYZE"),
            ("SAVEPOINT a", "not a query: SAVEPOINT"),
            ("EXPLAIN DELETE FROM t", "writes: DELETE"),
            ("EXPLAIN", "EXPLAIN needs a query"),
            ("SELECT a FROM t WHERE b MATCH 'x'", "MATCH is not a keyword a read needs"),
            ("SELECT a FROM t WHERE b REGEXP 'x'", "REGEXP is not a keyword a read needs"),
            ("SELECT key FROM t WHERE action = 1", "ACTION is not a keyword a read needs; if it is a column"),
            ("", "there is no statement"),
            ("   ", "there is no statement"),
            (";", "there is no statement"),
            ("-- nothing", "there is no statement"),
            ("SELECT 'unterminated", "a string literal is never closed"),
            (#"SELECT "unterminated"#, "a quoted identifier is never closed"),
            ("SELECT [x FROM t", "a [identifier] is never closed"),
            ("SELECT x'00", "a blob literal needs an even number of hex digits and a closing quote"),
            ("SELECT x'0'", "a blob literal needs an even number"),
            ("SELECT 1\u{0}; DROP TABLE x", "NUL byte"),
            ("SELECT (1", "unbalanced parentheses"),
            ("SELECT 1)", "unbalanced parentheses"),
            ("TABLE t", "not a query: it starts with 'TABLE'"),
            ("(SELECT 1)", "not a query"),
            ("WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a", "writes: INSERT"),
            ("SELECT 1abc", "a number runs straight into identifier characters"),
            ("SELECT 0x", "a number runs straight into identifier characters"),
            ("SELECT 1e", "a number runs straight into identifier characters"),
            ("SELECT\u{0B}1", "SQLite has no token that starts with this character"),
            ("SELECT 1 ! 2", "a '!' not followed by '='"),
            ("SELECT a \\ b", "SQLite has no token"),
            ("SELECT : FROM t", "names no variable"),
        ]
    )
    func refused(sql: String, reason: String) throws {
        let verdict = SQLReadOnly.check(sql)
        guard case .refused(let why) = verdict else {
            Issue.record("\(sql) passed")
            return
        }
        #expect(why.contains(reason), "\(sql): \(why)")
    }

    /// SQLite's variables run over quotes: `$a(x'y)` is one token (tokenize.c's Tcl forms), so the
    /// `;` after it ends the statement. The old tokenizer read the quote as a string's start and
    /// passed the `DELETE` as string content.
    @Test(
        "a quote inside a SQLite variable is part of the variable, so what follows is code",
        arguments: ["$a", ":a", "@a", "#a", "$a::b", ":a::b::c"]
    )
    func variablesSwallowQuotes(variable: String) throws {
        let sql = "SELECT \(variable)(') ; DELETE FROM t ; --')"
        guard case .refused(let why) = SQLReadOnly.check(sql) else {
            Issue.record("\(sql) passed")
            return
        }
        #expect(why.contains("stacked statements"), "\(why)")
        let tokens = try SQLTokenizer.tokenize("SELECT \(variable)(x'y) FROM t", dialect: .sqlite).get()
        #expect(tokens.map(\.kind) == [.word, .parameter, .word, .word])
        #expect(tokens[1].text == "\(variable)(x'y)")
    }

    @Test("SQLite's tokens: variables, numbers, comments and whitespace as tokenize.c reads them")
    func tokens() throws {
        func kinds(_ sql: String) throws -> [SQLToken.Kind] {
            try SQLTokenizer.tokenize(sql, dialect: .sqlite).get().map(\.kind)
        }
        func texts(_ sql: String) throws -> [String] {
            try SQLTokenizer.tokenize(sql, dialect: .sqlite).get().map(\.text)
        }
        // A variable's ( runs to whitespace or ) — and without one before whitespace it is illegal.
        #expect(throws: SQLProblem.self) { try SQLTokenizer.tokenize("SELECT $a(x y)", dialect: .sqlite).get() }
        #expect(try texts("SELECT ?12, ?, :a::b, @x$y") == ["SELECT", "?12", ",", "?", ",", ":a::b", ",", "@x$y"])
        #expect(
            try texts("SELECT 1.5e-3, .5e2, 0x1f, 1_000.5_0") == [
                "SELECT", "1.5e-3", ",", ".5e2", ",", "0x1f", ",", "1_000.5_0",
            ]
        )
        #expect(
            try kinds("SELECT a->b, a->>b, a||b") == [
                .word, .word, .op, .word, .comma, .word, .op, .word, .comma, .word, .op, .word,
            ]
        )
        // `--` ends at \n only: a \r does not end it.
        #expect(try texts("SELECT 1 -- c\r; DELETE FROM t") == ["SELECT", "1"])
        #expect(try texts("SELECT 1 /**/2") == ["SELECT", "1", "2"])
        #expect(try texts("SELECT a/*") == ["SELECT", "a", "/", "*"])
        #expect(try texts("SELECT [a\"b]") == ["SELECT", "a\"b"])
        #expect(try texts("SELECT \"a\"\"b\"") == ["SELECT", "a\"b"])
        #expect(try texts("SELECT ab$c, ünï") == ["SELECT", "ab$c", ",", "ünï"])
    }

    @Test("fail closed: an unquoted identifier spelled like a keyword a read does not need is refused")
    func keywordIdentifiers() {
        guard case .refused(let why) = SQLReadOnly.check("SELECT t.release FROM t") else {
            Issue.record("passed")
            return
        }
        #expect(why.contains("not a query: RELEASE") && why.contains("quote it"), "\(why)")
        #expect(SQLReadOnly.check(#"SELECT t."release" FROM t"#) == .readOnly)
        #expect(SQLReadOnly.check("SELECT t.plan FROM t") != .readOnly)
        #expect(SQLReadOnly.check("SELECT t.[plan] FROM t") == .readOnly)
    }

    @Test("a rule's functions: and keywords: extend the lists; writing keywords stay refused")
    func ruleExtensions() {
        let rule = SQLReadOnly.Rule(dialect: .sqlite, functions: ["my_report"], keywords: ["MATCH"])
        #expect(SQLReadOnly.check("SELECT my_report(1), MY_REPORT(2)", rule: rule) == .readOnly)
        #expect(SQLReadOnly.check("SELECT a FROM t WHERE b MATCH 'x'", rule: rule) == .readOnly)
        #expect(SQLReadOnly.check("SELECT other_fn(1)", rule: rule) != .readOnly)
        #expect(SQLReadOnly.isWritingKeyword("delete", .sqlite))
        #expect(SQLReadOnly.isWritingKeyword("PRAGMA", .sqlite))
        #expect(!SQLReadOnly.isWritingKeyword("MATCH", .sqlite))
    }

    @Test("a WITH must lead to SELECT at the top level")
    func withLeadsToSelect() {
        #expect(SQLReadOnly.check("WITH a AS (SELECT 1) SELECT 2") == .readOnly)
        #expect(SQLReadOnly.check("WITH a AS (SELECT 1), b AS (SELECT 2) VALUES (3)") == .readOnly)
        #expect(SQLReadOnly.check("WITH a AS (SELECT 1)") == .refused("WITH leads to no SELECT"))
        // A CTE's column list is no call; a function after the CTEs is one.
        #expect(SQLReadOnly.check("WITH load_extension(x) AS (SELECT 1) SELECT x FROM load_extension") == .readOnly)
        #expect(SQLReadOnly.check("WITH a AS (SELECT 1) SELECT 1, load_extension('x')") != .readOnly)
    }
}
