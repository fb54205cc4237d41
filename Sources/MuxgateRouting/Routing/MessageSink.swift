import Dispatch
import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
import MuxgateWire
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where muxgate's messages to the IDE go: one JSON-RPC message a call, framing added by the sink.
package protocol MessageSink: Sendable {
    func send(_ message: [UInt8])
    /// Sends a message that belongs to the IDE's request `request` (its progress, a request made on
    /// its behalf): a front that answers each request on its own stream (HTTP) sends it there.
    func send(_ message: [UInt8], relatedTo request: [UInt8]?)
    /// Sends the answer to the IDE's request `request` (an HTTP front ends that request's exchange).
    func send(answer: [UInt8], to request: [UInt8])
    /// The IDE's request `request` ended without an answer (it was cancelled): a front that holds
    /// something open for it (an HTTP exchange) lets it go.
    func ended(unanswered request: [UInt8])
    /// Runs `body`; what is sent meanwhile may be held and written together when it returns.
    func batch(_ body: () -> Void)
    /// Runs `work` once what was sent so far has been written (at the end of the batches under
    /// way, or at once): bookkeeping that must not delay an answer held in a batch.
    func afterBatch(_ work: @escaping @Sendable () -> Void)
}

extension MessageSink {
    package func send(_ message: [UInt8], relatedTo request: [UInt8]?) { send(message) }
    package func send(answer: [UInt8], to request: [UInt8]) { send(answer) }
    package func ended(unanswered request: [UInt8]) {}
    package func batch(_ body: () -> Void) { body() }
    package func afterBatch(_ work: @escaping @Sendable () -> Void) { work() }
}

/// Writes messages to a file descriptor (stdout).
///
/// A message is written on the sender's thread when that cannot block: nothing is queued, it is at
/// most `PIPE_BUF` bytes, and `poll` reports room. Otherwise it goes to a serial queue, and later
/// messages queue behind it, so order is kept and a slow reader blocks only that queue, never the
/// Swift concurrency pool.
///
/// Inside `batch` (a reader thread handling what one `read` brought: with many calls in flight,
/// several answers) messages collect in one buffer that the end of the batch writes with one
/// `poll` and one `write`, instead of both per message. Messages other threads send meanwhile join
/// that buffer behind what is in it; every batch's end writes all of it, so nothing waits for
/// more than one batch.
package final class FileDescriptorSink: MessageSink {
    private struct State {
        /// Messages handed to the queue and not yet written.
        package var queued = 0
        package var broken = false
        /// Batches under way (on any thread).
        package var batches = 0
        /// Framed messages held for the end of a batch, in order.
        package var held: [UInt8] = []
        /// Work for after the held messages are written (`afterBatch`).
        package var after: [@Sendable () -> Void] = []
    }

    /// `PIPE_BUF` on Linux: a write up to this size to a pipe with room neither blocks nor splits.
    private static let inlineWriteBytes = 4096

    private let descriptor: Int32
    private let queue = DispatchQueue(label: "muxgate.stdout")
    private let state = Mutex(State())

    package init(descriptor: Int32 = 1) {
        self.descriptor = descriptor
    }

    package func send(_ message: [UInt8]) {
        state.withLock { state in
            guard !state.broken else { return }
            if state.batches > 0 || !state.held.isEmpty {
                state.held.append(contentsOf: message)
                state.held.append(0x0A)
                return
            }
            var framed = message
            framed.append(0x0A)
            write(framed, &state)
        }
    }

    package func batch(_ body: () -> Void) {
        state.withLock { $0.batches += 1 }
        body()
        let after = state.withLock { state -> [@Sendable () -> Void] in
            state.batches -= 1
            if !state.held.isEmpty && !state.broken {
                let held = state.held
                state.held = []
                write(held, &state)
            }
            defer { state.after = [] }
            return state.after
        }
        for work in after { work() }
    }

    package func afterBatch(_ work: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            guard state.batches > 0 || !state.held.isEmpty else { return true }
            state.after.append(work)
            return false
        }
        if now { work() }
    }

    /// Writes `bytes` now when that cannot block, else hands them to the serial queue. Called with
    /// the lock held, so writes keep their order.
    private func write(_ bytes: [UInt8], _ state: inout State) {
        guard state.queued == 0, bytes.count <= Self.inlineWriteBytes, hasRoom() else {
            state.queued += 1
            enqueue(bytes)
            return
        }
        if writeAll(bytes, to: descriptor).error != nil { state.broken = true }
    }

    /// Writes `bytes` on the serial queue, behind what is queued already.
    private func enqueue(_ bytes: [UInt8]) {
        queue.async { [self] in
            let broken = state.withLock { $0.broken } || writeAll(bytes, to: descriptor).error != nil
            state.withLock { state in
                state.queued -= 1
                state.broken = state.broken || broken
            }
        }
    }

    /// Whether the descriptor can take a write now (a pipe with room, a file, a terminal).
    private func hasRoom() -> Bool {
        var ready = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        return poll(&ready, 1, 0) == 1 && ready.revents & Int16(POLLOUT) != 0
    }

    /// Waits until every message sent so far has been written.
    package func flush() {
        queue.sync {}
    }
}

/// Collects messages in memory (tests, `muxgate tools`).
package final class CollectingSink: MessageSink {
    private struct Waiter {
        package let ready: @Sendable ([[UInt8]]) -> Bool
        package let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        package var messages: [[UInt8]] = []
        package var waiters: [Int: Waiter] = [:]
        package var nextToken = 0
    }

    private let state = Mutex(State())

    package init() {}

    package func send(_ message: [UInt8]) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.messages.append(message)
            let messages = state.messages
            let ready = state.waiters.filter { $0.value.ready(messages) }
            for token in ready.keys { state.waiters[token] = nil }
            return ready.values.map(\.continuation)
        }
        for continuation in ready { continuation.resume() }
    }

    package var collected: [[UInt8]] { state.withLock { $0.messages } }

    /// Waits until what was collected satisfies `ready` (checked on every message), at most
    /// `timeout`; returns whether it does.
    package func wait(until ready: @escaping @Sendable ([[UInt8]]) -> Bool, timeout: Duration) async -> Bool {
        let token = state.withLock { state -> Int in
            state.nextToken += 1
            return state.nextToken
        }
        _ = try? await withTimeout(timeout) { [self] in
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let now = state.withLock { state -> Bool in
                        if ready(state.messages) || Task.isCancelled { return true }
                        state.waiters[token] = Waiter(ready: ready, continuation: continuation)
                        return false
                    }
                    if now { continuation.resume() }
                }
            } onCancel: {
                state.withLock { $0.waiters.removeValue(forKey: token) }?.continuation.resume()
            }
        }
        return ready(collected)
    }
}
