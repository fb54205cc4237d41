import MuxgateWire

/// The `policy:` section: the active profile, the profiles, and the argument rules.
///
/// Built-in profiles (`readonly`, `developer`, `full`) exist without configuration; a configured
/// profile with the same name replaces one. A config without a `policy:` section runs as `full`.
package struct PolicyConfig: Sendable, Decodable {
    /// The active profile; `--profile` or `MUXGATE_PROFILE` override it.
    package var profile: String?
    /// Denied tools are left out of `tools/list`.
    package var hideDenied: Bool
    /// The configured profiles (built-ins not included, see `allProfiles`).
    package var profiles: [String: PolicyProfile]
    package var rules: [PolicyRule]

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case profile, profiles, rules
        case hideDenied = "hide_denied"
    }

    package init(
        profile: String?,
        hideDenied: Bool = true,
        profiles: [String: PolicyProfile] = [:],
        rules: [PolicyRule] = []
    ) {
        self.profile = profile
        self.hideDenied = hideDenied
        self.profiles = profiles
        self.rules = rules
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        profile = try container.decodeIfPresent(String.self, forKey: .profile)
        hideDenied = try container.decodeIfPresent(Bool.self, forKey: .hideDenied) ?? true
        profiles = try container.decodeIfPresent([String: PolicyProfile].self, forKey: .profiles) ?? [:]
        rules = try container.decodeIfPresent([PolicyRule].self, forKey: .rules) ?? []
        for name in profiles.keys where name.isEmpty {
            throw ConfigIssue(
                .invalidValue,
                at: decoder.codingPath,
                key: "profiles",
                message: "a profile name is empty"
            )
        }
        if let profile, allProfiles[profile] == nil {
            throw ConfigIssue(.invalidValue, at: decoder.codingPath, key: "profile", message: unknownProfile(profile))
        }
    }

    /// The built-in profiles overlaid with the configured ones.
    package var allProfiles: [String: PolicyProfile] {
        PolicyProfile.builtIns.merging(profiles) { _, configured in configured }
    }

    /// Every profile name, sorted.
    package var profileNames: [String] { allProfiles.keys.sorted() }

    /// A message for a profile name that does not exist, listing those that do.
    package func unknownProfile(_ name: String) -> String {
        var message = "there is no profile '\(name)'"
        if let guess = profileNames.min(by: { editDistance($0, name) < editDistance($1, name) }),
            editDistance(guess, name) <= max(2, guess.count / 3)
        {
            message += " (did you mean '\(guess)'?)"
        }
        return message + "; known profiles: \(profileNames.joined(separator: ", "))"
    }
}
