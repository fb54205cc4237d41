/// Decides whether a text is one read-only SQLite or PostgreSQL query: the `sql: read_only` check.
///
/// The text is tokenized as its dialect does (`SQLTokenizer`), so keywords inside string literals,
/// quoted identifiers and comments do not count, and `;` inside them does not split. Then:
/// 1. exactly one non-empty statement (a trailing `;` and trailing comments are fine);
/// 2. it starts with `SELECT`, `WITH` or `VALUES`, optionally after `EXPLAIN` or
///    `EXPLAIN QUERY PLAN` (which only describe the query);
/// 3. no bare word anywhere is a writing or session keyword (`INSERT UPDATE DELETE REPLACE UPSERT
///    CREATE DROP ALTER ATTACH DETACH PRAGMA VACUUM REINDEX ANALYZE BEGIN COMMIT ROLLBACK SAVEPOINT
///    RELEASE TRANSACTION INTO`), except `replace(` which is the string function;
/// 4. no call of `load_extension`, `writefile`, `readfile`, `edit` or `fts3_tokenizer`;
/// 5. parentheses balance, and a `WITH` leads to `SELECT` or `VALUES` at the top level.
///
/// PostgreSQL (`dialect: postgres`) differs in what it reads:
/// - starts: `SELECT`, `WITH`, `VALUES`, `TABLE`, optionally after `EXPLAIN` with its options
///   (`EXPLAIN ANALYZE VERBOSE …`, `EXPLAIN (ANALYZE, FORMAT JSON) …`: the query is still checked);
/// - writing words: those above (less the SQLite-only ones) and `MERGE TRUNCATE COPY GRANT REVOKE
///   COMMENT REFRESH REINDEX CLUSTER VACUUM IMPORT REASSIGN SECURITY`, and `SHARE` (`FOR SHARE`,
///   `FOR KEY SHARE` lock rows as `FOR UPDATE` does);
/// - functions with effects, by name whatever the schema: `pg_terminate_backend`,
///   `pg_cancel_backend`, `pg_reload_conf`, `set_config`, `nextval`, `setval`, `pg_sleep`,
///   `pg_notify`, `txid_current`, `query_to_xml` and `ts_stat` (they run a query given as text), every
///   `lo_*` (large objects: `lo_import`, `lo_export`, …), `dblink*`, `pg_advisory_*`,
///   `pg_read_*`, `pg_ls_*`, `pg_file_*`, `pg_stat_reset*`, `pg_create_*`, `pg_drop_*`, `pg_wal_*`,
///   `pg_logical_*`, `pg_replication_origin_*`, backup and WAL control.
/// Functions defined in the database are unknown to it: give the server a read-only role too.
///
/// It fails closed: a column named like a keyword (`SELECT t.release`) is refused unless quoted.
package enum SQLReadOnly {
    /// The outcome of the check.
    package enum Verdict: Sendable, Equatable {
        case readOnly
        /// Refused, with why (`stacked statements …`, `writes: DELETE`, …).
        case refused(String)
    }

    static let writingKeywords: Set<String> = [
        "INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT", "CREATE", "DROP", "ALTER", "INTO",
    ]
    static let sessionKeywords: Set<String> = [
        "ATTACH", "DETACH", "PRAGMA", "VACUUM", "REINDEX", "ANALYZE", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT",
        "RELEASE", "TRANSACTION",
    ]
    static let forbiddenFunctions: Set<String> = ["LOAD_EXTENSION", "WRITEFILE", "READFILE", "EDIT", "FTS3_TOKENIZER"]
    static let queryStarts: Set<String> = ["SELECT", "WITH", "VALUES"]

    static let postgresWritingKeywords: Set<String> = [
        "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "CREATE", "DROP", "ALTER", "INTO", "TRUNCATE", "COPY",
        "GRANT", "REVOKE", "COMMENT", "REFRESH", "REINDEX", "CLUSTER", "VACUUM", "IMPORT", "REASSIGN", "SECURITY",
        "SHARE",
    ]
    static let postgresFunctions: Set<String> = [
        "PG_TERMINATE_BACKEND", "PG_CANCEL_BACKEND", "PG_RELOAD_CONF", "PG_ROTATE_LOGFILE", "PG_PROMOTE",
        "PG_SWITCH_WAL", "PG_CREATE_RESTORE_POINT", "PG_START_BACKUP", "PG_STOP_BACKUP", "PG_BACKUP_START",
        "PG_BACKUP_STOP", "PG_SLEEP", "PG_SLEEP_FOR", "PG_SLEEP_UNTIL", "PG_NOTIFY", "PG_STAT_FILE",
        "PG_IMPORT_SYSTEM_COLLATIONS", "PG_LOG_BACKEND_MEMORY_CONTEXTS", "PG_STAT_STATEMENTS_RESET", "SET_CONFIG",
        "NEXTVAL", "SETVAL", "TXID_CURRENT", "PG_CURRENT_XACT_ID", "QUERY_TO_XML", "QUERY_TO_XMLSCHEMA",
        "QUERY_TO_XML_AND_XMLSCHEMA", "CURSOR_TO_XML", "CURSOR_TO_XMLSCHEMA", "TS_STAT", "LOWRITE", "LO_OPEN",
    ]
    static let postgresFunctionPrefixes = [
        "LO_", "DBLINK", "PG_ADVISORY", "PG_TRY_ADVISORY", "PG_READ_", "PG_LS_", "PG_FILE_", "PG_STAT_RESET",
        "PG_CREATE_", "PG_DROP_", "PG_COPY_", "PG_WAL_", "PG_LOGICAL_", "PG_REPLICATION_ORIGIN",
    ]
    /// What may follow `EXPLAIN` before the query it describes (PostgreSQL).
    static let postgresExplainOptions: Set<String> = ["ANALYZE", "ANALYSE", "VERBOSE"]

    static func isForbiddenFunction(_ name: String, _ dialect: SQLDialect) -> Bool {
        switch dialect {
        case .sqlite: forbiddenFunctions.contains(name)
        case .postgres: postgresFunctions.contains(name) || postgresFunctionPrefixes.contains { name.hasPrefix($0) }
        }
    }

    /// Checks one text.
    package static func check(_ sql: String, dialect: SQLDialect = .sqlite) -> Verdict {
        let tokens: [SQLTokenizer.Token]
        switch SQLTokenizer.tokenize(sql, dialect: dialect) {
        case .success(let list): tokens = list
        case .failure(let problem): return .refused(problem.message)
        }
        let statements = tokens.split(separator: SQLTokenizer.Token(kind: .semicolon, text: ";")).map(Array.init)
        guard let statement = statements.first else {
            return .refused("there is no statement (only whitespace, comments or ';')")
        }
        guard statements.count == 1 else {
            let second = statements[1].first.map { "'\($0.text)'" } ?? "?"
            return .refused("stacked statements: \(statements.count) statements, the second starting with \(second)")
        }
        let start: Int
        switch queryStart(of: statement, dialect) {
        case .success(let index): start = index
        case .failure(let problem): return .refused(problem.message)
        }
        if let refusal = forbiddenToken(in: statement[start...], dialect) { return .refused(refusal) }
        if let refusal = badStart(of: statement[start...], dialect) { return .refused(refusal) }
        return .readOnly
    }

    /// Where the query starts: after `EXPLAIN` and what describes the explanation.
    private static func queryStart(
        of statement: [SQLTokenizer.Token],
        _ dialect: SQLDialect
    ) -> Result<Int, SQLTokenizer.Problem> {
        guard statement.first?.keyword == "EXPLAIN" else { return .success(0) }
        var index = 1
        switch dialect {
        case .sqlite:
            if statement.count > 2, statement[1].keyword == "QUERY", statement[2].keyword == "PLAN" { index = 3 }
        case .postgres:
            if index < statement.count, statement[index].kind == .open {
                // EXPLAIN (ANALYZE, FORMAT JSON, …): options are words, values and commas.
                index += 1
                while index < statement.count, statement[index].kind != .close {
                    switch statement[index].kind {
                    case .word, .string, .number: index += 1
                    case .symbol where statement[index].text == ",": index += 1
                    default:
                        return .failure(.init(message: "EXPLAIN's options hold '\(statement[index].text)'"))
                    }
                }
                guard index < statement.count else {
                    return .failure(.init(message: "unbalanced parentheses: EXPLAIN's '(' is never closed"))
                }
                index += 1
            } else {
                while index < statement.count, postgresExplainOptions.contains(statement[index].keyword) { index += 1 }
            }
        }
        guard index < statement.count else { return .failure(.init(message: "EXPLAIN needs a query to explain")) }
        return .success(index)
    }

    /// The first keyword or function call that could write, with why.
    private static func forbiddenToken(in statement: ArraySlice<SQLTokenizer.Token>, _ dialect: SQLDialect) -> String? {
        var depth = 0
        let writing = dialect == .sqlite ? writingKeywords : postgresWritingKeywords
        let session = dialect == .sqlite ? sessionKeywords : []
        for index in statement.indices {
            let token = statement[index]
            let callsNext = index + 1 < statement.endIndex && statement[index + 1].kind == .open
            switch token.kind {
            case .open:
                depth += 1
            case .close:
                depth -= 1
                if depth < 0 { return "unbalanced parentheses: a ')' closes nothing" }
            case .word, .quotedIdentifier:
                let name = token.text.uppercased()
                if callsNext, isForbiddenFunction(name, dialect) {
                    return dialect == .sqlite
                        ? "calls \(token.text)(), which touches files or extensions"
                        : "calls \(token.text)(), which has effects beyond reading"
                }
                guard token.kind == .word else { continue }
                if name == "REPLACE", callsNext { continue }  // the replace(x, y, z) string function
                if writing.contains(name) { return "writes: \(name)" }
                if session.contains(name) { return "not a query: \(name)" }
            default:
                continue
            }
        }
        return depth == 0 ? nil : "unbalanced parentheses: a '(' is never closed"
    }

    /// Why the statement does not start as a query, or nil when it does.
    private static func badStart(of statement: ArraySlice<SQLTokenizer.Token>, _ dialect: SQLDialect) -> String? {
        let index = statement.startIndex
        let lead = statement[index].keyword
        let starts = dialect == .sqlite ? queryStarts : queryStarts.union(["TABLE"])
        guard starts.contains(lead) else {
            let names = dialect == .sqlite ? "SELECT, WITH or VALUES" : "SELECT, WITH, VALUES or TABLE"
            return "not a query: it starts with '\(statement[index].text)', not \(names)"
        }
        guard lead == "WITH" else { return nil }
        // The statement a WITH introduces is its first top-level verb after the common table expressions.
        var depth = 0
        for token in statement[(index + 1)...] {
            switch token.kind {
            case .open: depth += 1
            case .close: depth -= 1
            case .word where depth == 0:
                switch token.keyword {
                case "SELECT", "VALUES": return nil
                case "INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE":
                    return "WITH leads to \(token.keyword), not SELECT"
                default: continue
                }
            default: continue
            }
        }
        return "WITH leads to no SELECT"
    }
}
