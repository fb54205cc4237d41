package import MuxgateConfig
package import MuxgateWire
import Synchronization

/// The decisions of the policy in force: the profile's, then the argument rules' (`PolicyRule`'s
/// checks). The policy itself, as the configuration states it, is `PolicyEngine` in MuxgateConfig.
extension PolicyEngine {
    /// Decides one call.
    ///
    /// - Parameters:
    ///   - tool: the exposed tool name.
    ///   - scope: the tool's scope.
    ///   - arguments: the call's `arguments` object, if any.
    ///   - workingDirectory: where the child resolves relative paths (nil: not known here, a remote
    ///     server), worked out only if an `under` rule meets a relative path.
    package func decide(
        tool: String,
        scope: Scope,
        arguments: JSONSlice?,
        workingDirectory: () -> String? = { nil }
    ) -> PolicyDecision {
        let base = profileDecision(tool: tool, scope: scope)
        guard base.effect != .deny, !rules.isEmpty else { return base }
        var firstAsk: PolicyDecision?
        for (index, rule) in rules.enumerated() where rule.tool.matches(tool) {
            guard let failure = rule.failure(in: arguments, workingDirectory: workingDirectory) else { continue }
            let name = "rules[\(index)]"
            let verb = rule.effect == .deny ? "is denied by" : "needs approval under"
            var reason =
                "\(Self.subject(tool, scope)) \(verb) \(name) (tool '\(rule.tool)', \(rule.checkDescription)): \(failure)"
            if let text = rule.reason { reason += "; reason: \(text)" }
            let decision = PolicyDecision(effect: rule.effect, rule: name, reason: reason)
            if rule.effect == .deny { return decision }
            if firstAsk == nil { firstAsk = decision }
        }
        return firstAsk ?? base
    }

    /// The profile's decision for a tool and scope, sentences included. It depends on nothing
    /// else, so it is worked out once per tool (every call used to build four sentences).
    private func profileDecision(tool: String, scope: Scope) -> PolicyDecision {
        let key = ProfileDecisions.Key(tool: tool, scope: scope)
        if let known = profileDecisions.cache.withLock({ $0[key] }) { return known }
        let (effect, entry) = profile.effect(tool: tool, scope: scope)
        let label =
            entry.map { "profile \(profileName): \(effect.rawValue) \($0)" } ?? "profile \(profileName): default deny"
        let decision: PolicyDecision
        if let entry, effect != .deny {
            let verb = effect == .ask ? "needs approval under" : "is allowed by"
            decision = PolicyDecision(
                effect: effect,
                rule: label,
                reason:
                    "\(Self.subject(tool, scope)) \(verb) profile '\(profileName)': its entry '\(effect.rawValue): \(entry)' matches"
            )
        } else {
            let why =
                entry.map { "its entry 'deny: \($0)' matches" }
                ?? "nothing in it allows this tool, and whatever a profile does not allow is denied"
            decision = PolicyDecision(
                effect: .deny,
                rule: label,
                reason: "\(Self.subject(tool, scope)) is denied by profile '\(profileName)': \(why)"
            )
        }
        profileDecisions.cache.withLock { cache in
            if cache.count >= ProfileDecisions.limit { cache.removeAll() }
            cache[key] = decision
        }
        return decision
    }

    private static func subject(_ tool: String, _ scope: Scope) -> String {
        "tool '\(tool)' (scope \(scope.rawValue))"
    }
}
