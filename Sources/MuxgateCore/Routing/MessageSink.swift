import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where muxgate's messages to the IDE go: one JSON-RPC message a call, framing added by the sink.
package protocol MessageSink: Sendable {
    func send(_ message: [UInt8])
}

/// Writes messages to a file descriptor (stdout), one `write` loop a message.
///
/// A message is written on the sender's thread when that cannot block: nothing is queued, it is at
/// most `PIPE_BUF` bytes, and `poll` reports room. Otherwise it goes to a serial queue, and later
/// messages queue behind it, so order is kept and a slow reader blocks only that queue, never the
/// Swift concurrency pool.
package final class FileDescriptorSink: MessageSink {
    private struct State {
        /// Messages handed to the queue and not yet written.
        var queued = 0
        var broken = false
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
        var framed = message
        framed.append(0x0A)
        let line = framed
        let written = state.withLock { state -> Bool in
            guard !state.broken else { return true }
            guard state.queued == 0, line.count <= Self.inlineWriteBytes, hasRoom() else {
                state.queued += 1
                return false
            }
            if writeAll(line, to: descriptor).error != nil { state.broken = true }
            return true
        }
        guard !written else { return }
        queue.async { [self] in
            let broken = state.withLock { $0.broken } || writeAll(line, to: descriptor).error != nil
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
    private let messages = Mutex<[[UInt8]]>([])

    package init() {}

    package func send(_ message: [UInt8]) {
        messages.withLock { $0.append(message) }
    }

    package var collected: [[UInt8]] { messages.withLock { $0 } }
}
