/// Why a limit refused a call: which limit, what it allows, the use now and when to retry.
///
/// A class: a `GateCall` carries one reference (nil on every admitted call), not the fields.
package final class LimitRefusal: Sendable, Error {
    /// The kind of limit that refused.
    package enum Kind: String, Sendable, CaseIterable {
        case rate, concurrency, quota
        /// The quota journal cannot be read or written: quotas fail closed.
        case store
    }

    /// The limit's name (`limits.NAME`).
    package let limit: String
    package let kind: Kind
    /// The caller the counters are kept for.
    package let caller: String
    /// What is in use now (calls in the bucket's window, in flight, or counted this window).
    package let used: Int
    /// What the limit allows (the burst, the calls in flight, the quota).
    package let allowed: Int
    /// Whole seconds to wait before a retry can succeed, at least 1.
    package let retryAfter: Int
    /// What the limit allows, in words (`10/minute (burst 5)`).
    package let allowance: String
    /// Why the store failed (kind `store`), said once, with what to do.
    package let detail: String?

    package init(
        limit: String,
        kind: Kind,
        caller: String,
        used: Int,
        allowed: Int,
        retryAfter: Int,
        allowance: String,
        detail: String? = nil
    ) {
        self.limit = limit
        self.kind = kind
        self.caller = caller
        self.used = used
        self.allowed = allowed
        self.retryAfter = retryAfter
        self.allowance = allowance
        self.detail = detail
    }

    /// The refusal for the model and the person reading its transcript.
    package var message: String {
        switch kind {
        case .rate:
            "limit '\(limit)' (\(allowance)) for \(caller): \(used) of \(allowed) calls used; retry in \(retryAfter) s"
        case .concurrency:
            "limit '\(limit)' (\(allowance)) for \(caller): \(used) of \(allowed) calls in flight; "
                + "retry when one ends (in about \(retryAfter) s)"
        case .quota:
            "limit '\(limit)' (\(allowance)) for \(caller): \(used) of \(allowed) used this window; "
                + "retry in \(retryAfter) s, when the window resets"
        case .store:
            "limit '\(limit)' cannot count its quota: \(detail ?? "the quota journal failed"); retry in \(retryAfter) s"
        }
    }
}
