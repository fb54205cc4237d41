import MuxgateWire

/// The `http:` section: team mode's listener (`muxgate serve --http`).
package struct HTTPFrontConfig: Sendable, Decodable {
    /// `host:port` to listen on; a host that is not loopback needs `allow_remote: true`.
    package var listen = "127.0.0.1:8765"
    /// Browser origins allowed to call (an `Origin` header not in it is refused: DNS rebinding).
    package var allowedOrigins: [String] = []
    /// Listening beyond loopback was asked for explicitly.
    package var allowRemote = false
    /// A session unused this long is ended (its calls cancelled).
    package var sessionIdleTimeout: Duration = .seconds(30 * 60)
    /// A connection that sends nothing this long while muxgate waits for a request (or the rest of
    /// one) is closed; a request being answered (a slow call, an SSE stream) is not cut.
    package var idleTimeout: Duration = .seconds(60)
    /// An SSE response open this long is closed (after `retry:`) and the client resumes it with
    /// `Last-Event-ID`; a call still unanswered then becomes a stream with a priming event. For
    /// proxies that cut long responses. Nil: streams stay open until they end.
    package var maxStreamDuration: Duration?
    /// A request's head (its line and headers) must arrive within this of the connection being
    /// ready for it, however it trickles in.
    package var headerTimeout: Duration = .seconds(10)
    /// At most this many sessions at once; an `initialize` beyond it gets 503.
    package var maxSessions = 256
    /// At most this many sessions for one identity (a client, or an OIDC caller's subject): at the
    /// limit its least recently used idle session is ended for the new one (429 if all are busy).
    package var maxSessionsPerClient = 16
    /// The address muxgate is reached at, for the protected-resource metadata (default: from `listen`).
    package var publicURL: String?
    /// Serve HTTPS with this certificate chain and key (PEM files; relative to the config file).
    package var tls: TLSFiles?
    /// Serve Prometheus text at `/metrics` (no token asked: point a scraper at it; Origin checked).
    package var metrics = false
    /// On SIGTERM: how long calls in flight may take to finish after muxgate stops taking new
    /// sessions (`/readyz` fails); then every stream and session ends, whatever clients do.
    package var shutdownGrace: Duration = .seconds(10)

    /// `http.tls`: the PEM files of the listener's certificate chain and private key.
    package struct TLSFiles: Sendable, Decodable, Equatable {
        package var cert: String
        package var key: String

        package enum CodingKeys: String, CodingKey, CaseIterable { case cert, key }

        package init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            cert = try container.decode(String.self, forKey: .cert)
            key = try container.decode(String.self, forKey: .key)
        }
    }

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case listen
        case allowedOrigins = "allowed_origins"
        case allowRemote = "allow_remote"
        case sessionIdleTimeout = "session_idle_timeout"
        case idleTimeout = "idle_timeout"
        case headerTimeout = "header_timeout"
        case maxStreamDuration = "max_stream_duration"
        case maxSessions = "max_sessions"
        case maxSessionsPerClient = "max_sessions_per_client"
        case publicURL = "public_url"
        case shutdownGrace = "shutdown_grace"
        case tls, metrics
    }

    package init() {}

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tls = try container.decodeIfPresent(TLSFiles.self, forKey: .tls)
        metrics = try container.decodeIfPresent(Bool.self, forKey: .metrics) ?? false
        listen = try container.decodeIfPresent(String.self, forKey: .listen) ?? listen
        allowedOrigins = try container.decodeIfPresent([String].self, forKey: .allowedOrigins) ?? []
        allowRemote = try container.decodeIfPresent(Bool.self, forKey: .allowRemote) ?? false
        sessionIdleTimeout =
            try container.decodeIfPresent(ConfigDuration.self, forKey: .sessionIdleTimeout)?.duration
            ?? sessionIdleTimeout
        idleTimeout = try container.decodeIfPresent(ConfigDuration.self, forKey: .idleTimeout)?.duration ?? idleTimeout
        headerTimeout =
            try container.decodeIfPresent(ConfigDuration.self, forKey: .headerTimeout)?.duration ?? headerTimeout
        shutdownGrace =
            try container.decodeIfPresent(ConfigDuration.self, forKey: .shutdownGrace)?.duration ?? shutdownGrace
        maxStreamDuration = try container.decodeIfPresent(ConfigDuration.self, forKey: .maxStreamDuration)?.duration
        if let duration = maxStreamDuration, duration < .milliseconds(100) {
            throw ConfigIssue(
                .invalidValue,
                at: decoder.codingPath,
                key: "max_stream_duration",
                message: "must be at least 100ms (clients reconnect after each close)"
            )
        }
        maxSessions = try container.decodeIfPresent(Int.self, forKey: .maxSessions) ?? maxSessions
        maxSessionsPerClient =
            try container.decodeIfPresent(Int.self, forKey: .maxSessionsPerClient)
            ?? min(maxSessionsPerClient, maxSessions)
        publicURL = try container.decodeIfPresent(String.self, forKey: .publicURL)
        guard let address = Self.address(listen) else {
            throw ConfigIssue(
                .invalidValue,
                at: decoder.codingPath,
                key: "listen",
                message: "'\(listen)' is not host:port (for example 127.0.0.1:8765)"
            )
        }
        if !Self.isLoopback(address.host) && !allowRemote {
            throw ConfigIssue(
                .invalidValue,
                at: decoder.codingPath,
                key: "listen",
                message: "\(listen) is reachable beyond this machine; say allow_remote: true if that is meant "
                    + "(and serve TLS: http.tls, or a TLS proxy in front)"
            )
        }
        guard maxSessions >= 1 else {
            throw ConfigIssue(.invalidValue, at: decoder.codingPath, key: "max_sessions", message: "must be at least 1")
        }
        guard (1...maxSessions).contains(maxSessionsPerClient) else {
            throw ConfigIssue(
                .invalidValue,
                at: decoder.codingPath,
                key: "max_sessions_per_client",
                message: "must be between 1 and max_sessions (\(maxSessions))"
            )
        }
    }

    /// `host:port` split; `[::1]:8765` for IPv6.
    package static func address(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        return (host, port)
    }

    package static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// An `http://` URL whose host is loopback.
    package static func isLoopbackURL(_ url: String) -> Bool {
        guard url.hasPrefix("http://") else { return false }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        let host =
            authority.hasPrefix("[")
            ? String(authority.dropFirst().prefix { $0 != "]" }) : String(authority.prefix { $0 != ":" })
        return isLoopback(host)
    }
}

/// One entry of `clients:`: who may connect to team mode, and under which profile — a holder of a
/// static token (`token_sha256`), or anyone with a token an OIDC issuer signed (`issuer`).
package struct ClientConfig: Sendable, Decodable {
    package var name = ""
    /// SHA-256 (hex) of the client's bearer token; the token itself is never stored.
    package var tokenSHA256: String?
    /// The profile its calls run under (default: the configuration's active profile); for an OIDC
    /// client, the profile when no `profiles` entry matches the token's claim.
    package var profile: String?
    /// Tokens signed by this issuer identify callers of this client (each by its `sub`).
    package var oidc: OIDCConfig?

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case tokenSHA256 = "token_sha256"
        case profile, issuer, audience, claim, profiles
        case jwksURL = "jwks_url"
    }

    package init(name: String, tokenSHA256: String?, profile: String?, oidc: OIDCConfig? = nil) {
        self.name = name
        self.tokenSHA256 = tokenSHA256
        self.profile = profile
        self.oidc = oidc
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tokenSHA256 = try container.decodeIfPresent(String.self, forKey: .tokenSHA256)?.lowercased()
        profile = try container.decodeIfPresent(String.self, forKey: .profile)
        if let issuer = try container.decodeIfPresent(String.self, forKey: .issuer) {
            guard tokenSHA256 == nil else {
                throw ConfigIssue(
                    .invalidValue,
                    at: decoder.codingPath,
                    key: "issuer",
                    message: "a client has either token_sha256 or issuer, not both"
                )
            }
            guard let audience = try container.decodeIfPresent(String.self, forKey: .audience), !audience.isEmpty
            else {
                throw ConfigIssue(
                    .missingKey,
                    at: decoder.codingPath,
                    key: "audience",
                    message: "an OIDC client needs the audience its tokens must name (aud), e.g. muxgate"
                )
            }
            guard issuer.hasPrefix("https://") || HTTPFrontConfig.isLoopbackURL(issuer) else {
                throw ConfigIssue(
                    .invalidValue,
                    at: decoder.codingPath,
                    key: "issuer",
                    message: "'\(issuer)' is not an https URL (http only for a loopback issuer)"
                )
            }
            oidc = OIDCConfig(
                issuer: issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer,
                audience: audience,
                claim: try container.decodeIfPresent(String.self, forKey: .claim) ?? "groups",
                profiles: try container.decodeIfPresent([String: String].self, forKey: .profiles) ?? [:],
                jwksURL: try container.decodeIfPresent(String.self, forKey: .jwksURL)
            )
        } else {
            for key in [CodingKeys.audience, .claim, .profiles, .jwksURL] where container.contains(key) {
                throw ConfigIssue(
                    .invalidValue,
                    at: decoder.codingPath,
                    key: key.rawValue,
                    message: "'\(key.rawValue)' belongs to an OIDC client, which needs an issuer"
                )
            }
            guard let tokenSHA256 else {
                throw ConfigIssue(
                    .missingKey,
                    at: decoder.codingPath,
                    message: "a client needs token_sha256 (`muxgate token add NAME` makes one) or an OIDC issuer"
                )
            }
            guard tokenSHA256.count == 64, tokenSHA256.allSatisfy(\.isHexDigit) else {
                throw ConfigIssue(
                    .invalidValue,
                    at: decoder.codingPath,
                    key: "token_sha256",
                    message: "not a SHA-256 in hex (64 characters); `muxgate token add NAME` makes one"
                )
            }
        }
    }

    /// Every profile the client can run under.
    package var profilesNamed: [String] { [profile].compactMap { $0 } + (oidc?.profiles.values.sorted() ?? []) }
}

/// An OIDC issuer whose tokens identify callers (`clients.NAME.issuer`).
package struct OIDCConfig: Sendable, Equatable {
    package var issuer: String
    /// The `aud` a token must carry.
    package var audience: String
    /// The claim whose values pick the profile (`groups`).
    package var claim: String
    /// Claim value → profile; the first of the token's values with an entry wins.
    package var profiles: [String: String]
    /// Where the issuer's keys are (default: its discovery document's `jwks_uri`).
    package var jwksURL: String?
}
