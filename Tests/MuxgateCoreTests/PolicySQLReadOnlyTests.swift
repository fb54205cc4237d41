import Testing

@testable import MuxgateCore

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
            "SELECT 1.5e10, .5, 0x1F",
            "SELECT 'unicode ünïcødé', \"naïve\" FROM t",
        ]
    )
    func passes(sql: String) {
        #expect(SQLReadOnly.check(sql) == .readOnly)
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
            ("SELECT LOAD_EXTENSION ('x')", "calls LOAD_EXTENSION()"),
            ("SELECT load_extension/**/('x')", "calls load_extension()"),
            (#"SELECT "load_extension"('x')"#, "calls load_extension()"),
            ("SELECT writefile('/tmp/x', 'y')", "calls writefile()"),
            ("SELECT edit('x')", "calls edit()"),
            ("SELECT fts3_tokenizer('simple')", "calls fts3_tokenizer()"),
            ("SELECT * INTO backup FROM t", "writes: INTO"),
            ("INSERT INTO t VALUES (1)", "writes: INSERT"),
            ("REPLACE INTO t VALUES (1)", "writes: REPLACE"),
            ("UPDATE t SET a = 1", "writes: UPDATE"),
            ("CREATE TABLE x (a)", "writes: CREATE"),
            ("ALTER TABLE t ADD COLUMN b", "writes: ALTER"),
            ("VACUUM", "not a query: VACUUM"),
            ("BEGIN; SELECT 1; COMMIT", "stacked statements"),
            ("BEGIN TRANSACTION", "not a query: BEGIN"),
            ("DETACH y", "not a query: DETACH"),
            ("REINDEX", "not a query: REINDEX"),
            ("ANALYZE", "not a query: ANALYZE"),
            ("SAVEPOINT a", "not a query: SAVEPOINT"),
            ("EXPLAIN DELETE FROM t", "writes: DELETE"),
            ("EXPLAIN", "EXPLAIN needs a query"),
            ("SELECT 1 UNION SELECT 2 UPSERT", "writes: UPSERT"),
            ("", "there is no statement"),
            ("   ", "there is no statement"),
            (";", "there is no statement"),
            ("-- nothing", "there is no statement"),
            ("SELECT 'unterminated", "a string literal is never closed"),
            (#"SELECT "unterminated"#, "a quoted identifier is never closed"),
            ("SELECT [x FROM t", "a [identifier] is never closed"),
            ("SELECT x'00", "a blob literal is never closed"),
            ("SELECT 1 /* open", "a /* comment is never closed"),
            ("SELECT 1\u{0}; DROP TABLE x", "NUL byte"),
            ("SELECT (1", "unbalanced parentheses"),
            ("SELECT 1)", "unbalanced parentheses"),
            ("TABLE t", "not a query: it starts with 'TABLE'"),
            ("(SELECT 1)", "not a query"),
            ("WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a", "writes: INSERT"),
        ]
    )
    func refused(sql: String, reason: String) throws {
        let verdict = SQLReadOnly.check(sql)
        guard case .refused(let why) = verdict else {
            Issue.record("\(sql) passed")
            return
        }
        #expect(why.contains(reason), "\(why)")
    }

    @Test("fail closed: an unquoted identifier spelled like a forbidden keyword is refused")
    func keywordIdentifiers() {
        #expect(SQLReadOnly.check("SELECT t.release FROM t") == .refused("not a query: RELEASE"))
        #expect(SQLReadOnly.check(#"SELECT t."release" FROM t"#) == .readOnly)
    }

    @Test("a WITH must lead to SELECT at the top level")
    func withLeadsToSelect() {
        #expect(SQLReadOnly.check("WITH a AS (SELECT 1) SELECT 2") == .readOnly)
        #expect(SQLReadOnly.check("WITH a AS (SELECT 1), b AS (SELECT 2) VALUES (3)") == .readOnly)
        #expect(SQLReadOnly.check("WITH a AS (SELECT 1)") == .refused("WITH leads to no SELECT"))
    }
}
