package import MuxgateConfig
import MuxgateWire

/// One statement's walk for `SQLReadOnly`: where the query starts, then every keyword, call, name
/// and operator against the dialect's safe lists and the rule's additions.
package struct SQLStatementScan {
    package let tokens: [SQLToken]
    package let rule: SQLReadOnly.Rule

    /// What is known about one parenthesis level.
    private struct Frame {
        /// After a query-starting `WITH`, before its main `SELECT`: `name(…)` is a CTE's column list.
        package var cteList = false
        /// This level's `GROUP BY` list: `ROLLUP(…)` and `CUBE(…)` after `BY` or `,` are grouping
        /// syntax (PostgreSQL), not calls.
        package var groupBy = false
        /// This level is `GROUPING SETS (…)`'s list: the same after `(` or `,`.
        package var groupingSets = false
    }

    private var frames: [Frame] = [Frame()]
    private var queryStart = 0

    package init(tokens: [SQLToken], rule: SQLReadOnly.Rule) {
        self.tokens = tokens
        self.rule = rule
    }

    private var dialect: SQLDialect { rule.dialect }
    private var keywords: Set<String> { dialect == .sqlite ? SQLKeywords.sqlite : SQLKeywords.postgres }

    /// Why the statement is not known to be a read, or nil when it is.
    package mutating func refusal() -> String? {
        switch start() {
        case .success(let index): queryStart = index
        case .failure(let problem): return problem.message
        }
        if let why = badStart() { return why }
        for index in queryStart..<tokens.count {
            let why: String?
            switch tokens[index].kind {
            case .open:
                let sets = index > 0 && tokens[index - 1].keyword == "SETS"
                frames.append(Frame(cteList: false, groupBy: false, groupingSets: sets))
                why = nil
            case .close:
                frames.removeLast()
                why = frames.isEmpty ? "unbalanced parentheses: a ')' closes nothing" : nil
            case .word: why = word(at: index)
            case .quotedIdentifier: why = quotedName(at: index)
            case .op: why = op(tokens[index])
            default: why = nil
            }
            if let why { return why }
        }
        return frames.count == 1 ? nil : "unbalanced parentheses: a '(' is never closed"
    }

    // MARK: - The start

    /// Where the query starts: after `EXPLAIN` and what describes the explanation.
    private func start() -> Result<Int, SQLProblem> {
        guard tokens.first?.keyword == "EXPLAIN" else { return .success(0) }
        var index = 1
        switch dialect {
        case .sqlite:
            if tokens.count > 2, tokens[1].keyword == "QUERY", tokens[2].keyword == "PLAN" { index = 3 }
        case .postgres:
            if index < tokens.count, tokens[index].kind == .open {
                // EXPLAIN (ANALYZE, FORMAT JSON, …): option names and values, and commas.
                index += 1
                while index < tokens.count, tokens[index].kind != .close {
                    switch tokens[index].kind {
                    case .word, .string, .number, .comma: index += 1
                    default: return .failure(SQLProblem("EXPLAIN's options hold '\(tokens[index].text)'"))
                    }
                }
                guard index < tokens.count else {
                    return .failure(SQLProblem("unbalanced parentheses: EXPLAIN's '(' is never closed"))
                }
                index += 1
            } else {
                while index < tokens.count, ["ANALYZE", "ANALYSE", "VERBOSE"].contains(tokens[index].keyword) {
                    index += 1
                }
            }
        }
        guard index < tokens.count else { return .failure(SQLProblem("EXPLAIN needs a query to explain")) }
        return .success(index)
    }

    /// Why the statement does not start as a query, or nil when it does.
    private func badStart() -> String? {
        let lead = tokens[queryStart].keyword
        let starts: Set<String> =
            dialect == .sqlite ? ["SELECT", "WITH", "VALUES"] : ["SELECT", "WITH", "VALUES", "TABLE"]
        guard starts.contains(lead) else {
            if SQLReadOnly.isWritingKeyword(lead, dialect) {
                let writes = dialect == .sqlite ? SQLiteSafeLists.writingKeywords : PostgresSafeLists.writingKeywords
                return writes.contains(lead) ? "writes: \(lead)" : "not a query: \(lead)"
            }
            let names = dialect == .sqlite ? "SELECT, WITH or VALUES" : "SELECT, WITH, VALUES or TABLE"
            return "not a query: it starts with '\(tokens[queryStart].text)', not \(names)"
        }
        guard lead == "WITH" else { return nil }
        // The statement a WITH introduces is its first top-level verb after the common table expressions.
        var depth = 0
        for token in tokens[(queryStart + 1)...] {
            switch token.kind {
            case .open: depth += 1
            case .close: depth -= 1
            case .word where depth == 0:
                switch token.keyword {
                case "SELECT", "VALUES", "TABLE": return nil
                case "INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE": return "writes: \(token.keyword)"
                default: continue
                }
            default: continue
            }
        }
        return "WITH leads to no SELECT"
    }

    // MARK: - Words

    private mutating func word(at index: Int) -> String? {
        let token = tokens[index]
        let upper = token.keyword
        let isKeyword = keywords.contains(upper)
        if isKeyword { track(upper, at: index) }
        if next(index)?.kind == .open,
            case .call(let parts) = parenthesis(after: index, keyword: isKeyword ? upper : nil)
        {
            return call(parts)
        }
        if isKeyword {
            return rule.keywords.contains(upper) || safeKeywords.contains(upper) ? nil : keywordRefusal(token, upper)
        }
        return name(token)
    }

    private func quotedName(at index: Int) -> String? {
        if next(index)?.kind == .open, case .call(let parts) = parenthesis(after: index, keyword: nil) {
            return call(parts)
        }
        return name(tokens[index])
    }

    private var safeKeywords: Set<String> {
        dialect == .sqlite ? SQLiteSafeLists.keywords : PostgresSafeLists.keywords
    }

    private func keywordRefusal(_ token: SQLToken, _ upper: String) -> String {
        if dialect == .sqlite
            ? SQLiteSafeLists.writingKeywords.contains(upper)
            : PostgresSafeLists.writingKeywords.contains(upper)
        {
            return "writes: \(upper) (a read-only query has no \(upper))"
        }
        if dialect == .sqlite, SQLiteSafeLists.sessionKeywords.contains(upper) {
            return "not a query: \(upper) (if it is a column or table, quote it: \"\(token.text)\")"
        }
        return "\(upper) is not a keyword a read needs; if it is a column or table, quote it "
            + "(\"\(token.text)\"), or add it to the rule's keywords: if it is safe there"
    }

    /// A name that is not called: in SQLite, a `pragma_*` table runs its pragma.
    private func name(_ token: SQLToken) -> String? {
        guard dialect == .sqlite else { return nil }
        let name = asciiLowercased(token.text)
        guard name.hasPrefix("pragma_"), !SQLiteSafeLists.pragmaTables.contains(name), !rule.functions.contains(name)
        else { return nil }
        return "reads \(name), which runs PRAGMA \(name.dropFirst(7)) and may change the database; only the "
            + "read-only pragmas' tables (pragma_table_info, pragma_index_list, …) are known; if it only reads, "
            + "add '\(name)' to the rule's functions:"
    }

    /// Keeps the per-level state that tells syntax from calls.
    private mutating func track(_ upper: String, at index: Int) {
        let level = frames.count - 1
        switch upper {
        case "WITH":
            let startsQuery = index == queryStart || tokens[index - 1].kind == .open
            var j = index + 1
            if j < tokens.count, tokens[j].keyword == "RECURSIVE" { j += 1 }
            if startsQuery, j + 1 < tokens.count, tokens[j].kind == .word || tokens[j].kind == .quotedIdentifier,
                tokens[j + 1].kind == .open || tokens[j + 1].keyword == "AS"
            {
                frames[level].cteList = true
            }
        case "SELECT", "VALUES", "TABLE":
            frames[level].cteList = false
            frames[level].groupBy = false
        case "BY":
            if index > 0, tokens[index - 1].keyword == "GROUP" { frames[level].groupBy = true }
        case "HAVING", "WINDOW", "ORDER", "LIMIT", "OFFSET", "FETCH", "FOR", "UNION", "INTERSECT", "EXCEPT":
            frames[level].groupBy = false
        default:
            break
        }
    }

    private func next(_ index: Int) -> SQLToken? { index + 1 < tokens.count ? tokens[index + 1] : nil }

    // MARK: - Parentheses after a name

    private enum ParenthesisUse {
        /// A function call of the qualified name `parts`.
        case call([SQLToken])
        /// Syntax: `IN (…)`, `OVER (…)`, a type's modifiers, a CTE's or alias's column list.
        case syntax
    }

    /// What the `(` after the name at `index` means; `keyword` is the name upper-cased if it is a
    /// bare keyword.
    private func parenthesis(after index: Int, keyword: String?) -> ParenthesisUse {
        var first = index
        while first >= 2, tokens[first - 1].kind == .dot,
            tokens[first - 2].kind == .word || tokens[first - 2].kind == .quotedIdentifier
        {
            first -= 2
        }
        let parts = stride(from: first, through: index, by: 2).map { tokens[$0] }
        let previous = first > queryStart ? tokens[first - 1] : nil
        // A type's modifiers or an alias's columns: CAST(x AS numeric(10,2)), x::varchar(3), … AS t(a, b).
        if let previous, (previous.kind == .op && previous.text == "::") || previous.keyword == "AS" {
            return .syntax
        }
        guard parts.count == 1 else { return .call(parts) }
        // TABLESAMPLE's built-in methods (their handlers are functions of these names, taking `internal`).
        if dialect == .postgres, previous?.keyword == "TABLESAMPLE",
            ["system", "bernoulli"].contains(resolvedName(parts[0]))
        {
            return .syntax
        }
        // A CTE's column list: WITH [RECURSIVE] name(a, b) AS (…), name2(c) AS (…).
        if frames[frames.count - 1].cteList, let previous,
            previous.kind == .comma || previous.keyword == "WITH" || previous.keyword == "RECURSIVE"
        {
            return .syntax
        }
        if let keyword { return keywordParenthesis(keyword, at: first) ? .syntax : .call(parts) }
        // An alias's column list right after a table or function: FROM t a(x, y), FROM f() g(n).
        if let previous,
            previous.kind == .close || previous.kind == .quotedIdentifier
                || (previous.kind == .word && !keywords.contains(previous.keyword))
        {
            return .syntax
        }
        return .call(parts)
    }

    /// Whether a bare keyword followed by `(` is syntax (not a call of a function of that name).
    ///
    /// A keyword that can also name a function is syntax only where the grammar cannot read a call:
    /// `OVER (` after `)`, `BY (` after `ORDER`, an infix `LIKE (` after an operand (after `NOT`,
    /// only when the `NOT` follows an operand: `SELECT NOT like(…)` calls `like`).
    private func keywordParenthesis(_ keyword: String, at index: Int) -> Bool {
        let previous = index > queryStart ? tokens[index - 1] : nil
        let beforePrevious = index - 1 > queryStart ? tokens[index - 2] : nil
        let before = previous?.keyword ?? ""
        let afterClose = previous?.kind == .close
        let afterAS = before == "AS" || (before == "NOT" && beforePrevious?.keyword == "AS")
        let infix = endsOperand(previous) || (before == "NOT" && endsOperand(beforePrevious))
        switch dialect {
        case .sqlite:
            switch keyword {
            case "AND", "OR", "NOT", "IN", "EXISTS", "VALUES", "AS", "SELECT", "FROM", "WHERE", "ON", "USING",
                "JOIN", "WHEN", "THEN", "ELSE", "CASE", "LIMIT", "HAVING", "IS", "BETWEEN", "DISTINCT", "ALL",
                "UNION", "INTERSECT", "EXCEPT", "CAST", "ISNULL", "NOTNULL":
                return true
            case "OVER", "FILTER": return afterClose
            case "MATERIALIZED": return afterAS
            case "BY": return ["ORDER", "GROUP", "PARTITION"].contains(before)
            case "OFFSET", "ESCAPE": return endsOperand(previous)
            default: return false
            }
        case .postgres:
            if SQLKeywords.postgresReserved.contains(keyword) || SQLKeywords.postgresColumnName.contains(keyword) {
                return true  // never a function name unless quoted
            }
            let frame = frames[frames.count - 1]
            switch keyword {
            case "OVER", "FILTER", "REPEATABLE", "OVERLAPS": return afterClose
            case "ESCAPE", "COLUMNS", "IS": return endsOperand(previous)
            case "LIKE", "ILIKE", "SIMILAR": return infix
            case "JOIN":
                return endsOperand(previous)
                    || ["INNER", "LEFT", "RIGHT", "FULL", "OUTER", "CROSS", "NATURAL"].contains(before)
            case "BY": return ["ORDER", "GROUP", "PARTITION"].contains(before)
            case "FIRST", "NEXT": return before == "FETCH"
            case "SETS": return before == "GROUPING"
            case "CUBE", "ROLLUP":
                return (frame.groupBy && (before == "BY" || previous?.kind == .comma))
                    || (frame.groupingSets && (previous?.kind == .open || previous?.kind == .comma))
            case "MATERIALIZED": return afterAS
            case "VARYING": return ["CHARACTER", "CHAR", "NCHAR", "BIT"].contains(before)
            case "OPERATOR": return true  // OPERATOR(schema.op): refused as a keyword, with that message
            default: return false
            }
        }
    }

    /// Whether `token` ends an operand: a name, literal, parameter or closing bracket.
    private func endsOperand(_ token: SQLToken?) -> Bool {
        guard let token else { return false }
        switch token.kind {
        case .close, .closeBracket, .quotedIdentifier, .string, .blob, .number, .parameter: return true
        case .word: return !keywords.contains(token.keyword)
        default: return false
        }
    }
}
