import MuxgateWire

/// A check on one argument of the tools a glob matches (`policy.rules[i]`).
///
/// A rule has exactly one check. When the check fails the call gets the rule's effect (`deny` by
/// default, or `ask`). An absent argument (missing or `null`) fails `sql`, `must_match` and `under`
/// and passes `must_not_match`; a present argument that is not a string fails every check.
package struct PolicyRule: Sendable {
    /// What the rule verifies about the argument's value.
    package enum Check: Sendable {
        /// `sql: read_only`: one query statement in the dialect (`dialect:`, SQLite unless said),
        /// using only what the safe lists and the rule's `functions:`, `keywords:` and `operators:`
        /// allow (see `SQLReadOnly`).
        case sqlReadOnly(SQLReadOnly.Rule)
        /// `must_match`: the pattern matches somewhere in the value.
        case mustMatch(PolicyPattern)
        /// `must_not_match`: the pattern matches nowhere in the value.
        case mustNotMatch(PolicyPattern)
        /// `under`: the canonical path is the base or inside it (see `PathContainment`).
        case under(String)
    }

    /// A glob over exposed tool names.
    package var tool: Glob
    /// The name of a top-level member of the call's `arguments`.
    package var argument: String
    package var check: Check
    /// `deny` or `ask`.
    package var effect: PolicyEffect
    /// The operator's words, added to every refusal.
    package var reason: String?

    package init(tool: Glob, argument: String, check: Check, effect: PolicyEffect = .deny, reason: String? = nil) {
        self.tool = tool
        self.argument = argument
        self.check = check
        self.effect = effect
        self.reason = reason
    }

    /// The check as written in the configuration, e.g. `must_match '^(lint|test)$'`.
    package var checkDescription: String {
        switch check {
        case .sqlReadOnly(let rule) where rule.dialect == .sqlite: "sql: read_only"
        case .sqlReadOnly(let rule): "sql: read_only (\(rule.dialect.rawValue))"
        case .mustMatch(let pattern): "must_match: '\(pattern)'"
        case .mustNotMatch(let pattern): "must_not_match: '\(pattern)'"
        case .under(let base): "under: \(base)"
        }
    }
}

extension PolicyRule: Decodable {
    package enum CodingKeys: String, CodingKey, CaseIterable {
        case tool, argument, sql, dialect, functions, keywords, operators, database, under, effect, reason
        case mustMatch = "must_match"
        case mustNotMatch = "must_not_match"
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let here = decoder.codingPath
        for key in [CodingKeys.tool, .argument] where !container.contains(key) {
            throw ConfigIssue(
                .missingKey,
                at: here,
                message: "a rule needs '\(key.stringValue)': 'tool' is a glob over exposed tool names, "
                    + "'argument' the name of the argument it checks"
            )
        }
        tool = try container.decode(Glob.self, forKey: .tool)
        argument = try container.decode(String.self, forKey: .argument)
        guard !argument.isEmpty else {
            throw ConfigIssue(.invalidValue, at: here, key: "argument", message: "the argument name is empty")
        }
        let checks: [CodingKeys] = [.sql, .mustMatch, .mustNotMatch, .under].filter(container.contains)
        guard checks.count == 1, let key = checks.first else {
            let names = checks.map(\.stringValue).joined(separator: ", ")
            throw ConfigIssue(
                checks.isEmpty ? .missingKey : .invalidValue,
                at: here,
                message: checks.isEmpty
                    ? "a rule needs one check: sql, must_match, must_not_match or under"
                    : "a rule has exactly one check, this one has \(names); write one rule for each"
            )
        }
        for sqlOnly in [CodingKeys.dialect, .functions, .keywords, .operators, .database] where key != .sql {
            if container.contains(sqlOnly) {
                throw ConfigIssue(
                    .invalidValue,
                    at: here,
                    key: sqlOnly.stringValue,
                    message: "'\(sqlOnly.stringValue)' goes with a sql check only"
                )
            }
        }
        let text = try container.decode(String.self, forKey: key)
        switch key {
        case .sql:
            guard text == "read_only" else {
                throw ConfigIssue(
                    .invalidValue,
                    at: here,
                    key: key.stringValue,
                    message: "'\(text)' is not a SQL check (use read_only)"
                )
            }
            var dialect = SQLDialect.sqlite
            if let name = try container.decodeIfPresent(String.self, forKey: .dialect) {
                guard let named = SQLDialect(rawValue: name == "postgresql" ? "postgres" : name) else {
                    throw ConfigIssue(
                        .invalidValue,
                        at: here,
                        key: "dialect",
                        message: "'\(name)' is not a SQL dialect muxgate reads (use sqlite or postgres)"
                    )
                }
                dialect = named
            }
            check = .sqlReadOnly(try Self.sqlRule(dialect, container, at: here))
        case .mustMatch, .mustNotMatch:
            let pattern: PolicyPattern
            do {
                pattern = try PolicyPattern(text)
            } catch {
                throw ConfigIssue(
                    .invalidValue,
                    at: here,
                    key: key.stringValue,
                    message: "'\(text)' is not a valid regular expression: \(error)"
                )
            }
            check = key == .mustMatch ? .mustMatch(pattern) : .mustNotMatch(pattern)
        default:
            guard text.hasPrefix("/"), !text.contains("\0") else {
                throw ConfigIssue(
                    .invalidValue,
                    at: here,
                    key: key.stringValue,
                    message: "'\(text)' is not an absolute path"
                )
            }
            check = .under(text)
        }
        let effect = try container.decodeIfPresent(String.self, forKey: .effect) ?? "deny"
        switch effect {
        case "deny": self.effect = .deny
        case "ask": self.effect = .ask
        default:
            throw ConfigIssue(
                .invalidValue,
                at: here,
                key: "effect",
                message: "'\(effect)' is not a rule effect (use deny or ask: a rule acts when its check fails)"
            )
        }
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
    }

    /// The `functions:`, `keywords:` and `operators:` of a `sql: read_only` rule, checked.
    private static func sqlRule(
        _ dialect: SQLDialect,
        _ container: KeyedDecodingContainer<CodingKeys>,
        at here: [any CodingKey]
    ) throws -> SQLReadOnly.Rule {
        var rule = SQLReadOnly.Rule(dialect: dialect)
        for name in try container.decodeIfPresent([String].self, forKey: .functions) ?? [] {
            let parts = name.split(separator: ".", omittingEmptySubsequences: false)
            let valid =
                !name.isEmpty && parts.count <= (dialect == .postgres ? 2 : 1) && parts.allSatisfy { !$0.isEmpty }
                && !name.contains(where: { $0.isWhitespace || "()\"'`;".contains($0) })
            guard valid else {
                throw ConfigIssue(
                    .invalidValue,
                    at: here,
                    key: "functions",
                    message: "'\(name)' is not a function name: write the name alone"
                        + (dialect == .postgres
                            ? ", or schema.name (e.g. reporting.monthly_totals), as the catalog spells it"
                            : " (SQLite's functions have no schema)")
                )
            }
            rule.functions.insert(dialect == .sqlite ? name.lowercased() : name)
        }
        for word in try container.decodeIfPresent([String].self, forKey: .keywords) ?? [] {
            guard SQLReadOnly.isKeyword(word, dialect) else {
                throw ConfigIssue(
                    .invalidValue,
                    at: here,
                    key: "keywords",
                    message:
                        "'\(word)' is not a \(dialect.displayName) keyword; a name that is no keyword needs no entry"
                )
            }
            guard !SQLReadOnly.isWritingKeyword(word, dialect) else {
                throw ConfigIssue(
                    .invalidValue,
                    at: here,
                    key: "keywords",
                    message: "'\(word)' writes, locks or leaves the query: a read-only rule cannot allow it"
                )
            }
            rule.keywords.insert(word.uppercased())
        }
        let operators = try container.decodeIfPresent([String].self, forKey: .operators) ?? []
        if !operators.isEmpty, dialect != .postgres {
            throw ConfigIssue(
                .invalidValue,
                at: here,
                key: "operators",
                message: "'operators' is for dialect: postgres (SQLite has no user-defined operators)"
            )
        }
        for symbol in operators {
            guard !symbol.isEmpty, symbol.allSatisfy({ "~!@#^&|`?+-*/%<>=".contains($0) }) else {
                throw ConfigIssue(
                    .invalidValue,
                    at: here,
                    key: "operators",
                    message: "'\(symbol)' is not an operator name (operators are made of ~!@#^&|`?+-*/%<>=)"
                )
            }
            rule.operators.insert(symbol)
        }
        if let database = try container.decodeIfPresent(String.self, forKey: .database) {
            guard dialect == .sqlite else {
                throw ConfigIssue(
                    .invalidValue,
                    at: here,
                    key: "database",
                    message: "'database' is for dialect: sqlite (SQLite's parser prepares the query against that file)"
                )
            }
            guard database.hasPrefix("/"), !database.contains("\0") else {
                throw ConfigIssue(
                    .invalidValue,
                    at: here,
                    key: "database",
                    message: "'\(database)' is not an absolute path: name the server's SQLite file"
                )
            }
            rule.database = database
        }
        return rule
    }
}
