import Synchronization

/// A call's places in its limits' calls in flight: given back once, when the call ends however
/// it ends (`release`), or when the last reference to it goes (a path that forgot cannot leak).
package final class LimitHold: Sendable {
    private let limiter: Limiter
    private let keys: [LimitKey]
    private let released = Atomic(false)

    init(_ limiter: Limiter, _ keys: [LimitKey]) {
        self.limiter = limiter
        self.keys = keys
    }

    package func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        limiter.release(keys)
    }

    deinit { release() }
}
