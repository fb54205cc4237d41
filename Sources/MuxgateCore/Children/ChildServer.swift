import Foundation
package import Logging
package import ServiceLifecycle
import Subprocess
import Synchronization
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
        case exited(String)
        case failed(String)
        case stopped
    }

    package let config: ServerConfig
    /// The values in its config that are never logged (see `ServerConfig.secrets`), longest first.
    let secrets: [String]
    /// How muxgate reaches it: a process, or a server over HTTP.
    let transport: any ChildTransport
    package var name: String { config.name }
    package let startupTimeout: Duration
    package let callTimeout: Duration
    let maxMessageBytes: Int
    /// Crashes allowed within a window before the circuit opens.
    let restartLimit: (count: Int, window: Duration)
    let logger: Logger
    let events: AsyncStream<ChildReport>.Continuation
    /// Forwards a notification straight from the stdout reader, so it reaches the client before the
    /// response that follows it; false when the gateway must see it (as an event).
    let passThrough: @Sendable (JSONRPCMessage) -> Bool
    /// Wraps the handling of what one read of the child's stdout brought (answers to the IDE go
    /// out together).
    let batch: @Sendable (() -> Void) -> Void
    /// Called with the tools whenever the child lists them (a lazy server's cache).
    let keepTools: (@Sendable ([JSONSlice]) -> Void)?
    /// The log-level opt-in for a request to a 2026-07-28 child that carries none of its own.
    let logStamp: @Sendable () -> String?
    private let wakeups: AsyncStream<Void>
    private let wakeup: AsyncStream<Void>.Continuation
    let state: Mutex<State>
    /// Fired once by `stop()`: ends waits that must not outlive the child.
    private let stopped = Latch()

    static let stderrTailLines = 20

    /// A request awaiting its response, and when it times out.
    struct Pending {
        /// Called once with the response or the error that ends the request (on the thread that ends it).
        let resume: @Sendable (Result<JSONRPCMessage, any Error>) -> Void
        let deadline: ContinuousClock.Instant
        let timeout: Duration
    }

    struct State {
        var phase: Phase = .idle
        var hello: ClientHello?
        var serverHello: ServerHello?
        var lists: [ListKind: [JSONSlice]] = [:] {
            didSet { listsVersion += 1 }
        }
        /// Bumped on every change of `lists`: the gateway rebuilds its catalogues only after one.
        var listsVersion = 0
        var nextID = 0
        var pending: [Int: Pending] = [:]
        /// When the expiry timer next fires (the earliest deadline it was armed for), if armed.
        var expiryTimer: ContinuousClock.Instant?
        /// Requests sent without waiting for the answer: their responses are dropped quietly.
        var unawaited: Set<Int> = []
        var outbox: (any ChildOutbox)?
        var refresh: AsyncStream<ListKind>.Continuation?
        var stopLatch: Latch?
        var nextWaiter = 0
        var settledWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var stderrTail: [String] = []
        /// The process running now (its group's leader), for the audit trail.
        var pid: Int32?
        /// How long the child asked muxgate to wait before the next connection (HTTP `Retry-After`).
        var retryAfter: Duration?
        var consecutiveFailures = 0
        /// When the child exited or failed lately (within the restart window).
        var crashes: [ContinuousClock.Instant] = []
        /// While set and in the future, the child is not restarted (circuit open).
        var circuitOpenUntil: ContinuousClock.Instant?
        var stopping = false
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
        keepTools: (@Sendable ([JSONSlice]) -> Void)? = nil
    ) {
        self.logStamp = logStamp
        self.passThrough = passThrough
        self.batch = batch
        self.keepTools = keepTools
        self.config = config
        self.transport = Self.transport(for: config, callTimeout: callTimeout)
        self.startupTimeout = startupTimeout
        self.callTimeout = callTimeout
        self.maxMessageBytes = maxMessageBytes
        self.restartLimit = restartLimit
        secrets = config.secrets.filter { $0.utf8.count >= 6 }.sorted { $0.count > $1.count }
        var logger = logger
        logger[metadataKey: "muxgate.server"] = .string(config.name)
        self.logger = logger
        self.events = events
        (wakeups, wakeup) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        state = Mutex(State())
    }

    /// Tells the gateway something happened to this child.
    func report(_ event: ChildEvent) {
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
                await retryAfterOpenCircuit()
            }
        } onGracefulShutdown: {
            self.stop()
        }
        stop()
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
    static func backoff(_ failures: Int) -> Duration {
        guard failures > 1 else { return .zero }
        return min(.milliseconds(250) * (1 << min(failures - 2, 10)), .seconds(30))
    }

    private func requestStart() {
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

    func setPhase(_ phase: Phase) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.phase = state.stopping && phase != .ready ? .stopped : phase
            guard phase != .starting else { return [] }
            defer { state.settledWaiters = [:] }
            return Array(state.settledWaiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: - Requests

    /// Sends a request once the child is ready (starting it if needed) and awaits its response.
    ///
    /// - Parameters:
    ///   - method: The method, for error messages and timeouts.
    ///   - timeout: How long the child has to answer; on timeout it gets `notifications/cancelled`.
    ///   - build: Makes the request line given the id muxgate assigned (raw JSON).
    /// - Throws: `JSONRPCError` when the child is unavailable, exits, or times out;
    ///   `CancellationError` when the caller was cancelled.
    package func request(
        _ method: String,
        timeout: Duration? = nil,
        build: @Sendable ([UInt8]) -> [UInt8]
    ) async throws -> JSONRPCMessage {
        try await ensureReady()
        return try await exchange(method, timeout: timeout ?? callTimeout, build: build)
    }

    /// The most bytes muxgate queues for a child that is not reading its stdin: beyond it, requests
    /// fail at once and notifications are dropped, so a stuck child cannot make muxgate grow.
    var queueLimit: Int { max(maxMessageBytes, 1 << 20) }

    /// Sends a notification if the child is running; dropped otherwise (or when its queue is full).
    package func notify(_ line: [UInt8]) {
        guard let outbox = state.withLock({ $0.outbox }) else { return }
        if !outbox.write(line + [0x0A], limit: queueLimit) {
            logger.warning("dropped a message for the server: it is not reading its input (queue full)")
        }
    }

    /// Sends a request whose answer nobody awaits (e.g. `logging/setLevel` fanned out); the
    /// response is dropped when it arrives.
    package func notifyRequest(method: String, params: JSONSlice?) {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            state.unawaited.insert(state.nextID)
            return state.nextID
        }
        let line = JSONRPC.request(id: Array(String(id).utf8), method: method, params: params?.value)
        notify(isModern ? enveloped(line) : line)
    }

    /// Cancels one of muxgate's in-flight requests to this child (the IDE cancelled it).
    package func cancel(id: Int, reason: String?) {
        let waiter = state.withLock { $0.pending.removeValue(forKey: id)?.resume }
        guard let waiter else { return }
        waiter(.failure(CancelledByClient()))
        sendCancelled(id: id, reason: reason)
    }

    private func ensureReady() async throws {
        if state.withLock({ $0.phase == .ready }) { return }
        requestStart()
        await waitUntilSettled(until: .now + startupTimeout)
        switch phase {
        case .ready: return
        case .starting:
            throw JSONRPCError.serverUnavailable(
                "server '\(name)' did not finish starting within \(startupTimeout.seconds)s"
            )
        case .failed(let reason), .exited(let reason):
            throw JSONRPCError.serverUnavailable("server '\(name)' is unavailable: \(reason)")
        case .idle, .stopped:
            throw JSONRPCError.serverUnavailable("server '\(name)' is stopped (muxgate is shutting down)")
        }
    }

    /// Sends one request on the current process and awaits the response (no readiness check).
    func exchange(
        _ method: String,
        timeout: Duration,
        build: @Sendable ([UInt8]) -> [UInt8]
    ) async throws -> JSONRPCMessage {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        let built = build(Array(String(id).utf8))
        var line = isModern ? enveloped(built) : built
        line.append(0x0A)
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    if let error = enqueue(
                        id,
                        line,
                        method: method,
                        timeout: timeout,
                        resume: { continuation.resume(with: $0) }
                    ) {
                        continuation.resume(throwing: error)
                    }
                }
            } onCancel: {
                state.withLock { $0.pending.removeValue(forKey: id) }?.resume(.failure(CancellationError()))
            }
        } catch is TimeoutError {
            sendCancelled(id: id, reason: "timeout")
            throw JSONRPCError.timeout("server '\(name)' did not answer \(method) within \(timeout.seconds)s")
        }
    }

    /// Registers request `id` and writes `line` to the process running now, under one lock: a
    /// process that exits meanwhile fails the request (never a silent loss), a caller cancelled
    /// meanwhile is told so, a full queue refuses it. One timer per child fails requests past their
    /// deadline (no task per call).
    ///
    /// - Returns: The error that kept the request from being sent; nil once it is on its way.
    private func enqueue(
        _ id: Int,
        _ line: [UInt8],
        method: String,
        timeout: Duration,
        resume: @escaping @Sendable (Result<JSONRPCMessage, any Error>) -> Void
    ) -> (any Error)? {
        let deadline = ContinuousClock.now + timeout
        let outcome = state.withLock { state -> Result<(any ChildOutbox, Bool), any Error> in
            guard !Task.isCancelled else { return .failure(CancellationError()) }
            guard let outbox = state.outbox else {
                return .failure(JSONRPCError.serverUnavailable("server '\(name)' exited before \(method) was sent"))
            }
            let queued = outbox.queuedBytes
            guard queued + line.count <= queueLimit else {
                return .failure(
                    JSONRPCError.serverUnavailable("server '\(name)' is not reading its input (\(queued) bytes queued)")
                )
            }
            state.pending[id] = Pending(resume: resume, deadline: deadline, timeout: timeout)
            if let armed = state.expiryTimer, armed <= deadline { return .success((outbox, false)) }
            state.expiryTimer = deadline
            return .success((outbox, true))
        }
        switch outcome {
        case .success(let (outbox, armTimer)):
            if armTimer { scheduleExpiry(at: deadline) }
            outbox.write(line)
            return nil
        case .failure(let error):
            return error
        }
    }

    /// Sends a request to a ready child without a task: `completion` runs once, on whichever thread
    /// ends the request (the child's stdout reader, the expiry timer, an exit, a cancel). On timeout
    /// the child gets `notifications/cancelled` and `completion` a -32001 error.
    ///
    /// - Returns: false, calling nothing, when the child is not ready (use `request`, which starts it).
    package func send(
        _ method: String,
        build: ([UInt8]) -> [UInt8],
        completion: @escaping @Sendable (Result<JSONRPCMessage, any Error>) -> Void
    ) -> Bool {
        guard
            let id = state.withLock({ state -> Int? in
                guard state.phase == .ready else { return nil }
                state.nextID += 1
                return state.nextID
            })
        else { return false }
        let built = build(Array(String(id).utf8))
        var line = isModern ? enveloped(built) : built
        line.append(0x0A)
        let resume: @Sendable (Result<JSONRPCMessage, any Error>) -> Void = { [self] result in
            guard case .failure(let error) = result, error is TimeoutError else { return completion(result) }
            sendCancelled(id: id, reason: "timeout")
            completion(
                .failure(
                    JSONRPCError.timeout("server '\(name)' did not answer \(method) within \(callTimeout.seconds)s")
                )
            )
        }
        if let error = enqueue(id, line, method: method, timeout: callTimeout, resume: resume) {
            completion(.failure(error))
        }
        return true
    }

    /// Arms the one timer that fails requests past their deadline.
    ///
    /// One timer serves every request in flight: it is re-armed only for a deadline earlier than
    /// the one it waits for, so a steady stream of calls with the same timeout arms it about once
    /// per timeout, not once per call.
    private func scheduleExpiry(at deadline: ContinuousClock.Instant) {
        Task { [weak self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            self?.expireRequests(timer: deadline)
        }
    }

    /// Fails the requests whose deadline has passed with `TimeoutError`, and re-arms the timer for
    /// the earliest deadline left (unless a timer armed for an earlier deadline already did).
    private func expireRequests(timer: ContinuousClock.Instant) {
        let now = ContinuousClock.now
        let (expired, next) = state.withLock { state -> ([Pending], ContinuousClock.Instant?) in
            let expired = state.pending.values.filter { $0.deadline <= now }
            if !expired.isEmpty { state.pending = state.pending.filter { $0.value.deadline > now } }
            guard state.expiryTimer == timer else { return (expired, nil) }
            state.expiryTimer = state.pending.values.map(\.deadline).min()
            return (expired, state.expiryTimer)
        }
        for request in expired {
            request.resume(.failure(TimeoutError(duration: request.timeout)))
        }
        if let next { scheduleExpiry(at: next) }
    }

    private func sendCancelled(id: Int, reason: String?) {
        var params: [(String, JSONValue)] = [("requestId", .int(id))]
        if let reason { params.append(("reason", .string(reason))) }
        notify(JSONRPC.notification(method: "notifications/cancelled", params: .object(params)))
    }
}

/// The IDE cancelled the request (`notifications/cancelled`): no answer is due.
package struct CancelledByClient: Error {}

extension Duration {
    /// Whole and fractional seconds, for messages.
    package var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
