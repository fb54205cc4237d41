package import AsyncHTTPClient
import Foundation
import Logging
import MuxgateAudit
package import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
package import MuxgateWire
import NIOCore
package import NIOHTTP1
package import Synchronization

/// One connection of an `HTTPTransport`: an MCP session over HTTP, from the child's first message
/// to its end. See `HTTPTransport` for what it does.
package final class HTTPSession: Sendable {
    package let transport: HTTPTransport
    package let client: HTTPClient
    package let link: ChildLink

    package struct State {
        package var sessionID: String?
        /// The version for `MCP-Protocol-Version`, once the handshake said it.
        package var protocolVersion: String?
        /// HTTP+SSE: where messages are POSTed (the `endpoint` event).
        package var legacyEndpoint: URLParts?
        /// The `initialize` request as sent, to open a new session after a 404.
        package var initialize: JSONRPCMessage?
        package var initialized = false
        package var getStreamOpen = false
        /// A request's open stream, dropped when it is cancelled: request id → its cancel latch.
        package var streams: [[UInt8]: Latch] = [:]
        package var end: ConnectionEnd?
        /// A re-initialization under way: those who find a 404 meanwhile wait for it.
        package var reinitializing: Latch?
        package var reinitializations = 0
        /// The server's `retry:` (ms), for reconnecting a stream.
        package var retry: Duration = .seconds(1)
        package var stopping = false
    }

    package let state = Mutex(State())
    /// Set once `run` made the outbox: ends the loop of messages.
    private let outbox = Mutex<QueueOutbox?>(nil)

    package init(transport: HTTPTransport, client: HTTPClient, link: ChildLink) {
        self.transport = transport
        self.client = client
        self.link = link
        if transport.modern { state.withLock { $0.protocolVersion = RequestEnvelope.version } }
    }

    // MARK: - The connection

    package func run(stopping: Latch) async -> ConnectionEnd {
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
    package func end(_ reason: String, retryAfter: Duration? = nil) {
        let first = state.withLock { state -> Bool in
            guard state.end == nil else { return false }
            state.end = ConnectionEnd(reason, retryAfter: retryAfter)
            return true
        }
        if first { outbox.withLock { $0 }?.finish() }
    }

    package var ended: Bool { state.withLock { $0.end != nil || $0.stopping } }

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
    package enum PostOutcome {
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
    func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        let deadline = NIODeadline.now() + .nanoseconds(Int64(transport.requestTimeout.seconds * 1e9))
        return try await client.execute(request, deadline: deadline)
    }

    /// The headers of one request: the configured ones, credentials, session and version.
    package func headers(for message: JSONRPCMessage?, accept: String) async throws -> HTTPHeaders {
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
}
