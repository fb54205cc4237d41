import MuxgateWire

/// The outcome of checking one call against the policy, with what decided it and why.
package struct PolicyDecision: Sendable, Equatable {
    package let effect: PolicyEffect
    /// What decided: `profile developer: ask destructive`, `profile readonly: default deny`,
    /// `profile ci-bot: deny git_*`, `rules[2]`.
    package let rule: String
    /// A sentence for the user and the model: which tool, which profile or rule, and why.
    package let reason: String

    package init(effect: PolicyEffect, rule: String, reason: String) {
        self.effect = effect
        self.rule = rule
        self.reason = reason
    }
}
