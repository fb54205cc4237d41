package import HTTPTypes
import Hummingbird
package import HummingbirdCore
import HummingbirdTLS
import Logging
import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateRouting
import MuxgateTelemetry
import MuxgateWire
import NIOCore
import ServiceLifecycle
import Synchronization

/// Team sessions (opened, ended, expired when idle) and the front's own responses (refusals, metrics, resource metadata).
extension TeamFront {
    // MARK: - Sessions

    /// Opens a session for `identity`, within both limits: `max_sessions` in all, and
    /// `max_sessions_per_client` for each identity (a client's name, and an OIDC caller's subject),
    /// so one caller cannot take every session from the others. A caller at its own limit gets its
    /// least recently used idle session ended for the new one (an IDE that crashed left it
    /// behind); 429 when all of them are busy.
    func open(for identity: ClientIdentity) async -> Result<TeamSession, Refusal> {
        guard !draining.isSet else {
            var refusal = Refusal(.serviceUnavailable, "muxgate is shutting down; open the session on another replica")
            refusal.headers[.retryAfter] = "1"
            return .failure(refusal)
        }
        let perClient = config.maxSessionsPerClient
        enum Room {
            case free
            case replacing(TeamSession)
            case busy
        }
        let room = sessions.withLock { table -> Room in
            let mine = table.values.filter {
                $0.identity.name == identity.name && $0.identity.subject == identity.subject
            }
            guard mine.count >= perClient else { return .free }
            let idle = mine.filter { !$0.streams.hasOpenExchanges }
            return idle.min { $0.lastUsed.withLock { $0 } < $1.lastUsed.withLock { $0 } }.map(Room.replacing) ?? .busy
        }
        switch room {
        case .busy:
            logger.warning(
                "team mode: \(identity.describe) is at http.max_sessions_per_client (\(perClient)), all busy"
            )
            var refusal = Refusal(
                .tooManyRequests,
                "\(identity.describe) already has \(perClient) sessions with requests in flight "
                    + "(http.max_sessions_per_client); end one (DELETE) or retry when one is idle"
            )
            refusal.headers[.retryAfter] = "5"
            return .failure(refusal)
        case .replacing(let victim):
            await end(
                victim,
                reason: "replaced by a new session of \(identity.describe) (http.max_sessions_per_client)"
            )
        case .free:
            break
        }
        // Reserved under the lock: concurrent initializes cannot both take the last place.
        let reserved = sessions.withLock { table -> Bool in
            guard table.count + pendingOpens.withLock({ $0 }) < config.maxSessions else { return false }
            pendingOpens.withLock { $0 += 1 }
            return true
        }
        guard reserved else {
            return .failure(Refusal(.serviceUnavailable, "muxgate serves at most \(config.maxSessions) sessions"))
        }
        defer { pendingOpens.withLock { $0 -= 1 } }
        let streams = TeamStreams()
        let session = await gateway.openSession(identity: identity, sink: streams)
        let team = TeamSession(
            id: TeamAuthenticator.newToken().replacing("mgt_", with: "mgs_"),
            identity: identity,
            session: session,
            streams: streams
        )
        sessions.withLock { $0[team.id] = team }
        logger.info("team mode: session \(session.label) opened for \(identity.describe)")
        return .success(team)
    }

    func end(_ session: TeamSession, reason: String) async {
        guard sessions.withLock({ $0.removeValue(forKey: session.id) }) != nil else { return }
        session.streams.close()
        await gateway.closeSession(session.session, reason: reason)
        logger.info("team mode: session \(session.session.label) of \(session.identity.describe) ended: \(reason)")
    }

    /// Ends sessions unused for `session_idle_timeout` with no request open.
    func expireIdleSessions() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(5))
            let now = ContinuousClock.now
            let idle = sessions.withLock { table in
                table.values.filter {
                    !$0.streams.hasOpenExchanges && now - $0.lastUsed.withLock { $0 } > config.sessionIdleTimeout
                }
            }
            for session in idle { await end(session, reason: "idle for \(config.sessionIdleTimeout)") }
        }
    }

    // MARK: - Responses

    /// A request refused before it reached the gateway: an HTTP status and a reason.
    package struct Refusal: Error {
        package let status: HTTPResponse.Status
        package let reason: String
        package var headers = HTTPFields()

        package init(_ status: HTTPResponse.Status, _ reason: String) {
            self.status = status
            self.reason = reason
        }

        package var response: Response {
            var headers = headers
            headers[.contentType] = "application/json"
            let body = JSONValue.object([
                ("error", .string(status.reasonPhrase)),
                ("error_description", .string(Secrets.shared.scrub("muxgate: " + reason))),
            ]).encoded
            return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    /// 401 with the challenge MCP clients read to find the resource's metadata (RFC 9728).
    func unauthorized(given: Bool, why: String? = nil) -> Refusal {
        var refusal = Refusal(
            .unauthorized,
            why ?? (given ? "the bearer token is not known" : "a bearer token is required")
        )
        var challenge =
            "Bearer realm=\"muxgate\", resource_metadata=\"\(baseURL)/.well-known/oauth-protected-resource\""
        if given { challenge += ", error=\"invalid_token\"" }
        refusal.headers[.wwwAuthenticate] = challenge
        return refusal
    }

    var baseURL: String {
        if let url = config.publicURL { return url.hasSuffix("/") ? String(url.dropLast()) : url }
        return "\(config.tls == nil ? "http" : "https")://\(config.listen)"
    }

    /// `GET /metrics`: Prometheus text (`http.metrics: true`); a browser origin not allowed is refused.
    func metrics(_ request: Request) -> Response {
        if let origin = request.headers[.origin], !config.allowedOrigins.contains(origin) {
            return Refusal(.forbidden, "origin \(origin) is not allowed (http.allowed_origins)").response
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(
            status: .ok,
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: telemetry?.scrape() ?? []))
        )
    }

    /// The protected-resource metadata (RFC 9728): muxgate takes bearer tokens in the header.
    func resourceMetadata() -> Response {
        let body = JSONValue.object([
            ("resource", .string(baseURL + "/mcp")),
            ("authorization_servers", .array(gateway.config.clients.compactMap { $0.oidc.map { .string($0.issuer) } })),
            ("bearer_methods_supported", .array([.string("header")])),
            ("resource_name", .string("muxgate")),
        ]).encoded
        return Self.json(.ok, body)
    }

    package static func json(_ status: HTTPResponse.Status, _ body: [UInt8]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
