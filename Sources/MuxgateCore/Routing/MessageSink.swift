import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where muxgate's messages to the IDE go: one JSON-RPC message a call, framing added by the sink.
package protocol MessageSink: Sendable {
    func send(_ message: [UInt8])
}

/// Writes messages to a file descriptor (stdout) from a serial queue, one `write` loop a message.
///
/// A slow reader blocks only this queue, never the Swift concurrency pool.
package final class FileDescriptorSink: MessageSink {
    private let descriptor: Int32
    private let queue = DispatchQueue(label: "muxgate.stdout")
    private let broken = Atomic<Bool>(false)

    package init(descriptor: Int32 = 1) {
        self.descriptor = descriptor
    }

    package func send(_ message: [UInt8]) {
        var framed = message
        framed.append(0x0A)
        let line = framed
        queue.async { [self] in
            guard !broken.load(ordering: .relaxed) else { return }
            if writeAll(line, to: descriptor).error != nil {
                broken.store(true, ordering: .relaxed)
            }
        }
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
