import MuxgateWire

/// How much a tool can change: what a profile grants or refuses.
///
/// Ordered by restrictiveness (`read < write < destructive`), so when several sources name a tool
/// the most restrictive one can win.
package enum Scope: String, Sendable, CaseIterable, Decodable, Comparable {
    case read, write, destructive

    private var rank: Int {
        switch self {
        case .read: 0
        case .write: 1
        case .destructive: 2
        }
    }

    package static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.rank < rhs.rank }
}

/// Where a tool's scope came from, shown by `muxgate tools`.
package enum ScopeSource: String, Sendable, CaseIterable {
    /// The operator's `servers.NAME.scopes` map.
    case `operator`
    /// The child's `readOnlyHint` / `destructiveHint` annotations.
    case annotation
    /// No classification: the tool is `destructive`.
    case `default`
}
