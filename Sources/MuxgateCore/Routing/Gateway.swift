package import Logging
package import MuxgateAudit
package import MuxgateConfig
package import MuxgatePolicy
package import MuxgateWire
package import ServiceLifecycle
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
    nonisolated var childByName: [String: ChildServer] { current.childByName }
    /// Each server's tool shaping (`servers.NAME.tools`).
    package nonisolated var shapers: [String: ToolShaper] { current.shapers }
    /// Each server's prompt filter (`servers.NAME.prompts`), applied like tool shaping.
    nonisolated var promptShapers: [String: ToolShaper] { current.promptShapers }
    /// The shaping warnings last logged per server, so each is logged once, not on every rebuild.
    var reportedRules: [String: [String]] = [:]
    /// Definition changes already reported (`server/tool/sha256`).
    var reportedDefinitions: Set<String> = []
    let logger: Logger
    private let events: AsyncStream<ChildReport>
    let eventSink: AsyncStream<ChildReport>.Continuation
    /// Children made by a reload, to run in the gateway's task group.
    let adopted: AsyncStream<ChildServer>.Continuation
    private let adoptions: AsyncStream<ChildServer>
    /// Every child ever run, so shutdown stops even one a reload was still starting.
    private var everyChild: [ChildServer] = []
    /// A reload in progress, and the newest configuration waiting for it to end.
    var reloading = false
    var pendingReload: MuxgateConfig?

    /// What the children were started with (the first IDE's hello, or team mode's own).
    var childHello: ClientHello?
    /// The stdio front's session (nil in team mode, where the HTTP front opens sessions).
    package nonisolated var primary: ClientSession? { routes.only }
    /// Where the children's messages for the IDEs go, and the open sessions.
    package let routes: ClientRoutes
    /// The primary session speaks 2026-07-28 (only the stdio front's may).
    nonisolated var modern: Bool { routes.only?.modern == true }
    /// The IDE's open `subscriptions/listen` requests (2026-07-28), by its raw id.
    var listens: [[UInt8]: Subscription] = [:]
    /// Modern calls in flight per child, waiting for the child's requests (MRTR bridging).
    var bridges: [ObjectIdentifier: [InputBridge]] = [:]
    /// Children's calls held open while the IDE gathers input, by `requestState`.
    var parked: [String: ParkedCall] = [:]
    /// Approvals asked of a 2026-07-28 IDE, by `requestState`: what they approve, until when.
    var approvals: [String: (binding: String, deadline: ContinuousClock.Instant)] = [:]
    /// When the children were started (once).
    var startedAt: ContinuousClock.Instant?
    /// What the IDE sees — tools, prompts, resources — as one snapshot, rebuilt whole when a
    /// child's lists or the configuration change (`rebuildCatalogues`, on the actor), read by the
    /// actor and by the threads that take calls (the fast path) alike, without waiting for it.
    let catalogues = Locked(Catalogues())
    nonisolated var catalogue: NamedCatalogue { catalogues.withLock { $0.tools } }
    nonisolated var prompts: NamedCatalogue { catalogues.withLock { $0.prompts } }
    nonisolated var resources: ResourceCatalogue { catalogues.withLock { $0.resources } }
    /// The configuration and children's list versions the catalogues were built from.
    var builtFrom: (setup: ObjectIdentifier, lists: [Int])?
    /// A rebuild is queued behind the events in flight.
    var rebuildScheduled = false
    /// Requests muxgate forwarded from a child to an IDE, by the id muxgate gave them.
    var outgoing: [Int: OutgoingRequest] = [:]
    /// muxgate's own requests to an IDE (approvals), by id, awaiting that session's answer.
    let ownRequests = Locked<[Int: (session: ClientSession, waiter: CheckedContinuation<JSONRPCMessage?, Never>)]>(
        [:]
    )
    var nextOutgoingID = 0
    /// Per server, the URIs made `muxgate://SERVER/…` because another child lists them too (read
    /// by the children's stdout readers for `notifications/resources/updated`).
    let namespacedURIs = Locked<[String: Set<String>]>([:])
    /// Which child runs each task, by the id the IDE sees.
    let tasks = TaskRegistry()
    /// Team-mode sessions numbered for the audit trail (`s1`, `s2`, …).
    var sessionSerial = 0

    /// A request of the IDE's on its way to a child.
    struct InFlightCall {
        let server: String
        /// The id muxgate gave it there; nil until it is sent.
        var id: Int?
        /// The IDE cancelled it before it was sent (while its decision was being made durable).
        var cancelled = false
    }

    /// The audit trail (nil: `audit.enabled: false`, or a command that makes no calls).
    let auditor: Auditor?
    /// What each configured server is reached through (kept for the children a reload makes).
    let transports: ChildTransports
    /// Who watches requests pass the gate's stages (tests only).
    let trace: GateTrace?
    /// Traces and metrics (nil: off, the default).
    let telemetry: Telemetry?
    /// Servers that have started once (a later start is a restart, for the metrics).
    var startedServers: Set<String> = []
    /// The tool search index (`discovery:`), fed each catalogue while some caller can search.
    let discovery: ToolDiscovery

    /// A gateway for one IDE (the stdio front), whose messages go to `sink`.
    ///
    /// - Parameter transports: What each configured server is reached through (the assembly's choice).
    package init(
        config: MuxgateConfig,
        sink: any MessageSink,
        logger: Logger,
        auditor: Auditor? = nil,
        telemetry: Telemetry? = nil,
        transports: ChildTransports = .standard,
        trace: GateTrace? = nil
    ) {
        let session = ClientSession(label: "stdio", identity: .local, sink: sink, telemetry: telemetry, fixed: true)
        self.init(
            config: config,
            routes: ClientRoutes(only: session),
            logger: logger,
            auditor: auditor,
            telemetry: telemetry,
            transports: transports,
            trace: trace
        )
    }

    /// A gateway for team mode: the HTTP front opens its sessions (`openSession`).
    package init(
        teamConfig config: MuxgateConfig,
        logger: Logger,
        auditor: Auditor?,
        telemetry: Telemetry? = nil,
        transports: ChildTransports = .standard,
        trace: GateTrace? = nil
    ) {
        self.init(
            config: config,
            routes: ClientRoutes(only: nil),
            logger: logger,
            auditor: auditor,
            telemetry: telemetry,
            transports: transports,
            trace: trace
        )
    }

    private init(
        config: MuxgateConfig,
        routes: ClientRoutes,
        logger: Logger,
        auditor: Auditor?,
        telemetry: Telemetry?,
        transports: ChildTransports,
        trace: GateTrace?
    ) {
        self.transports = transports
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
    func replaceSetup(with next: GatewaySetup) {
        setup.withLock { $0 = next }
    }

    /// Runs a child a reload made, in the gateway's task group (it stops with the others).
    func adopt(_ child: ChildServer) {
        everyChild.append(child)
        adopted.yield(child)
    }

    /// A request a child sent the IDE through muxgate, awaiting the IDE's answer.
    struct OutgoingRequest {
        let child: ChildServer
        /// The session it was sent to: only that session's answer is taken.
        let session: ClientSession
        let id: [UInt8]
        let method: String
        let deadline: ContinuousClock.Instant
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

    // MARK: - From the IDE

    /// Handles one line from the stdio front's IDE (the primary session).
    package func receive(_ line: [UInt8]) -> (@Sendable () async -> Void)? {
        receive(line, from: primary!)
    }

    /// Handles one line from `session`'s IDE; returns work to run concurrently when the answer
    /// must wait.
    package func receive(_ line: [UInt8], from session: ClientSession) -> (@Sendable () async -> Void)? {
        let message: JSONRPCMessage
        do {
            message = try JSONRPCMessage.parse(line, oneReading: true)
        } catch {
            logger.warning("invalid message from the client: \(error.error.message)")
            session.sink.send(JSONRPC.error(id: error.id.map { Array($0.bytes) }, error.error))
            return nil
        }
        return receive(message, from: session)
    }

    /// Handles one parsed message from `session`'s IDE.
    package func receive(_ message: JSONRPCMessage, from session: ClientSession) -> (@Sendable () async -> Void)? {
        var message = message
        let ambiguity = Self.ambiguity(of: message)
        if let ambiguity, message.kind != .request {
            guard let replacement = unambiguous(message, session, why: ambiguity) else { return nil }
            message = replacement
        }
        switch message.kind {
        case .request:
            // An id already in flight would make two answers indistinguishable: refused.
            let id = Array(message.id!.bytes)
            let activeIDs = session.activeIDs
            guard let claim = activeIDs.claim(id) else {
                logger.warning("refused a request reusing the in-flight id \(message.id!.text)")
                session.sink.send(
                    JSONRPC.error(
                        id: id,
                        .invalidRequest(
                            "Invalid Request: id \(message.id!.text) is already in use by a request in flight"
                        )
                    )
                )
                return nil
            }
            // Claimed before any work starts, so an answer sent at once frees it (`respond`).
            if session.telemetry != nil { session.observe(message, id: id) }
            trace?.passed(.read, id)
            if let ambiguity {
                refuseAmbiguous(message, id: id, session: session, why: ambiguity)
                session.finished(id, claim: claim)
                return nil
            }
            guard let work = request(message, session) else {
                session.finished(id, claim: claim)
                return nil
            }
            return {
                await work()
                session.finished(id, claim: claim)
            }
        case .notification:
            notification(message, session)
            return nil
        case .response:
            response(message, session)
            return nil
        }
    }

    /// Answers a line that was too long to read at all.
    package func refuseOversized(bytes: Int, from session: ClientSession) {
        logger.error("dropped a message of \(bytes) bytes from the client: over the \(config.maxMessageBytes)-byte cap")
        session.sink.send(
            JSONRPC.error(
                id: nil,
                .invalidRequest(
                    "Invalid Request: message of \(bytes) bytes exceeds muxgate's cap of \(config.maxMessageBytes) bytes (max_message_size)"
                )
            )
        )
    }

    private func request(_ message: JSONRPCMessage, _ session: ClientSession) -> (@Sendable () async -> Void)? {
        let id = Array(message.id!.bytes)
        if session !== primary, message.method == "server/discover" || Self.envelope(message) != nil {
            session.respond(
                to: id,
                JSONRPC.error(
                    id: id,
                    .invalidRequest(
                        "Invalid Request: muxgate's HTTP front speaks the initialize era (2025-11-25 and older); "
                            + "send initialize first (2026-07-28 is served over stdio)"
                    )
                )
            )
            return nil
        }
        if message.method != "server/discover", let meta = Self.envelope(message) {
            if unsupportedVersion(meta, id: id, session: session) || invalidLogLevel(meta, id: id, session: session) {
                return nil
            }
            adoptModernClient(meta, session: session)
        }
        // A method missing from the table is unknown, whatever a case below handles: the table is
        // what the route tests walk.
        guard GateRoute.of(message.method!) != nil else {
            session.respond(to: id, JSONRPC.error(id: id, .methodNotFound(message.method!)))
            return nil
        }
        switch message.method! {
        case "initialize":
            initialize(id: id, session: session, params: message.params)
        case "server/discover":
            discover(id: id, session: session, params: message.params)
        case "subscriptions/listen":
            listen(message, id: id, session: session)
        case "ping":
            // 2026-07-28 removed ping: a session that speaks it gets what any unknown method gets.
            guard !session.modern, Self.envelope(message) == nil else {
                session.respond(to: id, JSONRPC.error(id: id, .methodNotFound(message.method!)))
                return nil
            }
            session.sendResult(id: id, .object([]))
        case "tools/list", "prompts/list", "resources/list", "resources/templates/list":
            let kind = ListKind.allCases.first { $0.method == message.method }!
            var offset = 0
            if let cursor = message.params?["cursor"], cursor.kind != .null {
                guard let parsed = cursor.string.flatMap({ Self.offset(inCursor: $0, for: kind) }) else {
                    session.respond(to: id, JSONRPC.error(id: id, .invalidParams("Invalid cursor: \(cursor.text)")))
                    return nil
                }
                offset = parsed
            }
            return { [self, offset] in await self.list(kind, id: id, session: session, offset: offset) }
        case "tools/call":
            return callTool(message, id: id, session: session)
        case "prompts/get":
            return getPrompt(message, id: id, session: session)
        case "resources/read", "resources/subscribe", "resources/unsubscribe":
            return routeByURI(message, id: id, session: session)
        case "completion/complete":
            return complete(message, id: id, session: session)
        case "tasks/get", "tasks/result", "tasks/cancel":
            return routeTask(message, id: id, session: session)
        case "tasks/list":
            return { [self] in await listTasks(message, id: id, session: session) }
        case "logging/setLevel":
            setLevel(message, id: id, session: session)
        default:
            session.respond(to: id, JSONRPC.error(id: id, .methodNotFound(message.method!)))
        }
        return nil
    }

    private func notification(_ message: JSONRPCMessage, _ session: ClientSession) {
        switch message.method! {
        case "notifications/cancelled":
            if session === primary, let requestID = message.params?["requestId"],
                listens.removeValue(forKey: Array(requestID.bytes)) != nil
            {
                return  // the stream ends; no answer is due
            }
            guard let requestID = message.params?["requestId"] else { return }
            let target = session.inFlight.withLock { calls -> InFlightCall? in
                let key = Array(requestID.bytes)
                if calls[key]?.id == nil { calls[key]?.cancelled = true }
                return calls[key]
            }
            // Not sent yet: it will not be (`forwardingCancelled`).
            guard let target, let childID = target.id, let child = self.child(target.server, for: session, make: false)
            else { return }
            child.cancel(id: childID, reason: message.params?["reason"]?.string)
        case "notifications/roots/list_changed":
            // Shared children of team mode were never told of any session's roots; a session's
            // own children were.
            let told = session === primary ? children : session.ownChildren.withLock { Array($0.values) }
            for child in told where child.phase == .ready { child.notify(message.bytes) }
        default:
            break
        }
    }

    private func response(_ message: JSONRPCMessage, _ session: ClientSession) {
        // An answer counts only from the session the request went to.
        if let id = message.id?.int,
            let waiter = ownRequests.withLock({ table in
                table[id]?.session === session ? table.removeValue(forKey: id)?.waiter : nil
            })
        {
            waiter.resume(returning: message)
            return
        }
        guard let id = message.id?.int, outgoing[id]?.session === session, let origin = outgoing.removeValue(forKey: id)
        else {
            logger.warning("dropped a response from the client to an unknown request id \(message.id?.text ?? "null")")
            return
        }
        origin.child.notify(message.rewritten(id: origin.id))
    }
}

/// The catalogues the IDE sees, built together from one configuration and the children's lists.
struct Catalogues: Sendable {
    var tools = NamedCatalogue()
    var prompts = NamedCatalogue()
    var resources = ResourceCatalogue()
}
