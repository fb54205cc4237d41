/// Decides whether a text is one read-only SQLite query: the `sql: read_only` check.
///
/// The text is tokenized as SQLite does (`SQLTokenizer`), so keywords inside string literals,
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

    /// Checks one text.
    package static func check(_ sql: String) -> Verdict {
        let tokens: [SQLTokenizer.Token]
        switch SQLTokenizer.tokenize(sql) {
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
        if let refusal = forbiddenToken(in: statement) { return .refused(refusal) }
        if let refusal = badStart(of: statement) { return .refused(refusal) }
        return .readOnly
    }

    /// The first keyword or function call that could write, with why.
    private static func forbiddenToken(in statement: [SQLTokenizer.Token]) -> String? {
        var depth = 0
        for (index, token) in statement.enumerated() {
            let callsNext = index + 1 < statement.count && statement[index + 1].kind == .open
            switch token.kind {
            case .open:
                depth += 1
            case .close:
                depth -= 1
                if depth < 0 { return "unbalanced parentheses: a ')' closes nothing" }
            case .word, .quotedIdentifier:
                let name = token.text.uppercased()
                if callsNext, forbiddenFunctions.contains(name) {
                    return "calls \(token.text)(), which touches files or extensions"
                }
                guard token.kind == .word else { continue }
                if name == "REPLACE", callsNext { continue }  // the replace(x, y, z) string function
                if writingKeywords.contains(name) { return "writes: \(name)" }
                if sessionKeywords.contains(name) { return "not a query: \(name)" }
            default:
                continue
            }
        }
        return depth == 0 ? nil : "unbalanced parentheses: a '(' is never closed"
    }

    /// Why the statement does not start as a query, or nil when it does.
    private static func badStart(of statement: [SQLTokenizer.Token]) -> String? {
        var index = 0
        if statement.first?.keyword == "EXPLAIN" {
            index = 1
            if statement.count > 2, statement[1].keyword == "QUERY", statement[2].keyword == "PLAN" { index = 3 }
        }
        guard index < statement.count else { return "EXPLAIN needs a query to explain" }
        let lead = statement[index].keyword
        guard queryStarts.contains(lead) else {
            return "not a query: it starts with '\(statement[index].text)', not SELECT, WITH or VALUES"
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
                case "INSERT", "UPDATE", "DELETE", "REPLACE": return "WITH leads to \(token.keyword), not SELECT"
                default: continue
                }
            default: continue
            }
        }
        return "WITH leads to no SELECT"
    }
}
