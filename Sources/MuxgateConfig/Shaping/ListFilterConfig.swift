import MuxgateWire

/// Which of a child's items muxgate exposes (`servers.NAME.prompts` and `servers.NAME.resources`).
///
/// `allow` lists globs over the child's names (prompts) or URIs (resources); without it every
/// item is allowed. `deny` wins over `allow`. An empty `allow: []` exposes nothing.
package struct ListFilterConfig: Sendable, Decodable {
    /// Globs of the items to expose; nil exposes all.
    package var allow: [Glob]?
    /// Globs of the items to hide even when allowed.
    package var deny: [Glob]

    package enum CodingKeys: String, CodingKey, CaseIterable { case allow, deny }

    package init(allow: [Glob]? = nil, deny: [Glob] = []) {
        self.allow = allow
        self.deny = deny
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        allow = try container.decodeIfPresent([Glob].self, forKey: .allow)
        deny = try container.decodeIfPresent([Glob].self, forKey: .deny) ?? []
    }

    /// True when the item is allowed and not denied.
    package func admits(_ name: String) -> Bool {
        if let allow, !allow.contains(where: { $0.matches(name) }) { return false }
        return !deny.contains { $0.matches(name) }
    }

    /// One line for each allow or deny glob that matches none of `names`.
    ///
    /// - Parameters:
    ///   - section: the key the filter sits under (`prompts`, `resources`, `tools`), for the message.
    ///   - server: the child's name, for the message.
    package func unmatchedRules(section: String, server: String, names: [String]) -> [String] {
        let what = section == "resources" ? "resource" : String(section.dropLast())
        var lines: [String] = []
        for (key, globs) in [("allow", allow ?? []), ("deny", deny)] {
            for glob in globs where !names.contains(where: glob.matches) {
                lines.append("\(section).\(key): '\(glob.pattern)' matched no \(what) of server '\(server)'")
            }
        }
        return lines
    }
}
