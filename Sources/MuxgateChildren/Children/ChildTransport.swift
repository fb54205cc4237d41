import Foundation
package import Logging
import MuxgateAudit
package import MuxgateConfig
import MuxgatePolicy
package import MuxgateWire
import Synchronization

/// How muxgate reaches one child: whole JSON-RPC messages out and in, nothing else.
///
/// A transport knows how to open one connection to its child — a process with pipes, a Streamable
/// HTTP session, a legacy SSE stream — and run it until it ends. Everything above it (ids,
/// timeouts, the handshake, lists, supervision with restarts and the circuit, routing, policy,
/// audit) is `ChildServer`'s and never learns what a pipe or a socket is. A transport:
/// - calls `link.attach` with the outbox muxgate sends on, once messages can be sent;
/// - hands each message the child sends to `link.receive`, whole, in the child's order, as the
///   bytes arrived (without framing);
/// - says what it sees along the way on `link.diagnostic` (a process's stderr, an HTTP status) —
///   never a secret;
/// - turns what a healthy connection cannot deliver into JSON-RPC error responses for the
///   requests concerned (every request gets an answer), and ends the connection only when the
///   child is gone (a process exited, a server refuses connections or the handshake);
/// - when `stopping` fires, ends the connection gracefully (close stdin, `DELETE` the session),
///   then firmly.
package protocol ChildTransport: Sendable {
    /// Opens one connection and runs it to its end.
    func run(_ link: ChildLink, stopping: Latch) async -> ConnectionEnd

    /// What the log says the child is, without secrets: `command args…` or the URL.
    var summary: String { get }
}

/// Where muxgate writes messages to a child on the connection running now.
package protocol ChildOutbox: AnyObject, Sendable {
    /// Sends one framed message (a JSON-RPC message and its `\n`), or queues it behind the ones
    /// still under way; order is kept.
    ///
    /// - Parameter limit: The most bytes the queue may hold; beyond it the message is refused.
    /// - Returns: false when refused because the queue is full.
    @discardableResult
    func write(_ bytes: [UInt8], limit: Int) -> Bool
    /// Bytes accepted and not yet sent (the child is slow or not reading).
    var queuedBytes: Int { get }
    /// Sends what was accepted, then ends the child's input (end of file, the end of the session).
    func finish()
}

extension ChildOutbox {
    /// Sends one framed message with no bound on the queue (the caller checked it).
    @discardableResult
    package func write(_ bytes: [UInt8]) -> Bool { write(bytes, limit: .max) }
}

/// What a transport hands its child while a connection runs.
package struct ChildLink: Sendable {
    package let server: String
    package let logger: Logger
    /// The largest message either way (`max_message_size`).
    package let maxMessageBytes: Int
    package let attach: @Sendable (any ChildOutbox) -> Void
    /// One whole message from the child.
    package let receive: @Sendable ([UInt8]) -> Void
    /// A message over `maxMessageBytes` was dropped.
    package let oversized: @Sendable (Int) -> Void
    /// A line of diagnostics: the child's stderr, or what its connection did.
    package let diagnostic: @Sendable (String) -> Void
    /// Wraps the handling of what one read brought (answers to the IDE go out together).
    package let batch: @Sendable (() -> Void) -> Void
    /// The connection is up: the process id, for the audit trail (nil for a remote child).
    package let started: @Sendable (Int32?) -> Void
    /// The child's listed tool of this name (a 2026-07-28 HTTP call's `Mcp-Param-*` headers come
    /// from its `inputSchema`).
    package let tool: @Sendable (String) -> JSONSlice?
}

/// How a connection ended.
package struct ConnectionEnd: Sendable {
    /// What happened, for the log and the error a call gets: "exit status 3", "connection refused".
    package let outcome: String
    /// The child asked muxgate to wait before trying again (HTTP `Retry-After`).
    package var retryAfter: Duration?

    package init(_ outcome: String, retryAfter: Duration? = nil) {
        self.outcome = outcome
        self.retryAfter = retryAfter
    }
}

/// A transport that cannot connect (it says why).
package struct UnavailableTransport: ChildTransport {
    package let summary: String
    package let reason: String

    package func run(_ link: ChildLink, stopping: Latch) async -> ConnectionEnd {
        ConnectionEnd(reason)
    }
}

/// An outbox whose messages a transport takes from a stream (HTTP: one POST each; muxgate's own
/// command server: one request each), so the writer never blocks.
package final class QueueOutbox: ChildOutbox {
    private let continuation: AsyncStream<[UInt8]>.Continuation
    private let queued = Atomic<Int>(0)
    private let finished = Atomic<Bool>(false)

    package init(_ continuation: AsyncStream<[UInt8]>.Continuation) {
        self.continuation = continuation
    }

    package var queuedBytes: Int { queued.load(ordering: .relaxed) }

    @discardableResult
    package func write(_ bytes: [UInt8], limit: Int) -> Bool {
        guard !finished.load(ordering: .relaxed) else { return true }
        guard queuedBytes + bytes.count <= limit else { return false }
        queued.add(bytes.count, ordering: .relaxed)
        continuation.yield(bytes)
        return true
    }

    /// The transport took `count` bytes off the queue.
    package func took(_ count: Int) {
        queued.subtract(count, ordering: .relaxed)
    }

    package func finish() {
        finished.store(true, ordering: .relaxed)
        continuation.finish()
    }
}

/// Makes the transport of each child a configuration names: where the application is assembled
/// decides what a stdio, HTTP or command server is (tests hand in children that live in memory).
package struct ChildTransports: Sendable {
    package let make: @Sendable (ServerConfig, _ callTimeout: Duration) -> any ChildTransport

    package init(_ make: @escaping @Sendable (ServerConfig, _ callTimeout: Duration) -> any ChildTransport) {
        self.make = make
    }
}
