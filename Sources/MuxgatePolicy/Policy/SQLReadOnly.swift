package import MuxgateConfig
import MuxgateWire

/// Decides whether a text is one read-only SQLite or PostgreSQL query: the `sql: read_only` check.
///
/// It fails closed: it lets through only what it positively knows to be free of effects in the
/// dialect, and says why it refused anything else and what to configure.
///
/// 1. The text is tokenized exactly as the server does (`SQLiteTokenizer`, a port of SQLite's
///    `tokenize.c`; `PostgresTokenizer`, of PostgreSQL's `scan.l`), so literals, quoted names,
///    parameters and comments are where the server sees them. Anything the server would read
///    differently depending on its settings, or reject, is refused.
/// 2. Exactly one statement (a trailing `;` and comments are fine).
/// 3. It starts as a query: `SELECT`, `WITH` or `VALUES` (PostgreSQL also `TABLE`), optionally after
///    `EXPLAIN [QUERY PLAN]` (SQLite) or `EXPLAIN` with options (PostgreSQL; `EXPLAIN ANALYZE`
///    runs the query, which is held to the same rules).
/// 4. Every keyword is on the dialect's list of keywords a read needs (`SQLiteSafeLists.keywords`,
///    `PostgresSafeLists.keywords`) or the rule's `keywords:`; any other keyword is refused, so a
///    column named like one must be quoted. Words that are no keyword are names.
/// 5. Every function call — a name, quoted name or `schema.name` followed by `(` — is on the list
///    of functions known to be free of effects (`…SafeLists.functions`) or the rule's
///    `functions:`; in PostgreSQL a qualified name only in `pg_catalog`. Syntax that takes
///    parentheses (`IN (…)`, `OVER (…)`, `CAST(… AS numeric(10,2))`, a CTE's or alias's column
///    list) is told apart from calls the way the grammar does.
/// 6. SQLite: every `pragma_*` table is one of the read-only pragmas. PostgreSQL: every operator is
///    a built-in one (`PostgresSafeLists.operators`) or in the rule's `operators:`.
///
/// What it cannot see: functions, operators, casts and types the database defines and that a
/// view, rule, trigger, default or overload calls behind a name it allows. Pair the rule with a
/// read-only database role.
extension SQLReadOnly {
    /// Checks one text against the dialect's lists alone.
    package static func check(_ sql: String, dialect: SQLDialect = .sqlite) -> Verdict {
        check(sql, rule: Rule(dialect: dialect))
    }

    /// Checks one text against a rule's lists.
    package static func check(_ sql: String, rule: Rule) -> Verdict {
        let tokens: [SQLToken]
        switch SQLTokenizer.tokenize(sql, dialect: rule.dialect) {
        case .success(let list): tokens = list
        case .failure(let problem): return .refused(problem.message)
        }
        let statements = tokens.split(whereSeparator: { $0.kind == .semicolon })
        guard let statement = statements.first else {
            return .refused("there is no statement (only whitespace, comments or ';')")
        }
        guard statements.count == 1 else {
            let second = statements[statements.startIndex + 1].first.map { "'\($0.text)'" } ?? "?"
            return .refused("stacked statements: \(statements.count) statements, the second starting with \(second)")
        }
        var scan = SQLStatementScan(tokens: Array(statement), rule: rule)
        if let refusal = scan.refusal() { return .refused(refusal) }
        return .readOnly
    }
}
