import MuxgateWire

/// A named set of grants: which scopes and tools are allowed, asked about, or denied.
///
/// Entries are scope names (`read`, `write`, `destructive`) or globs over exposed tool names.
/// An entry naming tools beats an entry naming a scope; among entries of the same kind
/// `deny` beats `ask` beats `allow`; a tool no entry matches is denied (default-deny).
package struct PolicyProfile: Sendable, Equatable, Decodable {
    /// One item of an `allow`, `ask` or `deny` list.
    package enum Entry: Sendable, Hashable, CustomStringConvertible {
        case scope(Scope)
        case tool(Glob)

        package var description: String {
            switch self {
            case .scope(let scope): scope.rawValue
            case .tool(let glob): glob.pattern
            }
        }
    }

    package var allow: [Entry]
    package var ask: [Entry]
    package var deny: [Entry]

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case allow, ask, deny
    }

    package init(allow: [Entry] = [], ask: [Entry] = [], deny: [Entry] = []) {
        self.allow = allow
        self.ask = ask
        self.deny = deny
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func entries(_ key: CodingKeys) throws -> [Entry] {
            guard container.contains(key) else { return [] }
            var list = try container.nestedUnkeyedContainer(forKey: key)
            var result: [Entry] = []
            while !list.isAtEnd {
                let path = list.codingPath + [AnyCodingKey(index: list.currentIndex)]
                let text = try list.decode(String.self)
                if let scope = Scope(rawValue: text) {
                    result.append(.scope(scope))
                } else {
                    do {
                        result.append(.tool(try Glob(text)))
                    } catch {
                        throw ConfigIssue(
                            .invalidValue,
                            at: path,
                            message: "'\(text)' is neither a scope (read, write, destructive) nor a valid tool glob: "
                                + error.message
                        )
                    }
                }
            }
            return result
        }
        allow = try entries(.allow)
        ask = try entries(.ask)
        deny = try entries(.deny)
    }

    /// The profiles that exist without configuration; a configured profile of the same name replaces one.
    package static let builtIns: [String: PolicyProfile] = [
        "readonly": PolicyProfile(allow: [.scope(.read)]),
        "developer": PolicyProfile(allow: [.scope(.read), .scope(.write)], ask: [.scope(.destructive)]),
        "full": PolicyProfile(allow: Scope.allCases.map(Entry.scope)),
    ]

    /// True when the profile allows every scope and asks or denies nothing.
    package var allowsEverything: Bool {
        ask.isEmpty && deny.isEmpty && Scope.allCases.allSatisfy { allow.contains(.scope($0)) }
    }

    /// The entries listed under `effect`.
    package func entries(for effect: PolicyEffect) -> [Entry] {
        switch effect {
        case .allow: allow
        case .ask: ask
        case .deny: deny
        }
    }

    /// The profile's effect on an exposed tool of the given scope, and the entry that decided it
    /// (nil when nothing matched and the default deny applies).
    package func effect(tool: String, scope: Scope) -> (effect: PolicyEffect, entry: Entry?) {
        let severest = PolicyEffect.allCases.sorted(by: >)
        for effect in severest {
            if let entry = entries(for: effect).first(where: {
                if case .tool(let g) = $0 { g.matches(tool) } else { false }
            }) {
                return (effect, entry)
            }
        }
        for effect in severest where entries(for: effect).contains(.scope(scope)) {
            return (effect, .scope(scope))
        }
        return (.deny, nil)
    }
}
