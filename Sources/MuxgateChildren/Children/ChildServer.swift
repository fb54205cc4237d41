import Foundation
package import Logging
import MuxgateAudit
package import MuxgateConfig
import MuxgatePolicy
package import MuxgateWire
import ServiceLifecycle
import Subprocess
package import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// One child MCP server: its process, its handshake, its in-flight requests and its tool list.
///
/// The child runs as a `Service`. It is started on demand (the IDE's `initialize`, or a call),
/// in its own process group; its stderr is drained continuously into the log; every request
/// muxgate sends it has a timeout; when it exits, its in-flight requests are failed at once and
/// the next request restarts it (with backoff after repeated failures).
package final class ChildServer: Service, Sendable {
    package enum Phase: Sendable, Equatable {
        case idle, starting, ready
        case exited(ChildFailure)
        case failed(ChildFailure)
        case stopped
    }

    package let config: ServerConfig
    /// The values in its config that are never logged (see `ServerConfig.secrets`), longest first.
    package let secrets: [String]
    /// How muxgate reaches it: a process, or a server over HTTP.
    package let transport: any ChildTransport
    package var name: String { config.name }
    package let startupTimeout: Duration
    package let callTimeout: Duration
    package let maxMessageBytes: Int
    /// Crashes allowed within a window before the circuit opens.
    package let restartLimit: (count: Int, window: Duration)
    package let logger: Logger
    package let events: AsyncStream<ChildReport>.Continuation
    /// Forwards a notification straight from the stdout reader, so it reaches the client before the
    /// response that follows it; false when the gateway must see it (as an event).
    package let passThrough: @Sendable (JSONRPCMessage) -> Bool
    /// Wraps the handling of what one read of the child's stdout brought (answers to the IDE go
    /// out together).
    package let batch: @Sendable (() -> Void) -> Void
    /// Called with the tools whenever the child lists them (a lazy server's cache).
    package let keepTools: (@Sendable ([JSONSlice]) -> Void)?
    /// The log-level opt-in for a request to a 2026-07-28 child that carries none of its own.
    package let logStamp: @Sendable () -> String?
    /// The team-mode session this child serves alone (`per_session: true`), as a value; nil for a
    /// shared child.
    package let owner: ChildOwner?
    private let wakeups: AsyncStream<Void>
    private let wakeup: AsyncStream<Void>.Continuation
    package let state: Mutex<State>
    /// Fired once by `stop()`: ends waits that must not outlive the child.
    private let stopped = Latch()

    package static let stderrTailLines = 20

    /// A request awaiting its response, and when it times out.
    package struct Pending {
        /// Called once with the response or the error that ends the request (on the thread that ends it).
        package let resume: @Sendable (Result<JSONRPCMessage, any Error>) -> Void
        package let deadline: ContinuousClock.Instant
        package let timeout: Duration
    }

    package struct State {
        package var phase: Phase = .idle
        package var hello: ClientHello?
        package var serverHello: ServerHello?
        package var lists: [ListKind: [JSONSlice]] = [:] {
            didSet { listsVersion += 1 }
        }
        /// Bumped on every change of `lists`: the gateway rebuilds its catalogues only after one.
        package var listsVersion = 0
        package var nextID = 0
        package var pending: [Int: Pending] = [:]
        /// When the expiry timer next fires (the earliest deadline it was armed for), if armed.
        package var expiryTimer: ContinuousClock.Instant?
        /// Requests sent without waiting for the answer: their responses are dropped quietly.
        package var unawaited: Set<Int> = []
        package var outbox: (any ChildOutbox)?
        package var refresh: AsyncStream<ListKind>.Continuation?
        package var stopLatch: Latch?
        package var nextWaiter = 0
        package var settledWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        package var stderrTail: [String] = []
        /// The process running now (its group's leader), for the audit trail.
        package var pid: Int32?
        /// How long the child asked muxgate to wait before the next connection (HTTP `Retry-After`).
        package var retryAfter: Duration?
        package var consecutiveFailures = 0
        /// When the child exited or failed lately (within the restart window).
        package var crashes: [ContinuousClock.Instant] = []
        /// While set and in the future, the child is not restarted (circuit open).
        package var circuitOpenUntil: ContinuousClock.Instant?
        package var stopping = false
    }

    package init(
        config: ServerConfig,
        startupTimeout: Duration,
        callTimeout: Duration,
        maxMessageBytes: Int,
        restartLimit: (count: Int, window: Duration) = (5, .seconds(60)),
        logger: Logger,
        events: AsyncStream<ChildReport>.Continuation,
        passThrough: @escaping @Sendable (JSONRPCMessage) -> Bool = { _ in false },
        batch: @escaping @Sendable (() -> Void) -> Void = { $0() },
        logStamp: @escaping @Sendable () -> String? = { nil },
        keepTools: (@Sendable ([JSONSlice]) -> Void)? = nil,
        owner: ChildOwner? = nil,
        transports: ChildTransports
    ) {
        self.owner = owner
        self.logStamp = logStamp
        self.passThrough = passThrough
        self.batch = batch
        self.keepTools = keepTools
        self.config = config
        self.transport = transports.make(config, callTimeout)
        self.startupTimeout = startupTimeout
        self.callTimeout = callTimeout
        self.maxMessageBytes = maxMessageBytes
        self.restartLimit = restartLimit
        secrets = config.secrets.filter { $0.utf8.count >= 6 }.sorted { $0.count > $1.count }
        var logger = logger
        logger[metadataKey: "muxgate.server"] = .string(config.name)
        if let owner { logger[metadataKey: "muxgate.session"] = .string(owner.label) }
        self.logger = logger
        self.events = events
        (wakeups, wakeup) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        state = Mutex(State())
    }

    /// Tells the gateway something happened to this child.
    package func report(_ event: ChildEvent) {
        events.yield(ChildReport(child: self, event: event))
    }

    // MARK: - What the gateway reads

    package var phase: Phase { state.withLock { $0.phase } }
    package var tools: [JSONSlice] { list(.tools) }

    /// The child's last known items of one list (kept across a crash, so a call can restart it).
    package func list(_ kind: ListKind) -> [JSONSlice] { state.withLock { $0.lists[kind] ?? [] } }
    package var serverHello: ServerHello? { state.withLock { $0.serverHello } }
    /// Changes whenever the child's lists do.
    package var listsVersion: Int { state.withLock { $0.listsVersion } }
    package var stderrTail: [String] { state.withLock { $0.stderrTail } }
    /// Too many crashes in the restart window: it is not restarted until the window has passed.
    package var circuitOpen: Bool { state.withLock { $0.circuitOpenUntil != nil } }

    // MARK: - Lifecycle

    /// Starts the child (if it is not running) with what the IDE said in `initialize`.
    package func start(with hello: ClientHello) {
        state.withLock { $0.hello = hello }
        requestStart()
    }

    /// Tells a lazy child what the IDE said, without starting it (its first use will).
    package func prepare(with hello: ClientHello) {
        state.withLock { $0.hello = hello }
    }

    /// Lists known before the child ever ran (a lazy child's pins or cache): shown until it starts.
    package func seed(_ kind: ListKind, _ items: [JSONSlice]) {
        state.withLock { state in
            if state.lists[kind] == nil { state.lists[kind] = items }
        }
    }

    /// Whether the child has started at least once in this process.
    package var hasRun: Bool { state.withLock { $0.phase != .idle } }

    /// Waits until the child is ready or has failed, or until `deadline`.
    package func waitUntilSettled(until deadline: ContinuousClock.Instant) async {
        let token = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        _ = try? await withTimeout(max(.zero, deadline - .now)) { [self] in
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let settled = state.withLock { state -> Bool in
                        guard state.phase == .starting && !Task.isCancelled else { return true }
                        state.settledWaiters[token] = continuation
                        return false
                    }
                    if settled { continuation.resume() }
                }
            } onCancel: {
                state.withLock { $0.settledWaiters.removeValue(forKey: token) }?.resume()
            }
        }
    }

    package func run() async throws {
        await withTaskCancellationHandler {
            await runUntilStopped()
        } onCancel: {
            self.stop()
        }
    }

    private func runUntilStopped() async {
        await withGracefulShutdownHandler {
            for await _ in wakeups {
                guard
                    let delay = state.withLock({ state -> Duration? in
                        guard !state.stopping else { return nil }
                        let backoff = Self.backoff(state.consecutiveFailures)
                        return max(
                            backoff,
                            state.retryAfter.flatMap { state.consecutiveFailures > 0 ? $0 : nil } ?? .zero
                        )
                    })
                else { break }
                if delay > .zero {
                    logger.info("restarting after \(delay)")
                    try? await Task.sleep(for: delay)
                }
                if Task.isCancelled || state.withLock({ $0.stopping }) { break }
                await runConnection()
                retryWhenAsked()
                await retryAfterOpenCircuit()
            }
        } onGracefulShutdown: {
            self.stop()
        }
        stop()
    }

    /// A server that said when to come back (HTTP `Retry-After` on its handshake) is tried again
    /// then, whether or not a call needs it meanwhile; its tools arrive with a list_changed. Until
    /// then it stays failed, with the server's reason.
    private func retryWhenAsked() {
        guard
            let delay = state.withLock({ state -> Duration? in
                guard !state.stopping, state.circuitOpenUntil == nil, case .failed = state.phase else { return nil }
                return state.retryAfter
            })
        else { return }
        logger.info("the server asked to be tried again in \(delay): muxgate will")
        Task { [weak self, stopped] in
            _ = try? await withTimeout(delay) { await stopped.wait() }
            guard let self, !stopped.isFired else { return }
            // Waited as asked: the restart need not wait again.
            self.state.withLock { $0.retryAfter = nil }
            self.requestStart()
        }
    }

    /// Stops the child for good: stdin closed, then SIGTERM, then SIGKILL to its process group.
    /// With the circuit open, nothing calls the child (its tools are withdrawn): muxgate itself
    /// tries it again once the window has passed, and its tools return if it comes up.
    private func retryAfterOpenCircuit() async {
        guard let until = state.withLock({ $0.stopping ? nil : $0.circuitOpenUntil }) else { return }
        _ = try? await withTimeout(max(.zero, until - .now)) { [stopped] in await stopped.wait() }
        guard !stopped.isFired else { return }
        logger.info("circuit half-open: trying the server again")
        requestStart()
    }

    package func stop() {
        stopped.fire()
        let (latch, waiters) = state.withLock { state -> (Latch?, [CheckedContinuation<Void, Never>]) in
            state.stopping = true
            if state.phase != .ready && state.phase != .starting { state.phase = .stopped }
            defer { state.settledWaiters = [:] }
            return (state.stopLatch, Array(state.settledWaiters.values))
        }
        wakeup.finish()
        latch?.fire()
        for waiter in waiters { waiter.resume() }
    }

    /// The delay before restart number `failures` (immediate first, then doubling to 30 s).
    package static func backoff(_ failures: Int) -> Duration {
        guard failures > 1 else { return .zero }
        return min(.milliseconds(250) * (1 << min(failures - 2, 10)), .seconds(30))
    }

    package func requestStart() {
        let start = state.withLock { state -> Bool in
            switch state.phase {
            case .idle, .exited, .failed:
                guard !state.stopping else { return false }
                if let until = state.circuitOpenUntil {
                    guard until <= .now else { return false }
                    // Half-open: one more try; a crash now opens the circuit again at once.
                    state.circuitOpenUntil = nil
                }
                state.phase = .starting
                return true
            case .starting, .ready, .stopped:
                return false
            }
        }
        if start { wakeup.yield() }
    }

    package func setPhase(_ phase: Phase) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.phase = state.stopping && phase != .ready ? .stopped : phase
            guard phase != .starting else { return [] }
            defer { state.settledWaiters = [:] }
            return Array(state.settledWaiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

}

/// The IDE cancelled the request (`notifications/cancelled`): no answer is due.
package struct CancelledByClient: Error {}

/// The one session a `per_session: true` child serves, as the child knows it: a value the
/// gateway maps back to its session (`ClientRoutes.session(_:)`). A child that outlives its
/// session reaches no one.
package struct ChildOwner: Sendable, Hashable {
    /// The session's identity while it is open (sessions are never reused).
    package let id: ObjectIdentifier
    /// The session's label in logs and the audit trail (`s1`, `s2`, …).
    package let label: String

    package init(id: ObjectIdentifier, label: String) {
        self.id = id
        self.label = label
    }
}
