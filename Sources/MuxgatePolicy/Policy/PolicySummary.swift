package import MuxgateConfig

extension MuxgateConfig {
    /// One sentence on the policy in force, for the start-up log and `check`.
    package var policySummary: String {
        if !policy.isConfigured && policy.profileName == "full" {
            return "no policy: section — running as profile 'full': every tool of every server is allowed"
        }
        let rules = policy.rules.isEmpty ? "no argument rules" : "\(policy.rules.count) argument rules"
        return
            "policy profile '\(policy.profileName)', \(rules), denied tools \(policy.hideDenied ? "hidden" : "listed")"
            + (policy.isUnrestricted ? " (unrestricted)" : "")
    }
}
