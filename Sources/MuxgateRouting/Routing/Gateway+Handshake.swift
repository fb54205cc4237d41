import Logging
import MuxgateAudit
package import MuxgateChildren
package import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
package import MuxgateWire

/// The handshake: what muxgate answers to `initialize`, how a session's IDE is taken in, and
/// starting the children with what that IDE can receive.
extension Gateway {
    /// What muxgate offers, before any child is known: everything it can route.
    package static let capabilities = JSONValue.object([
        ("tools", .object([("listChanged", .bool(true))])),
        ("prompts", .object([("listChanged", .bool(true))])),
        ("resources", .object([("subscribe", .bool(true)), ("listChanged", .bool(true))])),
        ("logging", .object([])),
        ("completions", .object([])),
        (
            "tasks",
            .object([
                ("list", .object([])), ("cancel", .object([])),
                ("requests", .object([("tools", .object([("call", .object([]))]))])),
            ])
        ),
    ])

    package func initialize(id: [UInt8], session: ClientSession, params: JSONSlice?) {
        let requested = params?["protocolVersion"]?.string
        let version = ProtocolVersion.negotiate(requested)
        let capabilities = params?["capabilities"]
        session.respond(
            to: id,
            JSONRPC.result(
                id: id,
                .object([
                    ("protocolVersion", .string(version)),
                    ("capabilities", Self.capabilities),
                    (
                        "serverInfo",
                        .object([("name", .string("muxgate")), ("version", .string(MuxgateVersion.current))])
                    ),
                ])
            )
        )
        adoptClient(
            session,
            capabilities: capabilities,
            clientInfo: params?["clientInfo"],
            childVersion: version,
            protocolVersion: version,
            how: "asked \(requested ?? "none")"
        )
    }

    /// Takes in a session's IDE (once): its capabilities, who it is; audits the session's start.
    /// The first IDE of the stdio front starts the children with what muxgate can forward back up
    /// (roots, sampling, elicitation); team mode started them with its own hello already.
    ///
    /// - Parameters:
    ///   - childVersion: The version the children are offered (the initialize era's).
    ///   - protocolVersion: The version the IDE speaks, for the audit trail and the log.
    package func adoptClient(
        _ session: ClientSession,
        capabilities: JSONSlice?,
        clientInfo: JSONSlice?,
        childVersion: String,
        protocolVersion: String,
        how: String
    ) {
        guard
            session.adopt(
                ClientSession.Hello(
                    capabilities: capabilities,
                    protocolVersion: protocolVersion,
                    clientInfo: clientInfo
                )
            )
        else {
            return
        }
        if protocolVersion != RequestEnvelope.version { session.logging.adoptHandshakeClient() }
        let client = clientInfo?["name"]?.string.map { ($0, clientInfo?["version"]?.string) }
        let identity = session.identity
        if identity.name != nil {
            auditor?.record(
                .client(
                    session: session.label,
                    state: .opened,
                    client: identity.name,
                    subject: identity.subject,
                    profile: policy(for: session).profileName,
                    clientInfo: client,
                    protocolVersion: protocolVersion
                ),
                durable: true
            )
            logger.info(
                "session \(session.label) of \(identity.name!): \(clientInfo?.text ?? "unknown"), protocol \(protocolVersion)"
            )
            return
        }
        let forwarded: [(String, JSONValue)] = ["roots", "sampling", "elicitation"].compactMap { key in
            capabilities?[key].map { (key, $0.value) }
        }
        let hello = ClientHello(
            protocolVersion: childVersion,
            capabilities: .object(forwarded),
            clientInfo: clientInfo?.value ?? ClientHello.standalone.clientInfo
        )
        guard childHello == nil else { return }
        childHello = hello
        auditor?.record(
            .start(
                version: MuxgateVersion.current,
                configSHA256: config.sha256,
                profile: config.policy.profileName,
                client: client,
                protocolVersion: protocolVersion
            ),
            durable: true
        )
        logger.info("client: \(clientInfo?.text ?? "unknown"), protocol \(protocolVersion) (\(how))")
        startChildren(with: hello, lazyToo: false)
    }

    /// The policy a session's calls are judged by: its identity's profile, or the configuration's.
    package nonisolated func policy(for session: ClientSession, in setup: GatewaySetup? = nil) -> PolicyEngine {
        policy(for: session.identity, in: setup)
    }

    /// The policy `identity` runs under: its profile's, or the configuration's.
    package nonisolated func policy(for identity: ClientIdentity, in setup: GatewaySetup? = nil) -> PolicyEngine {
        let setup = setup ?? current
        guard let profile = identity.profile else { return setup.config.policy }
        // A profile the configuration no longer has (a reload raced the request) allows nothing.
        return setup.policies[profile] ?? PolicyEngine.allowingNothing(profile)
    }

    /// Starts every child (once); the IDE's `initialize`, or a command without an IDE, calls it.
    ///
    /// - Parameter lazyToo: Whether `lazy: true` servers start now too (commands that inspect the
    ///   servers); otherwise they only learn the IDE's hello and start on first use.
    package func startChildren(with hello: ClientHello = .standalone, lazyToo: Bool = true) {
        guard startedAt == nil else { return }
        startedAt = .now
        for child in children {
            // A lazy server whose tools are known from nowhere yet runs once, to learn them.
            if child.config.lazy && !lazyToo && !child.tools.isEmpty {
                child.prepare(with: hello)
            } else {
                child.start(with: hello)
            }
        }
    }

    /// Waits until every child is ready or failed, at most the start-up bound.
    ///
    /// - Parameter eachOwnBound: Wait for each child as long as its own `startup_timeout` (the
    ///   commands that report on servers); otherwise the global one bounds all (the IDE's lists,
    ///   which answer with the ready children and announce the rest by `list_changed`).
    package func waitForChildren(eachOwnBound: Bool = false) async {
        if startedAt == nil { startChildren() }
        let started = startedAt!
        let global = config.startupTimeout
        await withTaskGroup(of: Void.self) { group in
            for child in children {
                let bound = eachOwnBound ? child.startupTimeout : global
                group.addTask { await child.waitUntilSettled(until: started + bound) }
            }
        }
    }
}
