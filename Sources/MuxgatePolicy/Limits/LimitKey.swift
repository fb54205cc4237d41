/// Whose counters: a limit's name and a caller.
package struct LimitKey: Hashable, Sendable, Comparable {
    package let limit: String
    package let caller: String

    package init(limit: String, caller: String) {
        self.limit = limit
        self.caller = caller
    }

    package static func < (lhs: LimitKey, rhs: LimitKey) -> Bool {
        (lhs.limit, lhs.caller) < (rhs.limit, rhs.caller)
    }
}
