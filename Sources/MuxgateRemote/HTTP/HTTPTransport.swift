import AsyncHTTPClient
import Foundation
import Logging
import MuxgateAudit
package import MuxgateChildren
package import MuxgateConfig
import MuxgatePolicy
package import MuxgateWire
import NIOCore
package import NIOHTTP1
import NIOSSL
import Synchronization

/// A child reached over HTTP: Streamable HTTP (2025-03-26 and later, 2026-07-28), or the
/// 2024-11-05 HTTP+SSE transport, found by the spec's compatibility rule when not configured.
///
/// One connection is one MCP session: it starts with the child's first message (`initialize`, or
/// any 2026-07-28 request) and ends when muxgate stops it (`DELETE` of the session) or the server
/// is gone (it refuses connections, or the handshake fails). Inside it:
/// - every message is one POST (`Accept: application/json, text/event-stream`); a JSON answer or
///   the events of an SSE answer are delivered in order; a stream that ends without the request's
///   answer is resumed with `Last-Event-ID` when the server gave event ids, else answered with a
///   clear error; a 404 on a known session re-initializes it transparently and sends again what
///   got the 404 (the server never saw it), while calls on the old session get an error;
/// - after `notifications/initialized`, the GET stream for server-initiated messages, unless the
///   server answers 405; reconnected after a drop, honouring `retry:`;
/// - a `notifications/cancelled` drops the stream of the request it cancels;
/// - headers: the configured ones (never logged), `Mcp-Session-Id`, `MCP-Protocol-Version`, and
///   for 2026-07-28 `Mcp-Method` / `Mcp-Name`.
package struct HTTPTransport: ChildTransport {
    package let remote: RemoteServerConfig
    package let url: URLParts
    /// A 2026-07-28 child (`protocol: 2026-07-28`): no sessions, the per-request headers.
    package let modern: Bool
    /// How long a request may take to get its answer's head (the child's call timeout).
    package let requestTimeout: Duration
    /// A bearer token source (OAuth), consulted before every request.
    package let credentials: (any HTTPCredentials)?

    package var summary: String { remote.url }

    package init(
        remote: RemoteServerConfig,
        modern: Bool,
        requestTimeout: Duration,
        credentials: (any HTTPCredentials)?
    ) {
        self.remote = remote
        // Validated when the configuration was loaded.
        self.url = URLParts(remote.url) ?? URLParts("http://invalid.invalid/")!
        self.modern = modern
        self.requestTimeout = requestTimeout
        self.credentials = credentials
    }

    package func run(_ link: ChildLink, stopping: Latch) async -> ConnectionEnd {
        let client: HTTPClient
        do {
            client = try makeClient()
        } catch {
            return ConnectionEnd("cannot set up HTTPS: \(error)")
        }
        let session = HTTPSession(transport: self, client: client, link: link)
        let end = await session.run(stopping: stopping)
        try? await client.shutdown()
        return end
    }

    private func makeClient() throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = remote.caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw HTTPTransportError("ca_file \(caFile) cannot be read")
            }
            tls.additionalTrustRoots = [.file(caFile)]
        }
        let connect = remote.connectTimeout?.duration ?? RemoteServerConfig.defaultConnectTimeout
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            // A redirect could carry the session id and credentials to another origin.
            redirectConfiguration: .disallow,
            // No read timeout: SSE streams idle between events; muxgate's own timeouts bound calls.
            timeout: .init(connect: .nanoseconds(Int64(connect.seconds * 1e9)), read: nil),
            // Idle connections go before common servers' keep-alive (uvicorn's and Node's: 5 s)
            // closes them, so a request is not written into one being closed.
            connectionPool: .init(idleTimeout: .seconds(4), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        )
        configuration.httpVersion = .automatic
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }
}

/// Supplies the `Authorization` header of a remote child's requests (OAuth), refreshing as needed.
package protocol HTTPCredentials: Sendable {
    /// The header value to send now (`Bearer …`).
    ///
    /// - Throws: `HTTPTransportError` saying what the user must do (e.g. `muxgate login NAME`).
    func authorization() async throws -> String
    /// The server refused the value `authorization()` gave (401): get another one if possible.
    ///
    /// - Returns: Whether a retry with a new value is worth it.
    func refused(_ value: String, challenge: String?) async -> Bool
}

package struct HTTPTransportError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
