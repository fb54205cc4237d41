package import Logging
import MuxgateAudit
package import MuxgateChildren
package import MuxgateConfig
package import MuxgatePolicy
import MuxgateTelemetry
package import MuxgateWire

/// What one configuration makes of the gateway: its children, naming and shaping. Immutable; a
/// reload builds a new one, keeping the children whose launch did not change.
package final class GatewaySetup: Sendable {
    package let config: MuxgateConfig
    /// `config.pinning == .enforce`, read once: the computed property copied the whole
    /// configuration out of this object on every call (~730 instructions).
    package let enforcesPins: Bool
    package let naming: Naming
    package let children: [ChildServer]
    package let childByName: [String: ChildServer]
    /// Each server's configuration by name (a kept child may run under an edited one).
    package let servers: [String: ServerConfig]
    package let shapers: [String: ToolShaper]
    package let promptShapers: [String: ToolShaper]
    /// The policy of each profile a team-mode client runs under (`clients.NAME.profile`).
    package let policies: [String: PolicyEngine]
    /// The result guards (`guards:`), with muxgate's own secrets known at this configuration.
    package let guards: ResultGuard
    /// The `limits:` section; nil when it has none (the `limit` stage is then one nil check).
    package let limits: LimitTable?
    /// Makes a child of this configuration: shared (nil), or a team-mode session's own.
    package let makeChild: @Sendable (ServerConfig, ClientSession?) -> ChildServer

    /// - Parameter running: Children to keep, by name: used when their launch is unchanged.
    package init(
        config: MuxgateConfig,
        children running: [String: ChildServer],
        logger: Logger,
        events: AsyncStream<ChildReport>.Continuation,
        routes: ClientRoutes,
        namespacedURIs: Locked<[String: Set<String>]>,
        tasks: TaskRegistry,
        transports: ChildTransports
    ) {
        self.config = config
        enforcesPins = config.pinning == .enforce
        naming = Naming(entry: config.client.entry, separator: config.client.separator)
        let enabled = config.servers.filter { !$0.disabled }
        let makeChild: @Sendable (ServerConfig, ClientSession?) -> ChildServer = { server, session in
            ChildServer(
                config: server,
                startupTimeout: config.startupTimeout(for: server),
                callTimeout: config.callTimeout(for: server),
                maxMessageBytes: config.maxMessageBytes,
                restartLimit: (config.maxRestarts, config.restartWindow),
                logger: logger,
                events: events,
                passThrough: { message in
                    Gateway.passThrough(
                        message,
                        from: server.name,
                        to: routes,
                        owner: session,
                        namespacedURIs: namespacedURIs,
                        tasks: tasks
                    )
                },
                batch: { body in routes.batch(body) },
                logStamp: { (session.map { $0.logging.stamp } ?? routes.logStamp)?.rawValue },
                // A session's own instance keeps no cache: the shared one lists the tools.
                keepTools: server.lazy && session == nil ? Self.cache(server, config, logger) : nil,
                owner: session.map { ChildOwner(id: ObjectIdentifier($0), label: $0.label) },
                transports: transports
            )
        }
        self.makeChild = makeChild
        children = enabled.map { server -> ChildServer in
            if let child = running[server.name], child.launch == ChildServer.Launch(server, in: config) {
                return child
            }
            let child = makeChild(server, nil)
            if server.lazy { child.seed(.tools, LazyToolCache.tools(for: server, in: config, logger: child.logger)) }
            return child
        }
        childByName = Dictionary(uniqueKeysWithValues: children.map { ($0.name, $0) })
        servers = Dictionary(uniqueKeysWithValues: enabled.map { ($0.name, $0) })
        shapers = Dictionary(
            uniqueKeysWithValues: config.servers.map { ($0.name, ToolShaper(server: $0.name, config: $0.tools)) }
        )
        policies = config.clientPolicies
        guards = ResultGuard(config.guards, known: Secrets.shared.snapshot.values)
        limits = config.limits.isEmpty ? nil : LimitTable(config.limits)
        promptShapers = Dictionary(
            uniqueKeysWithValues: config.servers.map {
                ($0.name, ToolShaper(server: $0.name, config: ToolShapingConfig(filter: $0.prompts)))
            }
        )
    }
}

extension GatewaySetup {
    /// Keeps a lazy server's tools for its next start.
    package static func cache(_ server: ServerConfig, _ config: MuxgateConfig, _ logger: Logger)
        -> @Sendable ([JSONSlice]) -> Void
    {
        { tools in LazyToolCache.store(tools, for: server, in: config, logger: logger) }
    }
}

extension ChildServer {
    /// What a child's process depends on: a reload restarts the child when it differs.
    package struct Launch: Equatable, Sendable {
        package let transport: ServerConfig.Transport
        package let protocolEra: ServerConfig.ProtocolEra
        package let startupTimeout: Duration
        package let callTimeout: Duration
        package let maxMessageBytes: Int
        package let maxRestarts: Int
        package let restartWindow: Duration

        package init(_ server: ServerConfig, in config: MuxgateConfig) {
            transport = server.transport
            protocolEra = server.protocolEra
            startupTimeout = config.startupTimeout(for: server)
            callTimeout = config.callTimeout(for: server)
            maxMessageBytes = config.maxMessageBytes
            maxRestarts = config.maxRestarts
            restartWindow = config.restartWindow
        }

        package init(_ child: ChildServer) {
            transport = child.config.transport
            protocolEra = child.config.protocolEra
            startupTimeout = child.startupTimeout
            callTimeout = child.callTimeout
            maxMessageBytes = child.maxMessageBytes
            maxRestarts = child.restartLimit.count
            restartWindow = child.restartLimit.window
        }
    }

    package var launch: Launch { Launch(self) }
}
