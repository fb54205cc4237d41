import MuxgateWire

/// How to reach a child over HTTP (`servers.NAME.url` and its companions).
package struct RemoteServerConfig: Sendable, Equatable {
    /// Which HTTP transport the server speaks.
    package enum Kind: String, Sendable, Equatable {
        /// Try Streamable HTTP, fall back to HTTP+SSE as the spec's compatibility section says.
        case auto
        /// Streamable HTTP (2025-03-26 and later).
        case streamableHTTP = "streamable-http"
        /// The 2024-11-05 HTTP+SSE transport: a GET stream and an `endpoint` to POST to.
        case sse
    }

    /// How muxgate authenticates to the server, beyond static `headers`.
    package enum Auth: Sendable, Equatable {
        /// OAuth 2.1 as the MCP authorization spec describes it, after `muxgate login NAME`.
        case oauth(OAuthClientConfig)
    }

    package var url: String
    /// Sent on every request; values may hold secrets (`${VAR}`) and never reach logs or the audit.
    package var headers: [String: String]
    package var kind: Kind
    package var auth: Auth?
    /// A PEM file of CA certificates trusted besides the system's.
    package var caFile: String?
    /// How long a TCP (and TLS) connection may take to open.
    package var connectTimeout: ConfigDuration?

    package init(
        url: String,
        headers: [String: String] = [:],
        kind: Kind = .auto,
        auth: Auth? = nil,
        caFile: String? = nil,
        connectTimeout: ConfigDuration? = nil
    ) {
        self.url = url
        self.headers = headers
        self.kind = kind
        self.auth = auth
        self.caFile = caFile
        self.connectTimeout = connectTimeout
    }

    /// The default bound on opening a connection.
    package static let defaultConnectTimeout: Duration = .seconds(10)
}

/// `auth: oauth`, or `auth: { type: oauth, client_id: …, scopes: […] }`.
package struct OAuthClientConfig: Sendable, Equatable, Decodable {
    /// A client registered by hand at the authorization server (else dynamic registration).
    package var clientID: String?
    /// The variable holding that client's secret, if it has one.
    package var clientSecretEnv: String?
    /// Scopes to ask for (else the server's challenge, else everything it supports).
    package var scopes: [String]?
    /// The loopback port `muxgate login` listens on for the redirect (else any free port).
    package var redirectPort: Int?

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case type
        case clientID = "client_id"
        case clientSecretEnv = "client_secret_env"
        case scopes
        case redirectPort = "redirect_port"
    }

    package init(
        clientID: String? = nil,
        clientSecretEnv: String? = nil,
        scopes: [String]? = nil,
        redirectPort: Int? = nil
    ) {
        self.clientID = clientID
        self.clientSecretEnv = clientSecretEnv
        self.scopes = scopes
        self.redirectPort = redirectPort
    }

    package init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let text = try? single.decode(String.self) {
            guard text == "oauth" else {
                throw ConfigIssue(
                    .invalidValue,
                    at: decoder.codingPath,
                    message: "'\(text)' is not an auth kind (use oauth)"
                )
            }
            self.init()
            return
        }
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decodeIfPresent(String.self, forKey: .type) ?? "oauth"
        guard type == "oauth" else {
            throw ConfigIssue(
                .invalidValue,
                at: decoder.codingPath,
                key: "type",
                message: "'\(type)' is not an auth kind (use oauth)"
            )
        }
        self.init(
            clientID: try container.decodeIfPresent(String.self, forKey: .clientID),
            clientSecretEnv: try container.decodeIfPresent(String.self, forKey: .clientSecretEnv),
            scopes: try container.decodeIfPresent([String].self, forKey: .scopes),
            redirectPort: try container.decodeIfPresent(Int.self, forKey: .redirectPort)
        )
        if let port = redirectPort, !(1...65535).contains(port) {
            throw ConfigIssue(
                .invalidValue,
                at: decoder.codingPath,
                key: "redirect_port",
                message: "\(port) is not a port"
            )
        }
    }
}
