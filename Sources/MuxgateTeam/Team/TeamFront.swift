package import HTTPTypes
import Hummingbird
package import HummingbirdCore
import HummingbirdTLS
package import Logging
import MuxgateAudit
import MuxgateChildren
package import MuxgateConfig
import MuxgatePolicy
package import MuxgateRouting
package import MuxgateTelemetry
import MuxgateWire
import NIOCore
import ServiceLifecycle
package import Synchronization

/// Team mode's front: the server side of Streamable HTTP (Hummingbird), one `ClientSession` per
/// `Mcp-Session-Id`, every request authenticated first.
///
/// `POST /mcp` takes one JSON-RPC message: a request is answered with JSON, or with an SSE stream
/// when something else comes first for it (its progress, an approval, a child's request on its
/// behalf); a notification or a response gets 202. `GET /mcp` is the session's standalone SSE
/// stream (a new GET replaces the one open), or with `Last-Event-ID` the rest of whichever stream
/// that event was on (`TeamStreams`); `DELETE /mcp` ends the session. A session belongs
/// to the identity that opened it: another identity's token gets 404 for it, as an unknown id does.
package struct TeamFront: Service {
    package let gateway: Gateway
    package let config: HTTPFrontConfig
    package let maxMessageBytes: Int
    package let logger: Logger
    /// Serves `/metrics` when it has a Prometheus registry.
    package let telemetry: Telemetry?
    private let verifier: OIDCVerifier
    let sessions = Locked<[String: TeamSession]>([:])
    /// Sessions being opened, counted against `max_sessions` before they exist.
    let pendingOpens = Locked(0)
    /// Set when graceful shutdown begins: no new sessions, `/readyz` fails (`TeamFront+Drain`).
    let draining = SharedFlag()
    /// Work whose answer must wait, run in the front's task group (as the stdio front does).
    private let work:
        (
            stream: AsyncStream<@Sendable () async -> Void>,
            continuation: AsyncStream<@Sendable () async -> Void>.Continuation
        )
    /// Called with the bound port once the listener runs (tests listen on port 0).
    package let onListening: @Sendable (Int) -> Void

    /// One authenticated IDE's session.
    package final class TeamSession: Sendable {
        package let id: String
        package let identity: ClientIdentity
        package let session: ClientSession
        package let streams: TeamStreams
        package let lastUsed: Mutex<ContinuousClock.Instant>

        package init(id: String, identity: ClientIdentity, session: ClientSession, streams: TeamStreams) {
            self.id = id
            self.identity = identity
            self.session = session
            self.streams = streams
            lastUsed = Mutex(.now)
        }

        package func touch() { lastUsed.withLock { $0 = .now } }
    }

    package init(
        gateway: Gateway,
        config: HTTPFrontConfig,
        maxMessageBytes: Int,
        logger: Logger,
        telemetry: Telemetry? = nil,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.telemetry = telemetry
        self.gateway = gateway
        self.config = config
        self.maxMessageBytes = maxMessageBytes
        self.logger = logger
        self.onListening = onListening
        work = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
        verifier = OIDCVerifier(logger: logger)
    }

    package func run() async throws {
        let address = HTTPFrontConfig.address(config.listen)!
        let headerTimeout = Int64(config.headerTimeout / .nanoseconds(1))
        let router = Router()
        router.post("mcp") { request, _ in await self.post(request) }
        router.get("mcp") { request, _ in await self.get(request) }
        router.delete("mcp") { request, _ in await self.delete(request) }
        if telemetry?.scrape() != nil {
            router.get("metrics") { request, _ in self.metrics(request) }
        }
        router.get("healthz") { _, _ in self.health() }
        router.get("readyz") { _, _ in await self.readiness() }
        router.get(".well-known/oauth-protected-resource") { _, _ in self.resourceMetadata() }
        router.get(".well-known/oauth-protected-resource/mcp") { _, _ in self.resourceMetadata() }
        var server = HTTPServerBuilder.http1(
            configuration: .init(
                additionalChannelHandlers: [HeaderDeadline(timeout: .nanoseconds(headerTimeout))],
                idleTimeout: .nanoseconds(Int64(config.idleTimeout / .nanoseconds(1)))
            )
        )
        if let tls = config.tls {
            // Checked when the configuration loaded; the files could have changed since.
            server = try .tls(server, tlsConfiguration: try tls.serverConfiguration())
        }
        let scheme = config.tls == nil ? "http" : "https"
        let app = Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "muxgate"),
            onServerRunning: { [logger, onListening] channel in
                let port = channel.localAddress?.port ?? address.port
                logger.notice("team mode: listening on \(scheme)://\(address.host):\(port)/mcp")
                onListening(port)
            },
            logger: logger
        )
        await withDiscardingTaskGroup { group in
            group.addTask { [work] in
                await withDiscardingTaskGroup { calls in
                    for await job in work.stream { calls.addTask { await job() } }
                }
            }
            group.addTask { await self.expireIdleSessions() }
            // On SIGTERM: drain, then end every stream and session, so the listener's own
            // graceful shutdown (which waits for open responses) ends however clients behave.
            group.addTask {
                do { try await gracefulShutdown() } catch { return }
                await self.drain()
            }
            do {
                try await app.run()
            } catch {
                logger.error("team mode: the HTTP listener on \(config.listen) failed: \(error)")
            }
            work.continuation.finish()
            for session in sessions.withLock({ Array($0.values) }) { await end(session, reason: "muxgate stopped") }
            group.cancelAll()
        }
    }

    // MARK: - Requests

    package static let sessionHeader = HTTPField.Name("Mcp-Session-Id")!
    package static let versionHeader = HTTPField.Name("MCP-Protocol-Version")!
    package static let lastEventHeader = HTTPField.Name("Last-Event-ID")!

    /// What every request passes first: its origin, then its token — a client's own (by its
    /// SHA-256) or one an OIDC issuer signed.
    private func admit(_ request: Request) async -> Result<ClientIdentity, Refusal> {
        if let origin = request.headers[.origin], !config.allowedOrigins.contains(origin) {
            logger.warning("team mode: refused a request from origin \(origin) (not in http.allowed_origins)")
            return .failure(Refusal(.forbidden, "origin \(origin) is not allowed (http.allowed_origins)"))
        }
        let authorization = request.headers[.authorization]
        let clients = gateway.config.clients
        if let client = TeamAuthenticator.client(authorization: authorization, among: clients) {
            return .success(ClientIdentity(name: client.name, profile: client.profile))
        }
        let issuers = clients.filter { $0.oidc != nil }
        if let token = authorization.flatMap(TeamAuthenticator.bearer), OIDCVerifier.isJWT(token), !issuers.isEmpty {
            do {
                let caller = try await verifier.caller(token: token, among: issuers)
                return .success(
                    ClientIdentity(name: caller.client.name, subject: caller.subject, profile: caller.profile)
                )
            } catch {
                logger.warning("team mode: refused a token: \(error.reason)")
                return .failure(unauthorized(given: true, why: error.reason))
            }
        }
        logger.warning("team mode: refused a request with \(authorization != nil ? "an unknown" : "no") bearer token")
        return .failure(unauthorized(given: authorization != nil))
    }

    /// The session a request names; refused when it names none, an unknown one, or another identity's.
    private func session(of request: Request, for identity: ClientIdentity) -> Result<TeamSession, Refusal> {
        guard let id = request.headers[Self.sessionHeader] else {
            return .failure(Refusal(.badRequest, "Mcp-Session-Id is required (send initialize first)"))
        }
        guard let session = sessions.withLock({ $0[id] }), session.identity.name == identity.name,
            session.identity.subject == identity.subject
        else {
            return .failure(Refusal(.notFound, "unknown or expired session; initialize again"))
        }
        if let version = request.headers[Self.versionHeader], !ProtocolVersion.supported.contains(version) {
            return .failure(Refusal(.badRequest, "unsupported MCP-Protocol-Version \(version)"))
        }
        session.touch()
        return .success(session)
    }

    /// `admit`, then `session(of:for:)`; the session takes the identity the credential maps to now.
    package func admitted(_ request: Request) async -> Result<TeamSession, Refusal> {
        switch await admit(request) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let identity):
            let found = session(of: request, for: identity)
            if case .success(let session) = found { await reauthorize(session, as: identity, for: nil) }
            return found
        }
    }

    /// Judges the session by the credential of its latest request: a caller demoted by a reload,
    /// or whose new token lacks the group that gave it more, is judged by the profile it maps to
    /// now, from this request on. A changed profile is logged and audited, and the IDE is told its
    /// tools changed.
    ///
    /// - Parameter id: The request it admits, judged by exactly this identity.
    private func reauthorize(_ team: TeamSession, as identity: ClientIdentity, for id: [UInt8]?) async {
        let before = team.session.identity.profile
        guard team.session.admit(identity, for: id) else { return }
        await gateway.profileChanged(team.session, from: before)
    }

    private func post(_ request: Request) async -> Response {
        let client: ClientIdentity
        switch await admit(request) {
        case .failure(let refusal): return refusal.response
        case .success(let admitted): client = admitted
        }
        let body: [UInt8]
        do {
            var request = request
            let buffer = try await request.collectBody(upTo: maxMessageBytes)
            body = Array(buffer.readableBytesView)
        } catch {
            return Refusal(
                .contentTooLarge,
                "the message exceeds muxgate's cap of \(maxMessageBytes) bytes (max_message_size)"
            ).response
        }
        let message: JSONRPCMessage
        do {
            message = try JSONRPCMessage.parse(body, oneReading: true)
        } catch {
            return Self.json(.badRequest, JSONRPC.error(id: error.id.map { Array($0.bytes) }, error.error))
        }
        let target: TeamSession
        if message.kind == .request, message.method == "initialize", request.headers[Self.sessionHeader] == nil {
            switch await open(for: client) {
            case .failure(let refusal): return refusal.response
            case .success(let opened): target = opened
            }
        } else {
            switch session(of: request, for: client) {
            case .failure(let refusal): return refusal.response
            case .success(let found): target = found
            }
            await reauthorize(target, as: client, for: message.kind == .request ? Array(message.id!.bytes) : nil)
        }
        guard message.kind == .request else {
            if let job = await gateway.receive(message, from: target.session) { work.continuation.yield(job) }
            return Response(status: .accepted)
        }
        let id = Array(message.id!.bytes)
        guard let exchange = target.streams.openExchange(id) else {
            return Self.json(
                .ok,
                JSONRPC.error(
                    id: id,
                    .invalidRequest("Invalid Request: id \(message.id!.text) is already in use by a request in flight")
                )
            )
        }
        if !gateway.fastPath(body, from: target.session),
            let job = await gateway.receive(message, from: target.session)
        {
            work.continuation.yield(job)
        }
        var response = await answer(exchange, session: target)
        // A limit refused the call: HTTP's own signal too, where the answer is a plain JSON body
        // (a stream's headers left before its answer was known).
        if let seconds = target.session.retryHints.withLock({ $0.removeValue(forKey: id) }),
            response.headers[.contentType] == "application/json"
        {
            response.headers[.retryAfter] = "\(seconds)"
        }
        return response
    }

    private func delete(_ request: Request) async -> Response {
        let session: TeamSession
        switch await admitted(request) {
        case .failure(let refusal): return refusal.response
        case .success(let found): session = found
        }
        await end(session, reason: "the client ended it (DELETE)")
        return Response(status: .noContent)
    }
}
