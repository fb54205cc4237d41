/// Whose counters: a limit's name and a caller. Its hash is made of the two names' hashes, which
/// the caller of `init(limit:caller:limitHash:callerHash:)` computed once (a limit's when it was
/// configured, a caller's once a call): a lookup hashes two integers, not two strings.
package struct LimitKey: Hashable, Sendable, Comparable {
    package let limit: String
    package let caller: String
    private let digest: Int

    package init(limit: String, caller: String) {
        self.init(limit: limit, caller: caller, limitHash: limit.hashValue, callerHash: caller.hashValue)
    }

    package init(limit: String, caller: String, limitHash: Int, callerHash: Int) {
        self.limit = limit
        self.caller = caller
        digest = limitHash &* 31 &+ callerHash
    }

    package func hash(into hasher: inout Hasher) { hasher.combine(digest) }

    package static func == (lhs: LimitKey, rhs: LimitKey) -> Bool {
        lhs.digest == rhs.digest && lhs.limit == rhs.limit && lhs.caller == rhs.caller
    }

    package static func < (lhs: LimitKey, rhs: LimitKey) -> Bool {
        (lhs.limit, lhs.caller) < (rhs.limit, rhs.caller)
    }
}
