import MuxgateWire
package import Synchronization

/// Decides, for every call and every listed tool, whether the active profile and the argument
/// rules allow it, ask the user first, or deny it.
///
/// The order: the profile's effect for the tool and its scope; a profile `deny` is final. Then
/// every rule whose glob matches the tool, in configuration order: a failing check contributes the
/// rule's effect. Any `deny` wins; otherwise any `ask` (from the profile or a rule) asks; otherwise
/// the call is allowed.
package struct PolicyEngine: Sendable {
    /// The active profile's name.
    package let profileName: String
    package let profile: PolicyProfile
    package let rules: [PolicyRule]
    /// Denied tools are left out of `tools/list`.
    package let hideDenied: Bool
    /// False when the config has no `policy:` section (muxgate runs as a plain aggregator).
    package let isConfigured: Bool
    package let profileDecisions = ProfileDecisions()

    /// Picks the active profile.
    ///
    /// - Parameters:
    ///   - config: the `policy:` section; nil runs profile `full` with no rules. A section that names
    ///     no profile needs an override: a security policy does not fall back to `full` silently.
    ///   - profileOverride: from `--profile` or `MUXGATE_PROFILE`; an empty string counts as unset.
    /// - Throws: `ConfigIssue` at `policy.profile` when the profile does not exist or none is named.
    package init(config: PolicyConfig?, profileOverride: String?) throws(ConfigIssue) {
        isConfigured = config != nil
        let config = config ?? PolicyConfig(profile: nil)
        let override = profileOverride.flatMap { $0.isEmpty ? nil : $0 }
        let name: String
        if let chosen = override ?? config.profile {
            name = chosen
        } else if !isConfigured {
            name = "full"
        } else {
            throw ConfigIssue(
                code: .missingKey,
                path: ["policy", "profile"],
                message: "the policy names no active profile; set 'profile:' or pass --profile or MUXGATE_PROFILE "
                    + "(known profiles: \(config.profileNames.joined(separator: ", ")))"
            )
        }
        guard let profile = config.allProfiles[name] else {
            let source = override != nil ? " (from --profile or MUXGATE_PROFILE)" : ""
            throw ConfigIssue(
                code: .invalidValue,
                path: ["policy", "profile"],
                message: config.unknownProfile(name) + source
            )
        }
        self.profileName = name
        self.profile = profile
        self.rules = config.rules
        self.hideDenied = config.hideDenied
    }

    /// True when nothing is ever asked or denied: the profile allows every scope and there are no rules.
    package var isUnrestricted: Bool { profile.allowsEverything && rules.isEmpty }

    /// The profile's effect alone, for listing tools (arguments are not known yet).
    package func listingEffect(tool: String, scope: Scope) -> PolicyEffect {
        profile.effect(tool: tool, scope: scope).effect
    }
}

/// The profile's decisions worked out so far (tool names are bounded by the catalogue; the limit
/// guards against a client calling endless unknown names).
package final class ProfileDecisions: Sendable {
    package struct Key: Hashable, Sendable {
        package let tool: String
        package let scope: Scope

        package init(tool: String, scope: Scope) {
            self.tool = tool
            self.scope = scope
        }
    }

    package static let limit = 10_000
    package let cache = Mutex<[Key: PolicyDecision]>([:])
}

extension PolicyEngine {
    /// A profile named `name` that allows nothing: what a caller gets whose profile is not in the
    /// configuration in force.
    package static func allowingNothing(_ name: String) -> PolicyEngine {
        do {
            return try PolicyEngine(
                config: PolicyConfig(profile: name, profiles: [name: PolicyProfile()]),
                profileOverride: nil
            )
        } catch {
            preconditionFailure("a configured profile is always valid: \(error)")
        }
    }

    /// No `policy:` section: profile `full`, no rules — a plain aggregator.
    package static let full: PolicyEngine = {
        do {
            return try PolicyEngine(config: nil, profileOverride: nil)
        } catch {
            preconditionFailure("the built-in profile 'full' is always valid: \(error)")
        }
    }()
}
