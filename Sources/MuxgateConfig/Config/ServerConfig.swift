import Foundation
import MuxgateWire

/// How to reach one child MCP server (`servers.NAME`).
package struct ServerConfig: Sendable, Decodable {
    /// The transport a child speaks.
    package enum Transport: Sendable, Equatable {
        case stdio(command: String, args: [String], env: [String: String], cwd: String?)
        case http(RemoteServerConfig)
        /// muxgate's own server of command tools (`commands:`).
        case commands([CommandToolConfig])
    }

    package var name: String = ""
    package var transport: Transport
    package var startupTimeout: ConfigDuration?
    package var callTimeout: ConfigDuration?
    package var disabled: Bool
    /// Started on first use instead of at `initialize`; its tools are listed meanwhile from the
    /// lockfile or from the list it had last time (`lazy: true`).
    package var lazy: Bool
    /// In team mode, each client session gets a process (or remote session) of its own, started on
    /// the session's first use and stopped when it ends (`per_session: true`): for stateful
    /// children such as a shell. Without a team, the one IDE has the one child anyway.
    package var perSession: Bool
    /// How muxgate speaks to the child: the `initialize` era (default), or 2026-07-28 (per-request
    /// envelope, `server/discover`, input-required results).
    package var protocolEra: ProtocolEra
    package enum ProtocolEra: String, Sendable, Decodable, Equatable {
        case initialize
        case modern = "2026-07-28"
    }
    /// Which tools to expose and how (`tools:`): filter, rename, describe, arguments.
    package var tools: ToolShapingConfig
    /// Which prompts (by name) and resources (by URI) to expose.
    package var prompts: ListFilterConfig
    package var resources: ListFilterConfig
    /// The operator's scope for tools (`scopes:`), which wins over the child's annotations.
    package var scopes: ScopesConfig?
    /// Whether the child's `readOnlyHint`/`destructiveHint` may classify tools the operator did not.
    package var trustAnnotations: Bool

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case command, args, env, cwd, url, type, headers, disabled, lazy, tools, prompts, resources, scopes
        case transport, auth
        case caFile = "ca_file"
        case connectTimeout = "connect_timeout"
        case trustAnnotations = "trust_annotations"
        case protocolEra = "protocol"
        case startupTimeout = "startup_timeout"
        case callTimeout = "call_timeout"
        case perSession = "per_session"
    }

    package init(
        name: String,
        transport: Transport,
        startupTimeout: ConfigDuration? = nil,
        callTimeout: ConfigDuration? = nil
    ) {
        self.name = name
        self.transport = transport
        self.startupTimeout = startupTimeout
        self.callTimeout = callTimeout
        self.disabled = false
        self.lazy = false
        self.perSession = false
        self.protocolEra = .initialize
        self.tools = ToolShapingConfig()
        self.prompts = ListFilterConfig()
        self.resources = ListFilterConfig()
        self.scopes = nil
        self.trustAnnotations = true
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let path = ConfigIssue.keyPath(decoder.codingPath)
        let type = try container.decodeIfPresent(String.self, forKey: .type)
        let command = try container.decodeIfPresent(String.self, forKey: .command)
        let url = try container.decodeIfPresent(String.self, forKey: .url)
        startupTimeout = try container.decodeIfPresent(ConfigDuration.self, forKey: .startupTimeout)
        callTimeout = try container.decodeIfPresent(ConfigDuration.self, forKey: .callTimeout)
        disabled = try container.decodeIfPresent(Bool.self, forKey: .disabled) ?? false
        lazy = try container.decodeIfPresent(Bool.self, forKey: .lazy) ?? false
        perSession = try container.decodeIfPresent(Bool.self, forKey: .perSession) ?? false
        protocolEra =
            try container.decodeChoice(
                ProtocolEra.self,
                forKey: .protocolEra,
                at: path,
                "a protocol muxgate speaks to children (use initialize or 2026-07-28)"
            ) ?? .initialize
        tools = try container.decodeIfPresent(ToolShapingConfig.self, forKey: .tools) ?? ToolShapingConfig()
        prompts = try container.decodeIfPresent(ListFilterConfig.self, forKey: .prompts) ?? ListFilterConfig()
        resources = try container.decodeIfPresent(ListFilterConfig.self, forKey: .resources) ?? ListFilterConfig()
        scopes = try container.decodeIfPresent(ScopesConfig.self, forKey: .scopes)
        trustAnnotations = try container.decodeIfPresent(Bool.self, forKey: .trustAnnotations) ?? true
        if let type, !["stdio", "http", "sse", "streamable-http"].contains(type) {
            throw ConfigIssue(
                code: .invalidValue,
                path: path + ["type"],
                message: "'\(type)' is not a transport (use stdio, http or sse)"
            )
        }
        let remoteKeys: [CodingKeys] = [.headers, .transport, .auth, .caFile, .connectTimeout]
        switch (command, url) {
        case (let command?, nil):
            guard !command.isEmpty else {
                throw ConfigIssue(code: .invalidValue, path: path + ["command"], message: "command is empty")
            }
            if let type, type != "stdio" {
                throw ConfigIssue(
                    code: .invalidValue,
                    path: path + ["type"],
                    message: "type '\(type)' needs a url, not a command"
                )
            }
            for key in remoteKeys where container.contains(key) {
                throw ConfigIssue(
                    code: .invalidValue,
                    path: path + [key.stringValue],
                    message: "\(key.stringValue) applies to url servers only"
                )
            }
            transport = .stdio(
                command: command,
                args: try container.decodeIfPresent([String].self, forKey: .args) ?? [],
                env: try container.decodeIfPresent([String: String].self, forKey: .env) ?? [:],
                cwd: try container.decodeIfPresent(String.self, forKey: .cwd)
            )
        case (nil, let url?):
            for key in [CodingKeys.args, .env, .cwd] where container.contains(key) {
                throw ConfigIssue(
                    code: .invalidValue,
                    path: path + [key.stringValue],
                    message: "\(key.stringValue) applies to command servers only"
                )
            }
            if type == "stdio" {
                throw ConfigIssue(
                    code: .invalidValue,
                    path: path + ["type"],
                    message: "type 'stdio' needs a command, not a url"
                )
            }
            // `transport:` is muxgate's; `type:` is Claude Code's (http, sse) and says the same.
            var kind: RemoteServerConfig.Kind =
                switch type {
                case "sse": .sse
                case "http", "streamable-http": .streamableHTTP
                default: .auto
                }
            if let name = try container.decodeIfPresent(String.self, forKey: .transport) {
                guard let chosen = RemoteServerConfig.Kind(rawValue: name == "http" ? "streamable-http" : name) else {
                    throw ConfigIssue(
                        code: .invalidValue,
                        path: path + ["transport"],
                        message: "'\(name)' is not an HTTP transport (use auto, streamable-http or sse)"
                    )
                }
                kind = chosen
            }
            transport = .http(
                RemoteServerConfig(
                    url: url,
                    headers: try container.decodeIfPresent([String: String].self, forKey: .headers) ?? [:],
                    kind: kind,
                    auth: try container.decodeIfPresent(OAuthClientConfig.self, forKey: .auth).map { .oauth($0) },
                    caFile: try container.decodeIfPresent(String.self, forKey: .caFile),
                    connectTimeout: try container.decodeIfPresent(ConfigDuration.self, forKey: .connectTimeout)
                )
            )
        case (.some, .some):
            throw ConfigIssue(code: .invalidValue, path: path, message: "a server has either command or url, not both")
        case (nil, nil):
            throw ConfigIssue(
                code: .missingKey,
                path: path,
                message: "a server needs 'command' (a stdio child) or 'url' (a remote child: Streamable HTTP or SSE)"
            )
        }
    }
}

extension ServerConfig {
    /// What muxgate hands this child that must never be shown: environment values, header values
    /// (and their words: "Bearer TOKEN" may be echoed as TOKEN alone), and credentials written in
    /// its arguments or URL — a URL's user info, a `password=` key (libpq, ODBC and URL query
    /// style), query values named like credentials (`token=`, `key=`, `sig=`…). What a `${VAR}`
    /// put anywhere in its launch is registered as it is expanded (`ConfigLoader.expand`).
    package var secrets: [String] {
        switch transport {
        case .stdio(_, let args, let env, _): Array(env.values) + args.flatMap(Self.passwords(in:))
        case .http(let remote):
            remote.headers.values.flatMap { value in [value] + value.split(separator: " ").map(String.init) }
                + Self.passwords(in: remote.url) + Self.credentials(inURL: remote.url)
        case .commands(let tools): tools.flatMap { Array($0.env.values) + $0.run.flatMap(Self.passwords(in:)) }
        }
    }

    /// A URL's user info (whole, and its user and password apart) and the values of query
    /// parameters named like credentials, as written and percent-decoded.
    package static func credentials(inURL url: String) -> [String] {
        var found: [String] = []
        if let scheme = url.range(of: "://") {
            let rest = url[scheme.upperBound...]
            let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            if let at = authority.lastIndex(of: "@") {
                let info = authority[..<at]
                found.append(String(info))
                found += info.split(separator: ":", maxSplits: 1).map(String.init)
            }
        }
        if let query = url.split(separator: "?", maxSplits: 1).dropFirst().first {
            let named = ["token", "key", "secret", "password", "passwd", "pwd", "sig", "signature", "auth", "code"]
            for pair in query.split(whereSeparator: { $0 == "&" || $0 == ";" || $0 == "#" }) {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let name = parts[0].lowercased()
                if named.contains(where: { name.contains($0) }) { found.append(String(parts[1])) }
            }
        }
        return found.flatMap { value in
            [value] + [value.removingPercentEncoding].compactMap { $0 }.filter { $0 != value }
        }
    }

    /// `url` with its user info, if any, replaced by `[secret]`.
    package static func redactingUserInfo(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@") else { return url }
        return String(url[..<scheme.upperBound]) + Secrets.replacement + String(rest[at...])
    }

    /// The passwords written in one argument, as written and percent-decoded.
    package static func passwords(in text: String) -> [String] {
        var found: [String] = []
        // scheme://user:password@host
        if let scheme = text.range(of: "://") {
            let rest = text[scheme.upperBound...]
            let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                found.append(String(authority[authority.index(after: colon)..<at]))
            }
        }
        // password=VALUE (until whitespace, '&' or ';'), any case
        var search = text[...]
        while let key = search.range(of: "password=", options: .caseInsensitive) {
            let after = search[key.upperBound...]
            let value =
                after.hasPrefix("'")
                ? after.dropFirst().prefix { $0 != "'" }
                : after.prefix { !$0.isWhitespace && $0 != "&" && $0 != ";" }
            if !value.isEmpty { found.append(String(value)) }
            search = search[key.upperBound...]
        }
        return found.flatMap { value in
            [value] + [value.removingPercentEncoding].compactMap { $0 }.filter { $0 != value }
        }
    }
}

extension ServerConfig {
    /// Where this server's child resolves a relative path for `tool`: its `cwd:` (a command tool's
    /// own), else muxgate's working directory, which a child inherits; nil for a remote server,
    /// whose filesystem muxgate cannot see.
    package func workingDirectory(forTool tool: String) -> String? {
        switch transport {
        case .stdio(_, _, _, let cwd): cwd ?? FileManager.default.currentDirectoryPath
        case .commands(let tools): tools.first { $0.name == tool }?.cwd ?? FileManager.default.currentDirectoryPath
        case .http: nil
        }
    }
}
