import Foundation
import MuxgateAudit
import MuxgateConfig
import MuxgatePolicy
package import MuxgateWire
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A pipe for a child's stdin or stdout, both ends close-on-exec (the child gets its end through
/// `dup2`, and Subprocess closes every other descriptor in the children it spawns).
package func makePipe() throws(JSONRPCError) -> (read: Int32, write: Int32) {
    var ends: [Int32] = [-1, -1]
    guard pipe(&ends) == 0 else {
        throw JSONRPCError.internalError("cannot create a pipe: \(String(cString: strerror(errno)))")
    }
    for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
    return (ends[0], ends[1])
}

/// The write end of a child's stdin.
///
/// A message is written on the caller's thread when the pipe has room (the common case: no thread
/// or task hop); what does not fit is queued and drained by a helper thread that waits for the
/// child to read, so a child that stops reading never blocks a caller. Order is kept: while a
/// drain is under way, later messages queue behind it.
package final class PipeWriter: Sendable {
    private struct State {
        /// -1 once closed.
        package var descriptor: Int32
        /// Bytes accepted but not yet written, in order.
        package var queue: [UInt8] = []
        package var draining = false
        package var finishing = false
    }

    private let state: Mutex<State>
    private let failed: @Sendable (Int32) -> Void

    /// - Parameters:
    ///   - descriptor: The pipe's write end; made non-blocking, and closed by `finish()`.
    ///   - failed: Called once with the `errno` of a failed write; nothing is written after it.
    package init(descriptor: Int32, failed: @escaping @Sendable (Int32) -> Void) {
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        state = Mutex(State(descriptor: descriptor))
        self.failed = failed
    }

    /// Bytes accepted and not yet written (the child is slow or not reading).
    package var queuedBytes: Int { state.withLock { $0.queue.count } }

    /// Writes `bytes` (or queues them behind a drain); dropped once finished or failed.
    ///
    /// - Parameter limit: The most bytes the queue may hold; beyond it `bytes` are refused.
    /// - Returns: false when refused because the queue is full.
    @discardableResult
    package func write(_ bytes: [UInt8], limit: Int = .max) -> Bool {
        var refused = false
        let (startDrain, error) = state.withLock { state -> (Bool, Int32?) in
            guard state.descriptor >= 0, !state.finishing else { return (false, nil) }
            if state.draining {
                guard state.queue.count + bytes.count <= limit else {
                    refused = true
                    return (false, nil)
                }
                state.queue.append(contentsOf: bytes)
                return (false, nil)
            }
            let (written, error) = Self.writeAvailable(bytes[...], to: state.descriptor)
            if let error {
                Self.close(&state)
                return (false, error)
            }
            guard written < bytes.count else { return (false, nil) }
            state.queue.append(contentsOf: bytes[written...])
            state.draining = true
            return (true, nil)
        }
        if let error { failed(error) }
        if startDrain {
            let thread = Thread { [self] in
                nameThisThread("muxgate.drain")
                drain()
            }
            thread.name = "muxgate.drain"
            thread.start()
        }
        return !refused
    }

    /// Closes the pipe once everything accepted so far is written (the child sees end of file).
    package func finish() {
        state.withLock { state in
            state.finishing = true
            if !state.draining { Self.close(&state) }
        }
    }

    /// Waits for room and writes the queue, until it is empty or a write fails.
    private func drain() {
        while true {
            guard let descriptor = state.withLock({ $0.descriptor >= 0 ? $0.descriptor : nil }) else { return }
            var waiting = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            if poll(&waiting, 1, -1) < 0 && errno != EINTR { return }
            let (done, error) = state.withLock { state -> (Bool, Int32?) in
                let (written, error) = Self.writeAvailable(state.queue[...], to: state.descriptor)
                if let error {
                    Self.close(&state)
                    return (true, error)
                }
                state.queue.removeFirst(written)
                guard state.queue.isEmpty else { return (false, nil) }
                state.draining = false
                if state.finishing { Self.close(&state) }
                return (true, nil)
            }
            if let error { failed(error) }
            if done { return }
        }
    }

    /// Writes as much of `bytes` as the pipe takes without blocking.
    ///
    /// - Returns: How many bytes were written, and the `errno` of a failure (not `EAGAIN`).
    private static func writeAvailable(_ bytes: ArraySlice<UInt8>, to descriptor: Int32) -> (Int, Int32?) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN || errno == EWOULDBLOCK { break }
                    return (offset, errno)
                }
                offset += count
            }
            return (offset, nil)
        }
    }

    private static func close(_ state: inout State) {
        guard state.descriptor >= 0 else { return }
        _ = Glibc.close(state.descriptor)
        state.descriptor = -1
        state.queue = []
        state.draining = false
    }
}

/// Reads newline-framed messages from a descriptor to its end on a dedicated thread (a blocking
/// read never occupies the concurrency pool), handing each to `handle` on that thread; returns at
/// end of file (the descriptor stays open).
///
/// - Parameter batch: Wraps the handling of what one `read` brought (the IDE sink's `batch`, so
///   the answers it produces go out in one write).
package func readLines(
    from descriptor: Int32,
    maximumLineBytes: Int,
    threadName: String,
    batch: @escaping @Sendable (() -> Void) -> Void = { $0() },
    handle: @escaping @Sendable (LineFramer.Event) -> Void
) async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let thread = Thread {
            nameThisThread(threadName)
            var framer = LineFramer(maximumLineBytes: maximumLineBytes)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 1)
            defer { buffer.deallocate() }
            while true {
                let count = read(descriptor, buffer.baseAddress, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                batch { framer.push(UnsafeRawBufferPointer(rebasing: buffer[..<count]), handle) }
            }
            framer.finish(handle)
            continuation.resume()
        }
        thread.name = threadName
        thread.start()
    }
}
