import MuxgateWire

/// The operator's classification of one child's tools (`servers.NAME.scopes`).
///
/// Globs match the child's own tool names, before muxgate renames them. A name in several lists
/// gets the most restrictive scope: `destructive` over `write` over `read`.
package struct ScopesConfig: Sendable, Decodable, Equatable {
    package var read: [Glob]
    package var write: [Glob]
    package var destructive: [Glob]

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case read, write, destructive
    }

    package init(read: [Glob] = [], write: [Glob] = [], destructive: [Glob] = []) {
        self.read = read
        self.write = write
        self.destructive = destructive
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        read = try container.decodeIfPresent([Glob].self, forKey: .read) ?? []
        write = try container.decodeIfPresent([Glob].self, forKey: .write) ?? []
        destructive = try container.decodeIfPresent([Glob].self, forKey: .destructive) ?? []
    }

    /// The globs listed for one scope.
    package func globs(for scope: Scope) -> [Glob] {
        switch scope {
        case .read: read
        case .write: write
        case .destructive: destructive
        }
    }

    /// The most restrictive scope whose list matches `childToolName`; nil when none does.
    package func scope(for childToolName: String) -> Scope? {
        Scope.allCases.reversed().first { scope in
            globs(for: scope).contains { $0.matches(childToolName) }
        }
    }
}
