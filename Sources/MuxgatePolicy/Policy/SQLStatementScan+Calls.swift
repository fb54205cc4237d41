package import MuxgateConfig
import MuxgateWire

/// Function calls and operators against the safe lists.
extension SQLStatementScan {
    /// PostgreSQL's `NAMEDATALEN - 1`: longer names are cut (at a character boundary).
    package static let postgresNameLimit = 63

    /// The name a token stands for as the server resolves it: SQLite folds ASCII case whether quoted
    /// or not; PostgreSQL folds an unquoted name and keeps a quoted one, then cuts both to 63 bytes.
    package func resolvedName(_ token: SQLToken) -> String {
        switch rule.dialect {
        case .sqlite:
            return asciiLowercased(token.text)
        case .postgres:
            let name = token.kind == .word ? asciiLowercased(token.text) : token.text
            guard name.utf8.count > Self.postgresNameLimit else { return name }
            var cut = ""
            for character in name.unicodeScalars {
                if cut.utf8.count + String(character).utf8.count > Self.postgresNameLimit { break }
                cut.unicodeScalars.append(character)
            }
            return cut
        }
    }

    /// A call of the qualified name `parts`: nil when it is known to be free of effects.
    package func call(_ parts: [SQLToken]) -> String? {
        let names = parts.map(resolvedName)
        let written = zip(parts, names).map { token, name in
            token.kind == .quotedIdentifier && name != asciiLowercased(name) ? "\"\(name)\"" : name
        }.joined(separator: ".")
        let function = names[names.count - 1]
        switch rule.dialect {
        case .sqlite:
            // Only a table-valued function may be qualified (by its schema); the name decides.
            if names.count <= 2, SQLiteSafeLists.functions.contains(function) || rule.functions.contains(function) {
                return nil
            }
            if let effect = SQLiteSafeLists.knownEffects[function] {
                return "calls \(written)(), which has effects: \(effect)"
            }
            return "calls \(written)(), which is not on the list of SQLite functions known to be free of "
                + "effects; if it is free of effects, add '\(function)' to the rule's functions:"
        case .postgres:
            return Self.postgresCall(names, written: written, rule: rule)
        }
    }

    /// A PostgreSQL call of the resolved, qualified name `names` (also `PostgresParseCheck`'s).
    package static func postgresCall(_ names: [String], written: String, rule: SQLReadOnly.Rule) -> String? {
        let function = names[names.count - 1]
        let qualified = names.joined(separator: ".")
        if rule.functions.contains(qualified) { return nil }
        if names.count == 1 || (names.count == 2 && names[0] == "pg_catalog"),
            PostgresSafeLists.functions.contains(function), !PostgresSafeLists.excludedFunctions.contains(function)
        {
            return nil
        }
        if let effect = PostgresSafeLists.knownEffects.first(where: { function.hasPrefix($0.prefix) }) {
            return "calls \(written)(), which has effects: \(effect.why)"
        }
        if names.count > 1, names[0] != "pg_catalog" {
            return "calls \(written)(), a function of schema \(names[0]): only pg_catalog's functions are "
                + "known; if it is free of effects, add '\(qualified)' to the rule's functions:"
        }
        return "calls \(written)(), which is not on the list of PostgreSQL functions known to be free of "
            + "effects; if it is free of effects, add '\(qualified)' to the rule's functions:"
    }

    /// A PostgreSQL operator, `schema` its qualification in `OPERATOR(schema.op)` if any.
    package static func postgresOperator(_ symbol: String, schema: String? = nil, rule: SQLReadOnly.Rule) -> String? {
        if schema == nil || schema == "pg_catalog",
            PostgresSafeLists.operators.contains(symbol) || rule.operators.contains(symbol)
        {
            return nil
        }
        let written = schema.map { "OPERATOR(\($0).\(symbol))" } ?? symbol
        return "uses the operator \(written), which is not a built-in PostgreSQL operator (a user-defined "
            + "operator calls a function of the user's); if it is free of effects, add it to the rule's operators:"
    }

    /// An operator: PostgreSQL's may be user-defined (and call any function).
    package func op(_ token: SQLToken) -> String? {
        rule.dialect == .postgres ? Self.postgresOperator(token.text, rule: rule) : nil
    }
}
