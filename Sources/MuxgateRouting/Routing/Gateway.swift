package import Logging
import MuxgateAudit
package import MuxgateChildren
package import MuxgateConfig
package import MuxgatePolicy
package import MuxgateTelemetry
package import MuxgateWire
import ServiceLifecycle
import Synchronization

/// The router between the IDE and the children.
///
/// It answers what muxgate owns (`initialize`, `ping`, `tools/list`), routes `tools/call` by
/// exposed name to the owning child with fresh ids, forwards the children's notifications and
/// requests, and rebuilds the tool catalogue whenever a child's list changes.
package actor Gateway: Service {
    /// The configuration in force and what it makes: children, naming, shaping. A reload swaps it
    /// whole; readers take one snapshot (`current`) without waiting for the actor.
    private let setup: Mutex<GatewaySetup>
    package nonisolated var current: GatewaySetup { setup.withLock { $0 } }
    package nonisolated var config: MuxgateConfig { current.config }
    package nonisolated var naming: Naming { current.naming }
    package nonisolated var children: [ChildServer] { current.children }
    package nonisolated var childByName: [String: ChildServer] { current.childByName }
    /// Each server's tool shaping (`servers.NAME.tools`).
    package nonisolated var shapers: [String: ToolShaper] { current.shapers }
    /// Each server's prompt filter (`servers.NAME.prompts`), applied like tool shaping.
    package nonisolated var promptShapers: [String: ToolShaper] { current.promptShapers }
    /// The shaping warnings last logged per server, so each is logged once, not on every rebuild.
    package var reportedRules: [String: [String]] = [:]
    /// Definition changes already reported (`server/tool/sha256`).
    package var reportedDefinitions: Set<String> = []
    package let logger: Logger
    private let events: AsyncStream<ChildReport>
    package let eventSink: AsyncStream<ChildReport>.Continuation
    /// Children made by a reload, to run in the gateway's task group.
    package let adopted: AsyncStream<ChildServer>.Continuation
    private let adoptions: AsyncStream<ChildServer>
    /// Every child ever run, so shutdown stops even one a reload was still starting.
    private var everyChild: [ChildServer] = []
    /// A reload in progress, and the newest configuration waiting for it to end.
    package var reloading = false
    package var pendingReload: MuxgateConfig?

    /// What the children were started with (the first IDE's hello, or team mode's own).
    package var childHello: ClientHello?
    /// The stdio front's session (nil in team mode, where the HTTP front opens sessions).
    package nonisolated var primary: ClientSession? { routes.only }
    /// Where the children's messages for the IDEs go, and the open sessions.
    package let routes: ClientRoutes
    /// The primary session speaks 2026-07-28 (only the stdio front's may).
    package nonisolated var modern: Bool { routes.only?.modern == true }
    /// The IDE's open `subscriptions/listen` requests (2026-07-28), by its raw id.
    package var listens: [[UInt8]: Subscription] = [:]
    /// Modern calls in flight per child, waiting for the child's requests (MRTR bridging).
    package var bridges: [ObjectIdentifier: [InputBridge]] = [:]
    /// Children's calls held open while the IDE gathers input, by `requestState`.
    package var parked: [String: ParkedCall] = [:]
    /// Approvals asked of a 2026-07-28 IDE, by `requestState`: what they approve, until when.
    package var approvals: [String: (binding: String, deadline: ContinuousClock.Instant)] = [:]
    /// When the children were started (once).
    package var startedAt: ContinuousClock.Instant?
    /// What the IDE sees — tools, prompts, resources — as one snapshot, rebuilt whole when a
    /// child's lists or the configuration change (`rebuildCatalogues`, on the actor), read by the
    /// actor and by the threads that take calls (the fast path) alike, without waiting for it.
    package let catalogues = Locked(Catalogues())
    package nonisolated var catalogue: NamedCatalogue { catalogues.withLock { $0.tools } }
    package nonisolated var prompts: NamedCatalogue { catalogues.withLock { $0.prompts } }
    package nonisolated var resources: ResourceCatalogue { catalogues.withLock { $0.resources } }
    /// The configuration and children's list versions the catalogues were built from.
    package var builtFrom: (setup: ObjectIdentifier, lists: [Int])?
    /// A rebuild is queued behind the events in flight.
    package var rebuildScheduled = false
    /// Requests muxgate forwarded from a child to an IDE, by the id muxgate gave them.
    package var outgoing: [Int: OutgoingRequest] = [:]
    /// muxgate's own requests to an IDE (approvals), by id, awaiting that session's answer.
    package let ownRequests = Locked<
        [Int: (session: ClientSession, waiter: CheckedContinuation<JSONRPCMessage?, Never>)]
    >(
        [:]
    )
    package var nextOutgoingID = 0
    /// Per server, the URIs made `muxgate://SERVER/…` because another child lists them too (read
    /// by the children's stdout readers for `notifications/resources/updated`).
    package let namespacedURIs = Locked<[String: Set<String>]>([:])
    /// Which child runs each task, by the id the IDE sees.
    package let tasks = TaskRegistry()
    /// Team-mode sessions numbered for the audit trail (`s1`, `s2`, …).
    package var sessionSerial = 0

    /// A request of the IDE's on its way to a child.
    package struct InFlightCall {
        package let server: String
        /// The id muxgate gave it there; nil until it is sent.
        package var id: Int?
        /// The IDE cancelled it before it was sent (while its decision was being made durable).
        package var cancelled = false
    }

    /// The audit trail (nil: `audit.enabled: false`, or a command that makes no calls).
    package let auditor: Auditor?
    /// What each configured server is reached through (kept for the children a reload makes).
    package let transports: ChildTransports
    /// Who watches requests pass the gate's stages (tests only).
    package let trace: GateTrace?
    /// Traces and metrics (nil: off, the default).
    package let telemetry: Telemetry?
    /// Servers that have started once (a later start is a restart, for the metrics).
    package var startedServers: Set<String> = []
    /// The tool search index (`discovery:`), fed each catalogue while some caller can search.
    package let discovery: ToolDiscovery
    /// The counters of the `limits:` section, per caller; they outlive reloads.
    package nonisolated let limiter: Limiter

    /// A gateway for one IDE (the stdio front), whose messages go to `sink`.
    ///
    /// - Parameter transports: What each configured server is reached through (the assembly's choice).
    package init(
        config: MuxgateConfig,
        sink: any MessageSink,
        logger: Logger,
        auditor: Auditor? = nil,
        telemetry: Telemetry? = nil,
        transports: ChildTransports,
        trace: GateTrace? = nil,
        limiter: Limiter? = nil
    ) {
        let session = ClientSession(label: "stdio", identity: .local, sink: sink, telemetry: telemetry, fixed: true)
        self.init(
            config: config,
            routes: ClientRoutes(only: session),
            logger: logger,
            auditor: auditor,
            telemetry: telemetry,
            transports: transports,
            trace: trace,
            limiter: limiter
        )
    }

    /// A gateway for team mode: the HTTP front opens its sessions (`openSession`).
    package init(
        teamConfig config: MuxgateConfig,
        logger: Logger,
        auditor: Auditor?,
        telemetry: Telemetry? = nil,
        transports: ChildTransports,
        trace: GateTrace? = nil,
        limiter: Limiter? = nil
    ) {
        self.init(
            config: config,
            routes: ClientRoutes(only: nil),
            logger: logger,
            auditor: auditor,
            telemetry: telemetry,
            transports: transports,
            trace: trace,
            limiter: limiter
        )
    }

    private init(
        config: MuxgateConfig,
        routes: ClientRoutes,
        logger: Logger,
        auditor: Auditor?,
        telemetry: Telemetry?,
        transports: ChildTransports,
        trace: GateTrace?,
        limiter: Limiter?
    ) {
        self.transports = transports
        // The journal opens only once a limit has a quota (never for a configuration without).
        self.limiter = limiter ?? Limiter(journalPath: config.limitsJournalPath())
        if let failure = self.limiter.configure(config.limits) { logger.error("limits: \(failure)") }
        self.trace = trace
        self.auditor = auditor
        self.telemetry = telemetry
        self.routes = routes
        self.logger = logger
        discovery = ToolDiscovery(logger: logger)
        (events, eventSink) = AsyncStream.makeStream(of: ChildReport.self)
        (adoptions, adopted) = AsyncStream.makeStream(of: ChildServer.self)
        let setup = GatewaySetup(
            config: config,
            children: [:],
            logger: logger,
            events: eventSink,
            routes: routes,
            namespacedURIs: namespacedURIs,
            tasks: tasks,
            transports: transports
        )
        self.setup = Mutex(setup)
        everyChild = setup.children
    }

    /// Runs the children and consumes their events until shutdown; on shutdown all children stop
    /// concurrently (stdin closed, then SIGTERM, then SIGKILL to each process group).
    package func run() async throws {
        await withDiscardingTaskGroup { group in
            for child in children {
                group.addTask { try? await child.run() }
            }
            let stopped = Latch()
            group.addTask { await self.expireOutgoing(until: stopped) }
            group.addTask { [discovery] in await discovery.run() }
            group.addTask { [adoptions] in
                await withDiscardingTaskGroup { reloaded in
                    for await child in adoptions { reloaded.addTask { try? await child.run() } }
                }
            }
            for await report in events.cancelOnGracefulShutdown() {
                handle(report)
            }
            stopped.fire()
            adopted.finish()
            discovery.stop()
            for child in everyChild { child.stop() }
            for session in routes.all { session.stopOwnChildren() }
        }
    }

    /// Makes `next` the configuration in force.
    package func replaceSetup(with next: GatewaySetup) {
        setup.withLock { $0 = next }
    }

    /// Runs a child a reload made, in the gateway's task group (it stops with the others).
    package func adopt(_ child: ChildServer) {
        everyChild.append(child)
        adopted.yield(child)
    }

    /// A request a child sent the IDE through muxgate, awaiting the IDE's answer.
    package struct OutgoingRequest {
        package let child: ChildServer
        /// The session it was sent to: only that session's answer is taken.
        package let session: ClientSession
        package let id: [UInt8]
        package let method: String
        package let deadline: ContinuousClock.Instant
    }

    /// Answers children whose requests to the IDE went unanswered past their server's call timeout.
    private func expireOutgoing(until stopped: Latch) async {
        while !stopped.isFired {
            _ = try? await withTimeout(.seconds(1)) { await stopped.wait() }
            let now = ContinuousClock.now
            for (ours, request) in outgoing where request.deadline < now {
                outgoing[ours] = nil
                logger.warning(
                    "the client did not answer \(request.method) within the call timeout",
                    metadata: ["muxgate.server": .string(request.child.name)]
                )
                request.session.sink.send(
                    JSONRPC.notification(
                        method: "notifications/cancelled",
                        params: .object([("requestId", .int(ours)), ("reason", .string("timeout"))])
                    )
                )
                request.child.notify(
                    JSONRPC.error(id: request.id, .timeout("the client did not answer \(request.method) in time"))
                )
            }
        }
    }
}

/// The catalogues the IDE sees, built together from one configuration and the children's lists.
package struct Catalogues: Sendable {
    package var tools = NamedCatalogue()
    package var prompts = NamedCatalogue()
    package var resources = ResourceCatalogue()
}
