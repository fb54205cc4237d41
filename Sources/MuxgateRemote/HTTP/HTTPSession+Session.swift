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

/// The MCP session an `HTTPSession` holds: what a re-initialization replays, the session id it
/// adopts, a new session after a 404, and its `DELETE` at the end.
extension HTTPSession {
    /// Remembers what a re-initialization must replay.
    package func noteOutgoing(_ message: JSONRPCMessage) {
        switch message.method {
        case "initialize": state.withLock { $0.initialize = message }
        case "notifications/initialized": state.withLock { $0.initialized = true }
        default: break
        }
    }

    /// The answer to `initialize` says the version every later request names.
    package func noteIncoming(_ line: [UInt8]) {
        // Only the handshake's answer says it; after it, nothing to look for.
        guard let pending = state.withLock({ $0.protocolVersion == nil ? $0.initialize : nil }),
            let version = Self.negotiatedVersion(line, initialize: pending)
        else { return }
        state.withLock { $0.protocolVersion = version }
    }

    package static func negotiatedVersion(_ line: [UInt8], initialize: JSONRPCMessage?) -> String? {
        guard let initialize, let id = initialize.id,
            line.count < 1 << 20,
            let message = try? JSONRPCMessage.parse(line), message.kind == .response,
            message.id.map({ Array($0.bytes) }) == Array(id.bytes)
        else { return nil }
        return message.result?["protocolVersion"]?.string
    }

    package func adoptSession(from response: HTTPClientResponse) {
        guard let session = response.headers["mcp-session-id"].first else { return }
        guard session.utf8.allSatisfy({ (0x21...0x7E).contains($0) }), session.utf8.count <= 1024 else {
            link.diagnostic("ignored an Mcp-Session-Id that is not visible ASCII")
            return
        }
        state.withLock { $0.sessionID = session }
    }

    /// Opens a new session after the server forgot the old one (404), replaying the handshake
    /// under muxgate's own id; others finding the 404 meanwhile wait for it.
    package func reinitialize(replacing old: String?) async -> Bool {
        let (mine, latch) = state.withLock { state -> (Bool, Latch?) in
            if let running = state.reinitializing { return (false, running) }
            if state.sessionID != old { return (false, nil) }  // someone already did
            let latch = Latch()
            state.reinitializing = latch
            return (true, latch)
        }
        guard mine else {
            await latch?.wait()
            return state.withLock { $0.sessionID != old }
        }
        defer {
            state.withLock { $0.reinitializing = nil }
            latch?.fire()
        }
        guard
            let initialize = state.withLock({ state -> JSONRPCMessage? in
                state.reinitializations += 1
                return state.initialize
            })
        else { return false }
        let number = state.withLock { $0.reinitializations }
        let replay = initialize.rewritten(id: Array(#""muxgate-reinit-\#(number)""#.utf8))
        do {
            var request = HTTPClientRequest(url: transport.url.text)
            request.method = .POST
            request.headers = try await headers(for: initialize, accept: "application/json, text/event-stream")
            request.headers.remove(name: "Mcp-Session-Id")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: replay))
            let response = try await client.execute(
                request,
                deadline: .now() + .seconds(Int64(transport.requestTimeout.seconds))
            )
            // The answer is muxgate's own (the child keeps what it negotiated the first time).
            _ = try? await response.body.collect(upTo: link.maxMessageBytes)
            guard (200..<300).contains(response.status.code), response.headers["mcp-session-id"].first != nil else {
                link.diagnostic("re-initializing failed: HTTP \(response.status.code)")
                return false
            }
            adoptSession(from: response)
            var initialized = HTTPClientRequest(url: transport.url.text)
            initialized.method = .POST
            initialized.headers = try await headers(for: nil, accept: "application/json, text/event-stream")
            initialized.headers.add(name: "Content-Type", value: "application/json")
            initialized.body = .bytes(
                ByteBuffer(bytes: JSONRPC.notification(method: "notifications/initialized", params: nil))
            )
            let acknowledged = try await client.execute(initialized, deadline: .now() + .seconds(10))
            _ = try? await acknowledged.body.collect(upTo: 64 << 10)
            link.diagnostic("opened a new session (re-initialization \(number))")
            return true
        } catch {
            link.diagnostic("re-initializing failed: \(Self.describe(error))")
            return false
        }
    }

    /// Drops the stream of the request a `notifications/cancelled` names.
    package func cancelStream(of cancel: JSONRPCMessage) {
        guard let id = cancel.params?["requestId"] else { return }
        state.withLock { $0.streams[Array(id.bytes)] }?.fire()
    }

    /// Ends the session at the server (`DELETE`; a server may answer 405: it keeps none).
    package func closeSession() async {
        guard let session = state.withLock({ $0.legacyEndpoint == nil ? $0.sessionID : nil }) else { return }
        do {
            var request = HTTPClientRequest(url: transport.url.text)
            request.method = .DELETE
            request.headers = try await headers(for: nil, accept: "application/json, text/event-stream")
            let response = try await client.execute(request, deadline: .now() + .seconds(2))
            _ = try? await response.body.collect(upTo: 64 << 10)
            link.logger.debug("ended the session \(session.prefix(8))…: HTTP \(response.status.code)")
        } catch {
            link.logger.debug("could not end the session: \(Self.describe(error))")
        }
    }
}
