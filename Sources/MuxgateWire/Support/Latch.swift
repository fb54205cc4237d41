import Synchronization

/// A one-way signal: `fire()` once, and every `wait()` (past or future) returns.
///
/// A waiting task that is cancelled returns too, so a latch never pins a task group.
package final class Latch: Sendable {
    private struct State {
        package var fired = false
        package var nextToken = 0
        package var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    package init() {}

    package var isFired: Bool { state.withLock { $0.fired } }

    package func fire() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.fired else { return [] }
            state.fired = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the latch has fired or the calling task is cancelled.
    package func wait() async {
        let token = state.withLock { state -> Int in
            state.nextToken += 1
            return state.nextToken
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.fired || Task.isCancelled { return true }
                    state.waiters[token] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: token) }
            waiter?.resume()
        }
    }
}

/// Runs `operation`, throwing `TimeoutError` if it has not finished within `duration`.
///
/// The operation is cancelled on timeout; it must react to cancellation.
package func withTimeout<T: Sendable>(
    _ duration: Duration,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: duration)
            throw TimeoutError(duration: duration)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

package struct TimeoutError: Error, Sendable {
    package let duration: Duration

    package init(duration: Duration) {
        self.duration = duration
    }
}

extension Duration {
    /// Whole and fractional seconds, for messages.
    package var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
