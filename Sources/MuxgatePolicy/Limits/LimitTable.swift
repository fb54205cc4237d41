package import MuxgateConfig
import Synchronization

/// A configuration's limits, with the ones that apply to each (tool, caller, profile) remembered:
/// the `limit` stage matches the globs once per combination, not on every call.
package final class LimitTable: Sendable {
    struct Choice: Hashable {
        let tool: String
        let server: String
        let caller: String
        let profile: String
    }

    package let rules: [LimitRule]
    private let chosen = Mutex<[Choice: [LimitRule]]>([:])
    /// Combinations remembered at most (tools × callers × profiles; then forgotten and relearnt).
    private static let capacity = 4096

    package init(_ rules: [LimitRule]) {
        self.rules = rules
    }

    /// The limits that count a call to `tool` of `server` by `caller` under `profile`.
    package func applying(tool: String, server: String, caller: String, profile: String) -> [LimitRule] {
        let choice = Choice(tool: tool, server: server, caller: caller, profile: profile)
        if let known = chosen.withLock({ $0[choice] }) { return known }
        let found = rules.filter { $0.applies(tool: tool, server: server, caller: caller, profile: profile) }
        chosen.withLock { chosen in
            if chosen.count >= Self.capacity { chosen.removeAll(keepingCapacity: true) }
            chosen[choice] = found
        }
        return found
    }
}
