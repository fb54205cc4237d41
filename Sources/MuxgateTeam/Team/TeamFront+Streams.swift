import HTTPTypes
package import Hummingbird
import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateRouting
import MuxgateTelemetry
import MuxgateWire
package import NIOCore

/// Team mode's SSE streams: a request's answer (JSON, or a stream that ends with it), the
/// standalone GET stream, a stream resumed with `Last-Event-ID`, and `max_stream_duration`.
extension TeamFront {
    /// The response to a request: JSON when its answer comes first, else an SSE stream that ends
    /// with the answer (or, after `max_stream_duration`, with `retry:` for the client to resume).
    package func answer(
        _ opened: (exchange: Int, listener: Int, stream: AsyncStream<TeamStreams.Event>),
        session: TeamSession
    ) async -> Response {
        let streams = session.streams
        let (exchange, listener) = (opened.exchange, opened.listener)
        let timer = expiry { streams.expire(exchange: exchange, listener: listener) }
        var events = opened.stream.makeAsyncIterator()
        var headers = HTTPFields()
        headers[Self.sessionHeader] = session.id
        guard let first = await events.next() else {
            // Cancelled (no answer is due), or the session ended meanwhile.
            timer?.cancel()
            return Response(status: .accepted, headers: headers)
        }
        if case .answer(_, let line) = first {
            timer?.cancel()
            // Sent as the POST's JSON body: no event id reached the client, nothing to resume.
            streams.forget(exchange: exchange)
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: line)))
        }
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let rest = opened.stream
        return Response(
            status: .ok,
            headers: headers,
            body: .init { writer in
                defer {
                    timer?.cancel()
                    streams.detach(exchange: exchange, listener: listener)
                }
                if first == .close {
                    // Nothing to say yet: an id to come back with (a priming event), then close.
                    try await writer.write(Self.priming(TeamStreams.eventID(exchange: exchange, seq: 0)))
                    try await writer.finish(nil)
                    return
                }
                guard try await Self.write(first, to: &writer) else { return try await writer.finish(nil) }
                for await event in rest {
                    guard try await Self.write(event, to: &writer) else { break }
                }
                try await writer.finish(nil)
            }
        )
    }

    /// Writes one event of a stream; false when the stream is to end here (`.close`).
    private static func write(_ event: TeamStreams.Event, to writer: inout some ResponseBodyWriter) async throws
        -> Bool
    {
        switch event {
        case .message(let id, let line), .answer(let id, let line):
            try await writer.write(Self.event(line, id: id))
            return true
        case .close:
            try await writer.write(ByteBuffer(string: "retry: \(Self.retryMilliseconds)\n\n"))
            return false
        }
    }

    /// How long a client waits before resuming a stream muxgate closed (`max_stream_duration`).
    package static let retryMilliseconds = 500

    /// Calls `expire` once the stream has been open `max_stream_duration` (nil when unset).
    private func expiry(_ expire: @escaping @Sendable () -> Void) -> Task<Void, Never>? {
        guard let duration = config.maxStreamDuration else { return nil }
        return Task {
            try? await Task.sleep(for: duration)
            if !Task.isCancelled { expire() }
        }
    }

    /// `GET /mcp`: the standalone stream, or with `Last-Event-ID` the rest of the stream that
    /// event belongs to (the standalone one, or a request's exchange, ending with its answer).
    package func get(_ request: Request) async -> Response {
        let session: TeamSession
        switch await admitted(request) {
        case .failure(let refusal): return refusal.response
        case .success(let found): session = found
        }
        let streams = session.streams
        let opened: (listener: Int, exchange: Int?, stream: AsyncStream<TeamStreams.Event>)
        if let last = request.headers[Self.lastEventHeader] {
            guard let resumed = streams.resume(after: last) else {
                return Refusal(
                    .notFound,
                    "Last-Event-ID \(last) names no stream this session keeps (or the session ended); "
                        + "open the stream without it"
                ).response
            }
            opened = resumed
        } else {
            guard let standalone = streams.openStandalone(after: nil) else {
                return Refusal(.notFound, "the session ended").response
            }
            opened = (standalone.listener, nil, standalone.stream)
        }
        let (listener, exchange) = (opened.listener, opened.exchange)
        let timer = expiry { streams.expire(exchange: exchange, listener: listener) }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        headers[Self.sessionHeader] = session.id
        return Response(
            status: .ok,
            headers: headers,
            body: .init { writer in
                defer {
                    timer?.cancel()
                    if let exchange {
                        streams.detach(exchange: exchange, listener: listener)
                    } else {
                        streams.closeStandalone(listener)
                    }
                }
                for await event in opened.stream {
                    guard try await Self.write(event, to: &writer) else { break }
                }
                try await writer.finish(nil)
            }
        )
    }

    /// An event with an id and no message: what a client resumes a stream from when muxgate
    /// closes it before anything was sent on it.
    package static func priming(_ id: String) -> ByteBuffer {
        ByteBuffer(string: "id: \(id)\nretry: \(retryMilliseconds)\ndata: \n\n")
    }

    /// One SSE event carrying a JSON-RPC message (a line: it has no newline in it).
    package static func event(_ line: [UInt8], id: String? = nil) -> ByteBuffer {
        var buffer = ByteBuffer()
        if let id { buffer.writeString("id: \(id)\n") }
        buffer.writeString("event: message\ndata: ")
        buffer.writeBytes(line)
        buffer.writeString("\n\n")
        return buffer
    }
}
