import MuxgateAudit
import MuxgateConfig
import MuxgatePolicy
import MuxgateWire

/// The statements the `sql: read_only` tests generate from: writes and side effects the check must
/// refuse, reads it must pass, for SQLite and PostgreSQL, and the schemas the real engines run them
/// on. `MARKER` in a statement stands for a file path the engine must not create, `SECRET` for a
/// file whose content it must not disclose.
package enum SQLCorpus {
    /// How the engine shows that a statement had an effect.
    package enum Effect: String, Sendable, Codable {
        /// Rows, schema, settings, sequences, large objects, locks or a transaction id changed.
        case state
        /// The `MARKER` file was created.
        case file
        /// The `SECRET` file's content came back.
        case disclosure
        /// A notification was delivered (PostgreSQL).
        case notification
        /// The statement took at least a quarter of a second (a sleep).
        case time
        /// The engine tried the dangerous thing and failed on the environment (loading a library that
        /// is not there), not on an unknown name.
        case attempt
        /// The engine ran it (a statement whose change this harness cannot observe).
        case runs
    }

    /// Where a SQLite statement runs: Python's `sqlite3` (what `mcp-server-sqlite` uses), or the
    /// `sqlite3` shell (whose extra functions `readfile`, `writefile`, `edit` exist only there).
    package enum Runner: String, Sendable, Codable {
        case python, cli, postgres
    }

    /// One write or side effect and how to see it.
    package struct Write: Sendable {
        package let sql: String
        package let effect: Effect
        package let runner: Runner
        /// PostgreSQL DML that `WITH … RETURNING` and `EXPLAIN ANALYZE` can wrap.
        package let dml: Bool

        init(_ sql: String, _ effect: Effect = .state, _ runner: Runner, dml: Bool = false) {
            self.sql = sql
            self.effect = effect
            self.runner = runner
            self.dml = dml
        }
    }

    // MARK: - SQLite

    package static let sqliteSetup = """
        CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL, tags TEXT);
        INSERT INTO items (name, price, tags) VALUES ('apple', 1.5, '["fruit","red"]'), ('pear', 2.0, '["fruit"]'),
          ('kale', 3.25, '["leaf"]');
        CREATE TABLE orders (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES items(id), qty INTEGER, placed TEXT);
        INSERT INTO orders (item_id, qty, placed) VALUES (1, 3, '2024-01-05'), (2, 1, '2024-02-10'),
          (1, 7, '2024-03-01'), (3, 2, '2024-03-02');
        CREATE INDEX orders_item ON orders(item_id);
        """

    package static let sqliteWrites: [Write] = [
        Write("INSERT INTO items (name, price) VALUES ('mallory', 9.99)", .state, .python),
        Write("INSERT INTO items (name) VALUES ($v)", .state, .python),
        Write("UPDATE items SET price = 0", .state, .python),
        Write("UPDATE items SET name = :name WHERE id > ?1 OR @x IS NULL", .state, .python),
        Write("DELETE FROM items", .state, .python),
        Write("DELETE FROM orders WHERE qty > 0", .state, .python),
        Write("REPLACE INTO items (id, name, price) VALUES (1, 'swapped', 0)", .state, .python),
        Write("INSERT OR REPLACE INTO items (id, name) VALUES (2, 'x')", .state, .python),
        Write("INSERT INTO items (name) SELECT name FROM items", .state, .python),
        Write("INSERT INTO items (name) VALUES ('x') RETURNING id", .state, .python),
        Write("INSERT INTO items (id, name) VALUES (1, 'x') ON CONFLICT DO UPDATE SET price = 0", .state, .python),
        Write("WITH c AS (SELECT 1) DELETE FROM items", .state, .python),
        Write("WITH c(n) AS (SELECT 1) INSERT INTO orders (qty) SELECT n FROM c", .state, .python),
        Write("CREATE TABLE stolen AS SELECT * FROM items", .state, .python),
        Write("CREATE TABLE t2 (a)", .state, .python),
        Write("CREATE TEMP TABLE t3 (a)", .runs, .python),
        Write("CREATE INDEX items_name ON items(name)", .state, .python),
        Write("CREATE VIEW v AS SELECT 1", .state, .python),
        Write("CREATE TRIGGER trg AFTER INSERT ON items BEGIN DELETE FROM orders; END", .state, .python),
        Write("DROP TABLE orders", .state, .python),
        Write("DROP INDEX orders_item", .state, .python),
        Write("ALTER TABLE items ADD COLUMN extra TEXT", .state, .python),
        Write("ALTER TABLE items RENAME TO goods", .state, .python),
        Write("PRAGMA user_version = 5", .state, .python),
        Write("PRAGMA application_id = 7", .state, .python),
        Write("PRAGMA journal_mode = wal", .state, .python),
        Write("ANALYZE", .state, .python),
        Write("VACUUM INTO 'MARKER'", .file, .python),
        Write("ATTACH DATABASE 'MARKER' AS side", .file, .python),
        Write("VACUUM", .runs, .python),
        Write("REINDEX", .runs, .python),
        Write("SELECT * FROM pragma_optimize", .runs, .python),
        Write("SAVEPOINT a", .runs, .python),
        Write("SELECT writefile('MARKER', 'owned')", .file, .cli),
        Write("SELECT edit('x', 'touch MARKER')", .file, .cli),
        Write("SELECT readfile('SECRET')", .disclosure, .cli),
        Write("SELECT load_extension('MARKER')", .attempt, .cli),
    ]

    /// Ways to hide a write (`{W}`): stacked behind a read, after SQLite's variable tokens that hold a
    /// quote (`$a(')` is one token to SQLite), behind comments.
    package static let sqliteWrappers = [
        "{W}", "SELECT 1; {W}", "{W}; SELECT 1", "SELECT $a(') ; {W} ; SELECT (')", "SELECT :a(') ; {W} ; SELECT (')",
        "SELECT @a(') ; {W} ; SELECT (')", "SELECT #a(') ; {W} ; SELECT (')", "SELECT $a::b(') ; {W} ; SELECT (')",
        "SELECT ?1, :x(x'y) ; {W} ; --')", "SELECT @p(\"]) ; {W} ; --\")", "SELECT 1 /* x */ ; {W}", "/* SELECT */ {W}",
        "SELECT 1 -- x\n; {W}", "{W}; /* trailing", "SELECT 'a'';'; {W}",
    ]

    package static let sqliteReads = [
        "SELECT * FROM items",
        "SELECT id, name FROM items WHERE price > 1.75 ORDER BY name DESC LIMIT 2 OFFSET 0",
        "SELECT i.name, o.qty FROM items i JOIN orders o ON o.item_id = i.id WHERE o.qty >= 2",
        "SELECT i.name, count(o.id) AS n FROM items i LEFT JOIN orders o ON o.item_id = i.id GROUP BY i.name HAVING count(o.id) >= 0",
        "SELECT * FROM items CROSS JOIN orders WHERE items.id = orders.item_id",
        "WITH big AS (SELECT * FROM orders WHERE qty > 2) SELECT item_id, sum(qty) FROM big GROUP BY item_id",
        "WITH RECURSIVE cnt(x) AS (VALUES(1) UNION ALL SELECT x + 1 FROM cnt WHERE x < 10) SELECT sum(x) FROM cnt",
        "WITH a(n) AS MATERIALIZED (SELECT 1), b AS NOT MATERIALIZED (SELECT 2 AS n) SELECT * FROM a, b",
        "SELECT avg(price), min(price), max(price), total(price), group_concat(name, ';') FROM items",
        "SELECT name, row_number() OVER (ORDER BY price) AS r, sum(price) OVER (PARTITION BY tags ORDER BY id "
            + "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM items",
        "SELECT item_id, qty, lag(qty) OVER w, rank() OVER w FROM orders WINDOW w AS (PARTITION BY item_id ORDER BY qty)",
        "SELECT count(*) FILTER (WHERE qty > 2) FROM orders",
        "SELECT json_extract(tags, '$[0]'), tags ->> '$[0]', json_array_length(tags) FROM items",
        "SELECT items.name, j.value FROM items, json_each(items.tags) AS j WHERE j.value = 'fruit'",
        "SELECT key, value FROM json_each('{\"a\":1,\"b\":2}')",
        "SELECT json_object('n', name, 'p', price), json_group_array(name) FROM items",
        "SELECT name FROM items WHERE id IN (SELECT item_id FROM orders WHERE qty > 2)",
        "SELECT name FROM items i WHERE EXISTS (SELECT 1 FROM orders o WHERE o.item_id = i.id)",
        "SELECT (SELECT max(qty) FROM orders) AS most",
        "SELECT CASE WHEN price > 2 THEN 'dear' WHEN price > 1 THEN 'fair' ELSE 'cheap' END FROM items",
        "SELECT name FROM items UNION SELECT placed FROM orders EXCEPT SELECT 'x' INTERSECT SELECT name FROM items",
        "SELECT name FROM items WHERE name LIKE 'p%' OR name GLOB 'a*' OR name LIKE '%!_%' ESCAPE '!'",
        "SELECT CAST(price AS INTEGER), CAST(id AS TEXT), typeof(price) FROM items",
        "SELECT upper(name), lower(name), length(name), substr(name, 1, 2), replace(name, 'a', 'A'), "
            + "trim(name), instr(name, 'a') FROM items",
        "SELECT abs(-1), round(2.5), coalesce(NULL, 1), ifnull(NULL, 2), nullif(1, 1), iif(1, 'y', 'n')",
        "SELECT date('2024-01-01', '+1 month'), strftime('%Y', placed), julianday(placed) FROM orders",
        "SELECT name FROM items WHERE price BETWEEN 1 AND 3 AND name IS NOT NULL AND id NOT IN (5, 6)",
        "SELECT DISTINCT item_id FROM orders ORDER BY 1",
        "SELECT * FROM pragma_table_info('items')",
        "SELECT name FROM pragma_index_list('orders')",
        "SELECT * FROM items WHERE id = ? OR name = :name OR name = @n OR name = $v",
        "VALUES (1, 'a'), (2, 'b')",
        "EXPLAIN QUERY PLAN SELECT * FROM orders WHERE item_id = 1",
        "EXPLAIN SELECT 1",
        "SELECT name COLLATE NOCASE FROM items ORDER BY name COLLATE NOCASE",
        "SELECT x'00ff', 0x1F, 1.5e3, .5, -2, ~1, 1 << 2, 7 % 3, 'a' || 'b'",
        "SELECT \"name\", [price], `tags` FROM \"items\"",
        "SELECT count(*) FROM sqlite_master",
        "SELECT * FROM orders INDEXED BY orders_item WHERE item_id = 1",
        "SELECT * FROM items NOT INDEXED WHERE id = 1",
    ]

    // MARK: - PostgreSQL

    package static let postgresSetup = """
        CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL, balance numeric NOT NULL, meta jsonb);
        INSERT INTO accounts (name, balance, meta) VALUES ('ada', 100, '{"tier":"gold","tags":["a","b"]}'),
          ('grace', 250, '{"tier":"silver"}'), ('linus', 75, NULL);
        CREATE TABLE transfers (id serial PRIMARY KEY, src int REFERENCES accounts(id), dst int REFERENCES accounts(id),
          amount numeric NOT NULL, at timestamptz NOT NULL);
        INSERT INTO transfers (src, dst, amount, at) VALUES (1, 2, 10, '2024-01-01'), (2, 3, 5, '2024-02-01'),
          (1, 3, 20, '2024-03-01');
        CREATE TABLE writes_seen (n int NOT NULL);
        INSERT INTO writes_seen VALUES (0);
        CREATE FUNCTION count_write() RETURNS trigger LANGUAGE plpgsql AS
          $$ BEGIN UPDATE writes_seen SET n = n + 1; RETURN NULL; END $$;
        CREATE TRIGGER accounts_writes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON accounts
          FOR EACH STATEMENT EXECUTE FUNCTION count_write();
        CREATE PROCEDURE bump() LANGUAGE sql AS $$ UPDATE writes_seen SET n = n + 100 $$;
        CREATE VIEW rich AS SELECT * FROM accounts WHERE balance > 90;
        """

    /// `pg_catalog` functions among the writes and reads (so `pg_catalog.name` still names them).
    package static let postgresCatalogFunctions: Set<String> = [
        "nextval", "setval", "lo_import", "lo_create", "lo_from_bytea", "lo_export", "query_to_xml", "pg_notify",
        "set_config", "pg_advisory_lock", "pg_advisory_xact_lock", "pg_try_advisory_lock", "pg_sleep",
        "txid_current", "pg_current_xact_id", "pg_read_file", "cursor_to_xml", "table_to_xml", "setseed",
        "count", "sum", "avg", "lower", "upper", "length", "coalesce", "now", "jsonb_build_object", "to_char",
        "generate_series", "string_agg", "row_number", "rank", "lag", "date_trunc", "jsonb_array_elements_text",
        "jsonb_each", "json_agg", "round", "substr", "replace", "left", "format", "array_agg", "unnest",
        "pg_relation_size", "pg_size_pretty", "current_setting", "version", "greatest",
    ]

    package static let postgresWrites: [Write] = [
        Write("INSERT INTO accounts (name, balance) VALUES ('mallory', 1000000000)", .state, .postgres, dml: true),
        Write("UPDATE accounts SET balance = 0", .state, .postgres, dml: true),
        Write("DELETE FROM accounts", .state, .postgres, dml: true),
        Write("DELETE FROM transfers WHERE amount > 0", .state, .postgres, dml: true),
        Write(
            "MERGE INTO accounts a USING transfers t ON a.id = t.src WHEN MATCHED THEN UPDATE SET balance = 0",
            .state,
            .postgres
        ),
        Write("TRUNCATE accounts CASCADE", .state, .postgres),
        Write("CREATE TABLE stolen AS SELECT * FROM accounts", .state, .postgres),
        Write("CREATE TEMP TABLE scratch (a INT)", .state, .postgres),
        Write("CREATE INDEX accounts_name ON accounts (name)", .state, .postgres),
        Write("DROP VIEW rich", .state, .postgres),
        Write("ALTER TABLE accounts ADD COLUMN extra text", .state, .postgres),
        Write("GRANT SELECT ON accounts TO PUBLIC", .state, .postgres),
        Write("COMMENT ON TABLE accounts IS 'owned'", .state, .postgres),
        Write("SELECT * INTO stolen FROM accounts", .state, .postgres),
        Write("SELECT * FROM accounts FOR UPDATE", .state, .postgres),
        Write("SELECT * FROM accounts FOR NO KEY UPDATE", .state, .postgres),
        Write("SELECT * FROM accounts FOR SHARE", .state, .postgres),
        Write("SELECT * FROM accounts FOR KEY SHARE", .state, .postgres),
        Write("SELECT id FROM accounts FOR UPDATE SKIP LOCKED", .state, .postgres),
        Write("SELECT nextval('accounts_id_seq')", .state, .postgres),
        Write("SELECT setval('accounts_id_seq', 999)", .state, .postgres),
        Write("SELECT lo_import('SECRET')", .state, .postgres),
        Write("SELECT lo_create(0)", .state, .postgres),
        Write("SELECT lo_from_bytea(0, 'x')", .state, .postgres),
        Write("SELECT lo_export(lo_from_bytea(0, 'x'), 'MARKER')", .file, .postgres),
        Write("SELECT query_to_xml('SELECT nextval(''accounts_id_seq'')', TRUE, TRUE, '')", .state, .postgres),
        Write("SELECT pg_notify('probe', 'x')", .notification, .postgres),
        Write("NOTIFY probe", .notification, .postgres),
        Write("SELECT set_config('search_path', 'evil', FALSE)", .state, .postgres),
        Write("SET search_path = evil", .state, .postgres),
        Write("SELECT pg_advisory_lock(42)", .state, .postgres),
        Write("SELECT pg_advisory_xact_lock(42)", .state, .postgres),
        Write("SELECT pg_try_advisory_lock(7)", .state, .postgres),
        Write("LOCK TABLE accounts IN EXCLUSIVE MODE", .state, .postgres),
        Write("SELECT txid_current()", .state, .postgres),
        Write("SELECT pg_current_xact_id()", .state, .postgres),
        Write("SELECT pg_sleep(0.3)", .time, .postgres),
        Write("SELECT pg_read_file('SECRET')", .disclosure, .postgres),
        Write("COPY accounts TO PROGRAM 'touch MARKER'", .file, .postgres),
        Write("COPY (SELECT 1) TO 'MARKER'", .file, .postgres),
        Write("CALL bump()", .state, .postgres),
        Write("DO $$ BEGIN UPDATE writes_seen SET n = n + 1; END $$", .state, .postgres),
        Write("PREPARE p AS DELETE FROM accounts", .state, .postgres),
        Write("DECLARE c CURSOR FOR SELECT 1", .state, .postgres),
        Write("EXPLAIN ANALYZE DELETE FROM accounts", .state, .postgres),
        Write("EXPLAIN (ANALYZE, COSTS OFF) UPDATE accounts SET balance = 1", .state, .postgres),
        Write("WITH gone AS (DELETE FROM accounts RETURNING *) SELECT count(*) FROM gone", .state, .postgres),
        Write("WITH t AS (SELECT 1) INSERT INTO transfers (amount, at) SELECT 1, now() FROM t", .state, .postgres),
    ]

    /// Ways to hide a write (`{W}`) from a tokenizer that reads PostgreSQL wrongly.
    package static let postgresWrappers = [
        "{W}", "SELECT 1; {W}", "{W}; SELECT 1", "SELECT 1 -- x\r; {W}", "SELECT 'a\\' ; {W} ; SELECT '\\'",
        "SELECT 'x'\n'\\' ; {W} ; SELECT '\\'", "SELECT a$$ FROM (SELECT 1 AS \"a$$\") s; {W}; SELECT '$$'",
        "SELECT $x$ $y$ $x$; {W}", "/* /* nested */ SELECT */ {W}", "SELECT 1 /* a /* b */ c */; {W}",
        "SELECT \"x;\"\"\" FROM (SELECT 1 AS \"x;\"\"\") s; {W}",
    ]

    /// Wrappers only DML can take.
    package static let postgresDMLWrappers = [
        "WITH w AS ({W} RETURNING 1) SELECT * FROM w", "EXPLAIN ANALYZE {W}", "EXPLAIN (ANALYZE) {W}",
        "EXPLAIN (ANALYZE TRUE, FORMAT JSON) {W}",
    ]

    package static let postgresReads = [
        "SELECT * FROM accounts",
        "SELECT name, balance FROM accounts WHERE balance > 90 ORDER BY name DESC LIMIT 2 OFFSET 0",
        "TABLE accounts",
        "SELECT a.name, t.amount FROM accounts a JOIN transfers t ON t.src = a.id WHERE t.amount >= 10",
        "SELECT a.name, count(t.id) FROM accounts a LEFT JOIN transfers t ON t.src = a.id GROUP BY a.name HAVING count(t.id) >= 0",
        "SELECT * FROM accounts a NATURAL JOIN (SELECT id, amount FROM transfers) t",
        "SELECT * FROM accounts a CROSS JOIN LATERAL (SELECT max(amount) AS m FROM transfers t WHERE t.src = a.id) x",
        "WITH big AS (SELECT * FROM transfers WHERE amount > 5) SELECT src, sum(amount) FROM big GROUP BY src",
        "WITH RECURSIVE cnt(x) AS (VALUES (1) UNION ALL SELECT x + 1 FROM cnt WHERE x < 10) SELECT sum(x) FROM cnt",
        "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3) "
            + "SEARCH DEPTH FIRST BY n SET ord SELECT * FROM t ORDER BY ord",
        "WITH a AS MATERIALIZED (SELECT 1 AS n), b AS NOT MATERIALIZED (SELECT 2 AS n) SELECT * FROM a, b",
        "SELECT avg(balance), min(balance), max(balance), sum(balance), string_agg(name, ',' ORDER BY name) FROM accounts",
        "SELECT name, row_number() OVER (ORDER BY balance), sum(balance) OVER (PARTITION BY meta ->> 'tier' "
            + "ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM accounts",
        "SELECT src, amount, lag(amount) OVER w, rank() OVER w FROM transfers WINDOW w AS (PARTITION BY src ORDER BY amount)",
        "SELECT count(*) FILTER (WHERE amount > 5) FROM transfers",
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY balance) FROM accounts",
        "SELECT meta -> 'tier', meta ->> 'tier', meta #> '{tags,0}', meta #>> '{tags}', meta @> '{\"tier\":\"gold\"}', "
            + "meta ? 'tags', meta ?| ARRAY['x', 'tags'] FROM accounts",
        "SELECT jsonb_build_object('n', name, 'b', balance), json_agg(name) OVER () FROM accounts",
        "SELECT e.key, e.value FROM accounts, jsonb_each(meta) AS e WHERE meta IS NOT NULL",
        "SELECT jsonb_array_elements_text(meta -> 'tags') FROM accounts WHERE meta ? 'tags'",
        "SELECT jsonb_path_query(meta, '$.tags[*]') FROM accounts WHERE meta IS NOT NULL",
        "SELECT name FROM accounts WHERE id IN (SELECT src FROM transfers) AND EXISTS (SELECT 1 FROM transfers)",
        "SELECT name FROM accounts WHERE balance > ALL (SELECT amount FROM transfers) AND id = ANY (ARRAY[1, 2])",
        "SELECT CASE WHEN balance > 200 THEN 'rich' WHEN balance > 90 THEN 'fine' ELSE 'poor' END FROM accounts",
        "SELECT name FROM accounts UNION ALL SELECT 'x' EXCEPT SELECT 'y' INTERSECT SELECT name FROM accounts",
        "SELECT name FROM accounts WHERE name LIKE 'a%' OR name ILIKE 'G%' OR name SIMILAR TO 'l%' OR name ~* '^L'",
        "SELECT balance::INT, CAST(balance AS NUMERIC(10,2)), id::text, '2024-01-01'::date, "
            + "CAST(name AS VARCHAR(3)) FROM accounts",
        "SELECT upper(name), lower(name), length(name), substr(name, 1, 2), replace(name, 'a', 'A'), left(name, 1), "
            + "format('%s=%s', name, balance) FROM accounts",
        "SELECT EXTRACT(YEAR FROM at), date_trunc('month', at), to_char(at, 'YYYY-MM'), at AT TIME ZONE 'UTC' "
            + "FROM transfers",
        "SELECT POSITION('a' IN name), SUBSTRING(name FROM 1 FOR 2), TRIM(BOTH ' ' FROM name), "
            + "OVERLAY(name PLACING 'X' FROM 1 FOR 1), COALESCE(meta, '{}'), NULLIF(1, 2), GREATEST(1, 2) FROM accounts",
        "SELECT * FROM generate_series(1, 3) AS g(n)",
        "SELECT n, n * 2 FROM unnest(ARRAY[1, 2, 3]) WITH ORDINALITY AS u(n, i)",
        "SELECT array_agg(name ORDER BY id), (array_agg(balance))[1] FROM accounts",
        "SELECT src, dst, sum(amount) FROM transfers GROUP BY ROLLUP (src, dst)",
        "SELECT src, sum(amount) FROM transfers GROUP BY GROUPING SETS ((src), ())",
        "SELECT * FROM accounts ORDER BY id FETCH FIRST 2 ROWS ONLY",
        "SELECT DISTINCT ON (src) src, amount FROM transfers ORDER BY src, amount DESC",
        "SELECT * FROM rich",
        "SELECT * FROM accounts WHERE id = 1 AND name <> 'x' AND balance != 0 AND name IS DISTINCT FROM 'y'",
        "SELECT pg_size_pretty(pg_relation_size('accounts')), current_setting('search_path'), version(), now(), "
            + "CURRENT_USER, CURRENT_DATE",
        "SELECT * FROM pg_catalog.pg_tables WHERE schemaname = 'public'",
        "SELECT $$ DELETE FROM accounts $$, E'it\\'s', U&'d\\0061t\\+000061', B'101', X'1F'",
        "SELECT 1 /* a /* nested */ comment */",
        "EXPLAIN SELECT * FROM accounts",
        "EXPLAIN (ANALYZE, COSTS OFF, FORMAT JSON) SELECT count(*) FROM transfers",
        "VALUES (1, 'a'), (2, 'b')",
        "SELECT \"name\", U&\"bal\\0061nce\" FROM \"accounts\"",
        "SELECT * FROM accounts TABLESAMPLE SYSTEM (100) REPEATABLE (1)",
    ]
}
