import MuxgateWire

/// What the policy does with a call: let it through, ask the user, or refuse it.
///
/// Ordered by severity (`allow < ask < deny`): when several entries or rules apply, the most
/// severe one wins.
package enum PolicyEffect: String, Sendable, CaseIterable, Comparable {
    case allow, ask, deny

    private var rank: Int {
        switch self {
        case .allow: 0
        case .ask: 1
        case .deny: 2
        }
    }

    package static func < (lhs: PolicyEffect, rhs: PolicyEffect) -> Bool { lhs.rank < rhs.rank }
}
