package import AsyncHTTPClient
import Foundation
import Logging
import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
package import MuxgateWire
import NIOCore
package import NIOHTTP1
import Synchronization

/// What comes back from a remote child: JSON answers, SSE streams (resumed by event id), and the words for its failures.
extension HTTPSession {
    // MARK: - What comes back

    /// Delivers a 2xx answer: a JSON body, or the events of an SSE stream (resumed if it drops
    /// before the request's answer, when the server gave event ids).
    package func deliver(_ response: HTTPClientResponse, for requestID: [UInt8]?, cancel: Latch?) async {
        let type = response.headers["content-type"].first?.lowercased() ?? ""
        if type.hasPrefix("text/event-stream") {
            guard let cancel else { return await stream(response, for: requestID) }
            // A stream may last: a cancel of its request drops it (the connection is closed).
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.stream(response, for: requestID) }
                group.addTask { await cancel.wait() }
                await group.next()
                group.cancelAll()
            }
            return
        }
        let limit = link.maxMessageBytes
        do {
            let body = try await response.body.collect(upTo: limit)
            guard body.readableBytes > 0 else {
                if let requestID {
                    answer(requestID, "server '\(link.server)' answered the request with an empty body")
                }
                return
            }
            let bytes = Array(buffer: body)
            deliver(bytes)
            if let requestID, !Self.isAnswer(bytes, to: requestID) {
                let excerpt = String(decoding: bytes.prefix(120), as: UTF8.self)
                answer(
                    requestID,
                    "server '\(link.server)' answered with a body that is not the JSON-RPC answer: \(excerpt)"
                )
            }
        } catch is NIOTooManyBytesError {
            link.oversized(limit)
            answer(
                requestID,
                "server '\(link.server)' answered with more than the \(limit)-byte cap (max_message_size)"
            )
        } catch {
            if Task.isCancelled { return }
            answer(requestID, "server '\(link.server)' broke off its answer: \(Self.describe(error))")
        }
    }

    /// Reads an SSE answer to its end, resuming it when it drops before the request's answer.
    func stream(_ response: HTTPClientResponse, for requestID: [UInt8]?) async {
        var stream = EventStream(requestID: requestID, maximum: link.maxMessageBytes)
        do {
            try await read(response.body, into: &stream)
        } catch {
            if Task.isCancelled { return }
        }
        guard let requestID, !stream.answered else { return }
        await resume(&stream, requestID: requestID)
    }

    /// An SSE stream being read: the parser, and whether the request it answers got its answer.
    package struct EventStream {
        package let requestID: [UInt8]?
        package var parser: SSEParser
        package var answered = false
        package var droppedOversized = false

        package init(requestID: [UInt8]?, maximum: Int) {
            self.requestID = requestID
            parser = SSEParser(maximumEventBytes: maximum)
        }
    }

    package func read(_ body: HTTPClientResponse.Body, into stream: inout EventStream) async throws {
        for try await chunk in body {
            var outputs: [SSEParser.Output] = []
            chunk.withUnsafeReadableBytes { bytes in stream.parser.push(bytes) { outputs.append($0) } }
            for output in outputs {
                switch output {
                case .event(let event):
                    guard event.type == "message", !event.data.allSatisfy(Self.isWhitespace) else { continue }
                    if let requestID = stream.requestID, Self.isAnswer(event.data, to: requestID) {
                        stream.answered = true
                    }
                    deliver(event.data)
                case .retry(let milliseconds):
                    state.withLock { $0.retry = .milliseconds(min(max(milliseconds, 0), 60_000)) }
                case .oversized(let bytes):
                    stream.droppedOversized = true
                    link.oversized(bytes)
                }
            }
        }
        stream.parser.finish()
    }

    /// A request's stream ended without its answer: resume it with `Last-Event-ID` (the spec's
    /// GET), a few times, else answer the request with what happened.
    func resume(_ stream: inout EventStream, requestID: [UInt8]) async {
        for _ in 0..<3 {
            guard let last = stream.parser.lastEventID, !ended, !stream.droppedOversized else { break }
            let delay = state.withLock { $0.retry }
            try? await Task.sleep(for: delay)
            if Task.isCancelled { return }
            do {
                var request = HTTPClientRequest(url: transport.url.text)
                request.method = .GET
                request.headers = try await headers(for: nil, accept: "text/event-stream")
                request.headers.add(name: "Last-Event-ID", value: last)
                let response = try await execute(request)
                guard response.status.code == 200 else {
                    _ = try? await response.body.collect(upTo: 64 << 10)
                    break
                }
                link.diagnostic("resumed a dropped stream after event \(last)")
                try await read(response.body, into: &stream)
                if stream.answered { return }
            } catch {
                if Task.isCancelled { return }
            }
        }
        answer(
            requestID,
            stream.droppedOversized
                ? "server '\(link.server)' answered with more than the \(link.maxMessageBytes)-byte cap (max_message_size)"
                : "server '\(link.server)' closed the stream before answering (the call may or may not have run)"
        )
    }

    /// Hands one message to the child, on one line.
    package func deliver(_ bytes: [UInt8]) {
        let line = singleLine(bytes)
        noteIncoming(line)
        link.batch { link.receive(line) }
    }

    /// Answers a request the server will not answer, with what happened.
    func answer(_ requestID: [UInt8]?, _ message: String) {
        guard let requestID else { return }
        link.diagnostic(message)
        deliver(JSONRPC.error(id: requestID, .serverUnavailable(message)))
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// Whether `bytes` are a JSON-RPC response to `requestID`.
    package static func isAnswer(_ bytes: [UInt8], to requestID: [UInt8]?) -> Bool {
        guard let requestID, let message = try? JSONRPCMessage.parse(singleLine(bytes)) else { return false }
        return message.kind == .response && message.id.map { Array($0.bytes) } == requestID
    }

    // MARK: - Words

    func authorizationFailure(status: UInt, challenge: String?) -> String {
        let what = status == 401 ? "refused muxgate's credentials (HTTP 401)" : "denied the request (HTTP 403)"
        let scope =
            challenge.flatMap { $0.range(of: "insufficient_scope") != nil ? " (insufficient scope)" : nil } ?? ""
        let fix: String
        switch transport.remote.auth {
        case .oauth: fix = "run `muxgate login \(link.server)`"
        case nil: fix = "check servers.\(link.server).headers (the token may be missing or expired)"
        }
        return "server '\(link.server)' \(what)\(scope): \(fix)"
    }

    package static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        guard let value = headers["retry-after"].first, let seconds = Int(value.trimmingCharacters(in: .whitespaces)),
            seconds >= 0
        else { return nil }
        return .seconds(min(seconds, 3600))
    }

    /// An error in words a user can act on (never a header value).
    package static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connection timed out"
            case .deadlineExceeded: return "no answer in time"
            case .remoteConnectionClosed: return "the server closed the connection"
            default: return "\(error)"
            }
        }
        let text = "\(error)"
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        return text
    }
}
