import MuxgateWire

/// The whole configuration of one muxgate instance.
package struct MuxgateConfig: Sendable, Decodable {
    /// What muxgate knows of the IDE entry that starts it.
    package struct Client: Sendable, Decodable {
        /// The name of muxgate's entry in the IDE: tool names must fit 64 characters with `mcp__<entry>__`.
        package var entry: String = "muxgate"
        /// Put between a server's name and its tool's name.
        package var separator: String = "_"
        /// How many tools the IDE should see at most: `check` warns above it (`tool_budget`, default
        /// 40: models choose worse among many tools, and each costs context on every turn).
        package var toolBudget: Int = 40

        package enum CodingKeys: String, CodingKey, CaseIterable {
            case entry, separator
            case toolBudget = "tool_budget"
        }

        package init() {}

        package init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            entry = try container.decodeIfPresent(String.self, forKey: .entry) ?? entry
            separator = try container.decodeIfPresent(String.self, forKey: .separator) ?? separator
            toolBudget = try container.decodeIfPresent(Int.self, forKey: .toolBudget) ?? toolBudget
            guard toolBudget > 0 else {
                throw ConfigIssue(
                    .invalidValue,
                    at: decoder.codingPath,
                    key: "tool_budget",
                    message: "\(toolBudget) is not a tool budget (a positive number of tools)"
                )
            }
        }
    }

    /// The children, sorted by name.
    package var servers: [ServerConfig]
    package var client: Client
    package var startupTimeout: Duration
    package var callTimeout: Duration
    package var maxMessageBytes: Int
    /// The most items muxgate puts in one page of a list it serves (`page_size`).
    package var pageSize = 500
    /// A child that crashes `max_restarts` times within `restart_window` is left stopped (circuit
    /// open) for one window, its tools withdrawn, before muxgate tries it again.
    package var maxRestarts = 5
    package var restartWindow: Duration = .seconds(60)
    /// The file this configuration came from (empty when built in code).
    package var file: String = ""
    /// SHA-256 of the file's bytes, for the audit trail.
    package var sha256: String?
    /// The `policy:` section as written (nil: none, muxgate runs as profile `full`).
    package var policyConfig: PolicyConfig?
    /// The policy in force: the section with the active profile picked (the loader applies
    /// `--profile` / `MUXGATE_PROFILE`).
    package var policy: PolicyEngine = .full
    /// The `http:` section (team mode's listener), if any.
    package var http: HTTPFrontConfig?
    /// The `otel:` section: traces and metrics (off unless asked for).
    package var otel = OTelConfig()
    /// The `clients:` section: team mode's identities, sorted by name.
    package var clients: [ClientConfig] = []
    /// The policy of each profile a client runs under (the loader builds them).
    package var clientPolicies: [String: PolicyEngine] = [:]
    /// The `audit:` section (on by default).
    package var audit = AuditConfig()
    /// The `discovery:` section: search instead of listing every tool (off by default).
    package var discovery = DiscoveryConfig()
    /// The `guards:` section: secrets, size and hygiene of tool results (secrets redacted by default).
    package var guards = GuardsConfig()
    /// What a lockfile does to tools whose definition differs from their pin.
    package enum PinningMode: String, Sendable, Decodable {
        case enforce, warn, off
    }
    /// The `limits:` section: rates, calls in flight and quotas per caller, sorted by name.
    package var limits: [LimitRule] = []
    /// `pinning:` as written; nil means enforce when `muxgate.lock` exists.
    package var pinningSetting: PinningMode?
    /// The lockfile beside the config, when there is one (the loader reads it).
    package var lock: Lockfile?

    /// The pinning in force: the setting, else enforce with a lockfile and off without.
    package var pinning: PinningMode {
        guard lock != nil else { return .off }
        return pinningSetting ?? .enforce
    }

    package static let defaultStartupTimeout: Duration = .seconds(10)
    package static let defaultCallTimeout: Duration = .seconds(60)
    package static let defaultMaxMessageBytes = 32 << 20

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case servers, mcpServers, client
        case startupTimeout = "startup_timeout"
        case callTimeout = "call_timeout"
        case maxMessageSize = "max_message_size"
        case policy, audit, pinning
        case pageSize = "page_size"
        case maxRestarts = "max_restarts"
        case restartWindow = "restart_window"
        case commands
        case commandsServer = "commands_server"
        case http, clients, otel, discovery
        case guards
        case limits
    }

    package init(
        servers: [ServerConfig],
        client: Client = Client(),
        startupTimeout: Duration = defaultStartupTimeout,
        callTimeout: Duration = defaultCallTimeout,
        maxMessageBytes: Int = defaultMaxMessageBytes
    ) {
        self.servers = servers.sorted { $0.name < $1.name }
        self.client = client
        self.startupTimeout = startupTimeout
        self.callTimeout = callTimeout
        self.maxMessageBytes = maxMessageBytes
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let servers = try container.decodeIfPresent([String: ServerConfig].self, forKey: .servers)
        let aliased = try container.decodeIfPresent([String: ServerConfig].self, forKey: .mcpServers)
        if servers != nil && aliased != nil {
            throw ConfigIssue(
                code: .invalidValue,
                path: ["mcpServers"],
                message: "use either 'servers' or its alias 'mcpServers', not both"
            )
        }
        let commands = try container.decodeIfPresent([String: CommandToolConfig].self, forKey: .commands)
        guard let all = servers ?? aliased ?? (commands != nil ? [:] : nil) else {
            throw ConfigIssue(
                code: .missingKey,
                path: [],
                message: "the config has no 'servers:' (or 'commands:') section"
            )
        }
        let key = servers != nil ? "servers" : "mcpServers"
        for name in all.keys where name.isEmpty || !name.allSatisfy(Naming.isAllowed) {
            throw ConfigIssue(
                code: .invalidValue,
                path: [key, name],
                message: "server name '\(name)' may only use letters, digits, '_' and '-'"
            )
        }
        var children = all.map { name, server in
            var server = server
            server.name = name
            return server
        }
        if let commands {
            let name = try container.decodeIfPresent(String.self, forKey: .commandsServer) ?? "cmd"
            guard !name.isEmpty, name.allSatisfy(Naming.isAllowed), all[name] == nil else {
                throw ConfigIssue(
                    code: .invalidValue,
                    path: ["commands_server"],
                    message:
                        "the command tools' server is named '\(name)': pick a name (commands_server) no server uses"
                )
            }
            for tool in commands.keys where tool.isEmpty || !tool.allSatisfy(Naming.isAllowed) {
                throw ConfigIssue(
                    code: .invalidValue,
                    path: ["commands", tool],
                    message: "command tool name '\(tool)' may only use letters, digits, '_' and '-'"
                )
            }
            let tools = commands.map { name, tool in
                var tool = tool
                tool.name = name
                return tool
            }.sorted { $0.name < $1.name }
            var server = ServerConfig(name: name, transport: .commands(tools))
            // The operator's scope for each command, like servers.NAME.scopes.
            func globs(_ scope: Scope) -> [Glob] {
                tools.filter { $0.scope == scope }.compactMap { try? Glob($0.name) }
            }
            server.scopes = ScopesConfig(read: globs(.read), write: globs(.write), destructive: globs(.destructive))
            children.append(server)
        }
        self.servers = children.sorted { $0.name < $1.name }
        client = try container.decodeIfPresent(Client.self, forKey: .client) ?? Client()
        startupTimeout =
            try container.decodeIfPresent(ConfigDuration.self, forKey: .startupTimeout)?.duration
            ?? Self.defaultStartupTimeout
        callTimeout =
            try container.decodeIfPresent(ConfigDuration.self, forKey: .callTimeout)?.duration
            ?? Self.defaultCallTimeout
        maxMessageBytes =
            try container.decodeIfPresent(ConfigByteSize.self, forKey: .maxMessageSize)?.bytes
            ?? Self.defaultMaxMessageBytes
        if !client.entry.allSatisfy(Naming.isAllowed) || client.entry.isEmpty {
            throw ConfigIssue(
                code: .invalidValue,
                path: ["client", "entry"],
                message: "'\(client.entry)' may only use letters, digits, '_' and '-' (it is the IDE's entry name)"
            )
        }
        policyConfig = try container.decodeIfPresent(PolicyConfig.self, forKey: .policy)
        http = try container.decodeIfPresent(HTTPFrontConfig.self, forKey: .http)
        otel = try container.decodeIfPresent(OTelConfig.self, forKey: .otel) ?? OTelConfig()
        let clients = try container.decodeIfPresent([String: ClientConfig].self, forKey: .clients) ?? [:]
        self.clients = clients.map { name, client in
            var client = client
            client.name = name
            return client
        }.sorted { $0.name < $1.name }
        for (index, client) in self.clients.enumerated() {
            if client.tokenSHA256 != nil,
                let other = self.clients[..<index].first(where: { $0.tokenSHA256 == client.tokenSHA256 })
            {
                throw ConfigIssue(
                    code: .invalidValue,
                    path: ["clients", client.name, "token_sha256"],
                    message: "clients '\(other.name)' and '\(client.name)' have the same token; each needs its own"
                )
            }
        }
        audit = try container.decodeIfPresent(AuditConfig.self, forKey: .audit) ?? AuditConfig()
        discovery = try container.decodeIfPresent(DiscoveryConfig.self, forKey: .discovery) ?? DiscoveryConfig()
        guards = try container.decodeIfPresent(GuardsConfig.self, forKey: .guards) ?? GuardsConfig()
        let known = policyConfig ?? PolicyConfig(profile: nil)
        for name in discovery.profiles.keys.sorted() where known.allProfiles[name] == nil {
            throw ConfigIssue(
                code: .invalidValue,
                path: ["discovery", "profiles", name],
                message: known.unknownProfile(name)
            )
        }
        limits = try namedLimits(container.decodeIfPresent([String: LimitRule].self, forKey: .limits), known: known)
        pageSize = try container.decodeIfPresent(Int.self, forKey: .pageSize) ?? pageSize
        maxRestarts = try container.decodeIfPresent(Int.self, forKey: .maxRestarts) ?? maxRestarts
        restartWindow =
            try container.decodeIfPresent(ConfigDuration.self, forKey: .restartWindow)?.duration ?? restartWindow
        guard maxRestarts >= 1 else {
            throw ConfigIssue(code: .invalidValue, path: ["max_restarts"], message: "max_restarts must be at least 1")
        }
        guard pageSize >= 1 else {
            throw ConfigIssue(code: .invalidValue, path: ["page_size"], message: "page_size must be at least 1")
        }
        if let text = try container.decodeIfPresent(String.self, forKey: .pinning) {
            guard let mode = PinningMode(rawValue: text) else {
                throw ConfigIssue(
                    code: .invalidValue,
                    path: ["pinning"],
                    message: "'\(text)' is not enforce, warn or off"
                )
            }
            pinningSetting = mode
        }
        if Naming(entry: client.entry).budget < Naming.minimumBudget {
            throw ConfigIssue(
                code: .invalidValue,
                path: ["client", "entry"],
                message: "'\(client.entry)' is too long: tool names must fit 64 characters with mcp__<entry>__"
            )
        }
        if client.separator.isEmpty || !client.separator.allSatisfy(Naming.isAllowed) {
            throw ConfigIssue(
                code: .invalidValue,
                path: ["client", "separator"],
                message: "the separator must be one or more of letters, digits, '_' and '-'"
            )
        }
    }

    /// Values muxgate hands to children that must never reach the audit log or muxgate's own log.
    package var secrets: [String] { servers.flatMap(\.secrets) }

    package func startupTimeout(for server: ServerConfig) -> Duration {
        server.startupTimeout?.duration ?? startupTimeout
    }

    package func callTimeout(for server: ServerConfig) -> Duration {
        server.callTimeout?.duration ?? callTimeout
    }
}
