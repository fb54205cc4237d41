import MuxgateWire

/// The SQL a `sql: read_only` rule reads: how its text is split into tokens differs.
package enum SQLDialect: String, Sendable, CaseIterable {
    case sqlite
    case postgres

    /// The dialect's name in messages.
    package var displayName: String { self == .sqlite ? "SQLite" : "PostgreSQL" }
}

/// The `sql: read_only` check, as the configuration states it: a rule's dialect and what it adds
/// to the safe lists, and the verdict. The check itself is MuxgatePolicy's (`SQLReadOnly.check`).
package enum SQLReadOnly {
    /// The outcome of the check.
    package enum Verdict: Sendable, Equatable {
        case readOnly
        /// Refused, with why (`stacked statements …`, `writes: DELETE`, `calls nextval(), …`).
        case refused(String)
    }

    /// What one `sql: read_only` rule accepts: its dialect and what the rule adds to the safe lists.
    package struct Rule: Sendable, Equatable {
        package var dialect: SQLDialect
        /// Functions the operator knows to be free of effects, as written in `functions:` (SQLite:
        /// lower-cased; PostgreSQL: the name as the catalog holds it, `schema.name` when qualified).
        package var functions: Set<String>
        /// Keywords the operator allows (`keywords:`), upper-cased.
        package var keywords: Set<String>
        /// PostgreSQL operators the operator knows to be built on functions free of effects.
        package var operators: Set<String>
        /// SQLite: the server's database file (`database:`), for `SQLiteSchemaCheck`'s second layer.
        package var database: String?

        package init(
            dialect: SQLDialect = .sqlite,
            functions: Set<String> = [],
            keywords: Set<String> = [],
            operators: Set<String> = [],
            database: String? = nil
        ) {
            self.dialect = dialect
            self.functions = functions
            self.keywords = keywords
            self.operators = operators
            self.database = database
        }
    }

    /// Whether `word` is a keyword of `dialect` (any case).
    package static func isKeyword(_ word: String, _ dialect: SQLDialect) -> Bool {
        let upper = asciiUppercased(word)
        return dialect == .sqlite ? SQLKeywords.sqlite.contains(upper) : SQLKeywords.postgres.contains(upper)
    }

    /// Whether `keyword` writes, locks or leaves the query (or names any operator), so that no rule
    /// may allow it.
    package static func isWritingKeyword(_ keyword: String, _ dialect: SQLDialect) -> Bool {
        let upper = asciiUppercased(keyword)
        switch dialect {
        case .sqlite:
            return SQLiteSafeLists.writingKeywords.contains(upper) || SQLiteSafeLists.sessionKeywords.contains(upper)
        case .postgres:
            // OPERATOR(schema.op) names any operator: the token-level check relies on refusing it.
            return PostgresSafeLists.writingKeywords.contains(upper) || upper == "OPERATOR"
        }
    }
}

/// `text` with ASCII `a`–`z` upper-cased and nothing else changed (SQL keywords fold ASCII only).
package func asciiUppercased(_ text: String) -> String {
    String(decoding: text.utf8.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }, as: UTF8.self)
}
