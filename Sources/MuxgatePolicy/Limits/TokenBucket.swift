/// A token bucket: `capacity` tokens, refilled at `perSecond`; a call takes one.
package struct TokenBucket: Sendable, Equatable {
    package private(set) var tokens: Double
    package private(set) var updated: Double

    /// A full bucket at `now`.
    package init(capacity: Int, now: Double) {
        tokens = Double(capacity)
        updated = now
    }

    /// The tokens at `now`, refilled since the last look, at most `capacity`.
    package mutating func refill(perSecond: Double, capacity: Int, now: Double) {
        if now > updated {
            tokens = min(Double(capacity), tokens + (now - updated) * perSecond)
            updated = now
        }
        // A reload that lowers the burst keeps no more than the new bucket holds.
        tokens = min(tokens, Double(capacity))
    }

    /// Seconds until a token is there (0 when one is now), after `refill`.
    package func wait(perSecond: Double) -> Double {
        tokens >= 1 ? 0 : (1 - tokens) / perSecond
    }

    /// Takes a token (after `wait` said 0).
    package mutating func take() { tokens -= 1 }

    /// Gives back a token taken for a call another limit refused.
    package mutating func giveBack() { tokens += 1 }
}
