import Foundation
import Logging
import MuxgateAudit
import MuxgateConfig
import MuxgatePolicy
package import MuxgateWire
import Synchronization

/// Requests to the child: sent once it is ready, answered or failed by their deadline (one timer
/// for all), cancelled on the child when muxgate gives up on them.
extension ChildServer {
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
    package var queueLimit: Int { max(maxMessageBytes, 1 << 20) }

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
        case .failed(let failure), .exited(let failure):
            throw JSONRPCError.serverUnavailable("server '\(name)' is unavailable: \(failure.message)")
        case .idle, .stopped:
            throw JSONRPCError.serverUnavailable("server '\(name)' is stopped (muxgate is shutting down)")
        }
    }

    /// Sends one request on the current process and awaits the response (no readiness check).
    package func exchange(
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

    /// Sends a request and hands its answer to `completion`, once, on whichever thread ends it: at
    /// once when the child is ready (`send`, no task), else after starting it (`request`).
    package func submit(
        _ method: String,
        build: @escaping @Sendable ([UInt8]) -> [UInt8],
        completion: @escaping @Sendable (Result<JSONRPCMessage, any Error>) -> Void
    ) {
        guard !send(method, build: build, completion: completion) else { return }
        Task {
            do {
                completion(.success(try await request(method, build: build)))
            } catch {
                completion(.failure(error))
            }
        }
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
