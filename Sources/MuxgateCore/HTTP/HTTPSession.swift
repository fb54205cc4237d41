import AsyncHTTPClient
import Foundation
import Logging
package import MuxgateAudit
package import MuxgateConfig
package import MuxgatePolicy
package import MuxgateWire
import NIOCore
import NIOHTTP1
import Synchronization

/// One connection of an `HTTPTransport`: an MCP session over HTTP, from the child's first message
/// to its end. See `HTTPTransport` for what it does.
final class HTTPSession: Sendable {
    let transport: HTTPTransport
    let client: HTTPClient
    let link: ChildLink

    struct State {
        var sessionID: String?
        /// The version for `MCP-Protocol-Version`, once the handshake said it.
        var protocolVersion: String?
        /// HTTP+SSE: where messages are POSTed (the `endpoint` event).
        var legacyEndpoint: URLParts?
        /// The `initialize` request as sent, to open a new session after a 404.
        var initialize: JSONRPCMessage?
        var initialized = false
        var getStreamOpen = false
        /// A request's open stream, dropped when it is cancelled: request id → its cancel latch.
        var streams: [[UInt8]: Latch] = [:]
        var end: ConnectionEnd?
        /// A re-initialization under way: those who find a 404 meanwhile wait for it.
        var reinitializing: Latch?
        var reinitializations = 0
        /// The server's `retry:` (ms), for reconnecting a stream.
        var retry: Duration = .seconds(1)
        var stopping = false
    }

    let state = Mutex(State())
    /// Set once `run` made the outbox: ends the loop of messages.
    private let outbox = Mutex<QueueOutbox?>(nil)

    init(transport: HTTPTransport, client: HTTPClient, link: ChildLink) {
        self.transport = transport
        self.client = client
        self.link = link
        if transport.modern { state.withLock { $0.protocolVersion = RequestEnvelope.version } }
    }

    // MARK: - The connection

    func run(stopping: Latch) async -> ConnectionEnd {
        let (messages, continuation) = AsyncStream.makeStream(of: [UInt8].self)
        let outbox = QueueOutbox(continuation)
        self.outbox.withLock { $0 = outbox }
        link.attach(outbox)
        link.started(nil)
        await withDiscardingTaskGroup { group in
            group.addTask {
                await stopping.wait()
                self.state.withLock { $0.stopping = true }
                outbox.finish()
            }
            var first = true
            for await line in messages {
                outbox.took(line.count)
                let body = line.last == 0x0A ? Array(line.dropLast()) : line
                guard let message = try? JSONRPCMessage.parse(body) else {
                    link.logger.error("dropped an invalid message muxgate meant for the server")
                    continue
                }
                if first {
                    // The first message finds out which transport the server speaks: nothing
                    // else is sent before it is answered (the handshake waits for it anyway).
                    first = false
                    await open(with: message, group: &group)
                    continue
                }
                group.addTask {
                    await self.send(message)
                    // The GET stream for server-initiated messages, once the session is up: run
                    // by the task that sent `notifications/initialized`, inside the group.
                    if message.method == "notifications/initialized" { await self.runGetStream() }
                }
            }
            if state.withLock({ $0.stopping }) { await closeSession() }
            group.cancelAll()
        }
        return state.withLock { $0.end } ?? ConnectionEnd("the session was closed")
    }

    /// Ends the connection: the server is gone (the first reason stands).
    func end(_ reason: String, retryAfter: Duration? = nil) {
        let first = state.withLock { state -> Bool in
            guard state.end == nil else { return false }
            state.end = ConnectionEnd(reason, retryAfter: retryAfter)
            return true
        }
        if first { outbox.withLock { $0 }?.finish() }
    }

    var ended: Bool { state.withLock { $0.end != nil || $0.stopping } }

    private func open(with message: JSONRPCMessage, group: inout DiscardingTaskGroup) async {
        switch transport.remote.kind {
        case .sse where !transport.modern:
            guard await openLegacy(group: &group) else { return }
            await send(message)
        case .auto where !transport.modern:
            let outcome = await send(message, detecting: true)
            guard case .notStreamable(let status) = outcome else { return }
            link.diagnostic("POST answered HTTP \(status): trying the 2024-11-05 HTTP+SSE transport (GET)")
            guard await openLegacy(group: &group) else { return }
            await send(message)
        default:
            await send(message)
        }
    }

    /// What POSTing a message came to, for the first one (transport detection).
    enum PostOutcome {
        case done
        /// 400, 404 or 405 without a JSON-RPC answer: the server may speak HTTP+SSE instead.
        case notStreamable(UInt)
    }

    // MARK: - Sending

    /// POSTs one message and delivers what comes back; a request's stream is dropped when it is
    /// cancelled (`notifications/cancelled`, or muxgate stopping).
    @discardableResult
    private func send(_ message: JSONRPCMessage, detecting: Bool = false) async -> PostOutcome {
        if ended { return .done }
        noteOutgoing(message)
        if message.method == "notifications/cancelled" {
            cancelStream(of: message)
            // 2026-07-28 cancels by closing the stream only; the notification is for stdio.
            if transport.modern { return .done }
        }
        guard message.kind == .request, let id = message.id else {
            return await post(message, requestID: nil, cancel: nil)
        }
        let requestID = Array(id.bytes)
        let cancel = Latch()
        state.withLock { $0.streams[requestID] = cancel }
        defer { state.withLock { _ = $0.streams.removeValue(forKey: requestID) } }
        return await post(message, requestID: requestID, cancel: cancel, detecting: detecting)
    }

    /// - Parameter cancel: Fired when the request is cancelled: its answer's stream is dropped.
    private func post(
        _ message: JSONRPCMessage,
        requestID: [UInt8]?,
        cancel: Latch?,
        detecting: Bool = false,
        afterReinitialization: Bool = false,
        retried: Bool = false
    ) async -> PostOutcome {
        let (target, sessionAtSend) = state.withLock { ($0.legacyEndpoint ?? transport.url, $0.sessionID) }
        let response: HTTPClientResponse
        do {
            var request = HTTPClientRequest(url: target.text)
            request.method = .POST
            request.headers = try await headers(for: message, accept: "application/json, text/event-stream")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: message.bytes))
            response = try await execute(request)
        } catch is CancellationError {
            return .done
        } catch let error as HTTPTransportError {
            answer(requestID, error.description)
            end(error.description)
            return .done
        } catch let error as ChannelError where error == .ioOnClosedChannel && !retried {
            // A pooled connection the server had just closed: the request never left, so sending
            // it again on a fresh connection cannot run it twice. Once; a second failure is real.
            link.diagnostic("a connection the server had closed was reused: sending the request again")
            return await post(
                message,
                requestID: requestID,
                cancel: cancel,
                detecting: detecting,
                afterReinitialization: afterReinitialization,
                retried: true
            )
        } catch {
            let reason = "cannot reach \(transport.url.origin): \(Self.describe(error))"
            // The caller learns which server failed, as the other calls this ends do ("server
            // 'NAME' exited (…)"): the HTTP deadline and the call timeout race for a hung server.
            answer(requestID, "server '\(link.server)' \(reason)")
            if !ended { end(reason) }
            return .done
        }
        let status = response.status.code
        let legacy = state.withLock { $0.legacyEndpoint != nil }
        switch status {
        case 202,
            200..<300 where legacy:
            // Accepted: an HTTP+SSE server answers on its stream; a notification has no answer.
            _ = try? await response.body.collect(upTo: 64 << 10)
            return .done
        case 200..<300:
            if message.method == "initialize" {
                adoptSession(from: response)
            }
            if cancel?.isFired == true {
                _ = try? await response.body.collect(upTo: link.maxMessageBytes)
                return .done
            }
            await deliver(response, for: requestID, cancel: cancel)
            return .done
        case 404 where sessionAtSend != nil && !legacy && !afterReinitialization:
            _ = try? await response.body.collect(upTo: 64 << 10)
            link.diagnostic("the server no longer knows the session (HTTP 404): opening a new one")
            guard await reinitialize(replacing: sessionAtSend) else {
                answer(requestID, "server '\(link.server)' ended the session and a new one could not be opened")
                return .done
            }
            return await post(message, requestID: requestID, cancel: cancel, afterReinitialization: true)
        case 401, 403:
            let challenge = response.headers["www-authenticate"].first
            _ = try? await response.body.collect(upTo: 64 << 10)
            if status == 401, let credentials = transport.credentials, !afterReinitialization,
                let sent = try? await credentials.authorization(), await credentials.refused(sent, challenge: challenge)
            {
                return await post(message, requestID: requestID, cancel: cancel, afterReinitialization: true)
            }
            let reason = authorizationFailure(status: status, challenge: challenge)
            answer(requestID, reason)
            if status == 401 || message.method == "initialize" { end(reason) }
            return .done
        default:
            let body = (try? await response.body.collect(upTo: 64 << 10)).map { Array(buffer: $0) } ?? []
            if detecting, [400, 404, 405].contains(status), !Self.isAnswer(body, to: requestID) {
                return .notStreamable(status)
            }
            let retryAfter = Self.retryAfter(response.headers)
            if Self.isAnswer(body, to: requestID) {
                deliver(body)
            } else {
                let excerpt = String(decoding: body.prefix(200), as: UTF8.self)
                answer(
                    requestID,
                    "server '\(link.server)' answered HTTP \(status) \(response.status.reasonPhrase)"
                        + (excerpt.isEmpty ? "" : ": \(excerpt)")
                )
            }
            if message.method == "initialize" || (transport.modern && message.method == "server/discover") {
                end(
                    "the server answered the handshake with HTTP \(status) \(response.status.reasonPhrase)",
                    retryAfter: retryAfter
                )
            }
            return .done
        }
    }

    /// Executes `request` until its head arrives (at most the request timeout).
    private func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        let deadline = NIODeadline.now() + .nanoseconds(Int64(transport.requestTimeout.seconds * 1e9))
        return try await client.execute(request, deadline: deadline)
    }

    /// The headers of one request: the configured ones, credentials, session and version.
    func headers(for message: JSONRPCMessage?, accept: String) async throws -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: accept)
        headers.add(name: "User-Agent", value: "muxgate/\(MuxgateVersion.current)")
        for (name, value) in transport.remote.headers.sorted(by: { $0.key < $1.key }) {
            headers.replaceOrAdd(name: name, value: value)
        }
        if let credentials = transport.credentials {
            headers.replaceOrAdd(name: "Authorization", value: try await credentials.authorization())
        }
        let (session, version) = state.withLock { ($0.sessionID, $0.protocolVersion) }
        if let session { headers.add(name: "Mcp-Session-Id", value: session) }
        if let version, message?.method != "initialize" { headers.add(name: "MCP-Protocol-Version", value: version) }
        if transport.modern, let message, let method = message.method {
            headers.add(name: "Mcp-Method", value: ParamHeaders.headerValue(method))
            let name: String? =
                switch method {
                case "tools/call", "prompts/get": message.params?["name"]?.string
                case "resources/read": message.params?["uri"]?.string
                default: nil
                }
            if let name { headers.add(name: "Mcp-Name", value: ParamHeaders.headerValue(name)) }
            if method == "tools/call", let name, let schema = link.tool(name)?["inputSchema"],
                let declared = try? ParamHeaders.declarations(in: schema)
            {
                for (header, value) in ParamHeaders.headers(declared, arguments: message.params?["arguments"]) {
                    headers.add(name: header, value: value)
                }
            }
        }
        return headers
    }

    // MARK: - What comes back

    /// Delivers a 2xx answer: a JSON body, or the events of an SSE stream (resumed if it drops
    /// before the request's answer, when the server gave event ids).
    func deliver(_ response: HTTPClientResponse, for requestID: [UInt8]?, cancel: Latch?) async {
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
    private func stream(_ response: HTTPClientResponse, for requestID: [UInt8]?) async {
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
    struct EventStream {
        let requestID: [UInt8]?
        var parser: SSEParser
        var answered = false
        var droppedOversized = false

        init(requestID: [UInt8]?, maximum: Int) {
            self.requestID = requestID
            parser = SSEParser(maximumEventBytes: maximum)
        }
    }

    func read(_ body: HTTPClientResponse.Body, into stream: inout EventStream) async throws {
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
    private func resume(_ stream: inout EventStream, requestID: [UInt8]) async {
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
    func deliver(_ bytes: [UInt8]) {
        let line = singleLine(bytes)
        noteIncoming(line)
        link.batch { link.receive(line) }
    }

    /// Answers a request the server will not answer, with what happened.
    private func answer(_ requestID: [UInt8]?, _ message: String) {
        guard let requestID else { return }
        link.diagnostic(message)
        deliver(JSONRPC.error(id: requestID, .serverUnavailable(message)))
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// Whether `bytes` are a JSON-RPC response to `requestID`.
    static func isAnswer(_ bytes: [UInt8], to requestID: [UInt8]?) -> Bool {
        guard let requestID, let message = try? JSONRPCMessage.parse(singleLine(bytes)) else { return false }
        return message.kind == .response && message.id.map { Array($0.bytes) } == requestID
    }

    // MARK: - Words

    private func authorizationFailure(status: UInt, challenge: String?) -> String {
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

    static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        guard let value = headers["retry-after"].first, let seconds = Int(value.trimmingCharacters(in: .whitespaces)),
            seconds >= 0
        else { return nil }
        return .seconds(min(seconds, 3600))
    }

    /// An error in words a user can act on (never a header value).
    static func describe(_ error: any Error) -> String {
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
