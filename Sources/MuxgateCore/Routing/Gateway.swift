package import Logging
package import ServiceLifecycle
import Synchronization

/// The router between the IDE and the children.
///
/// It answers what muxgate owns (`initialize`, `ping`, `tools/list`), routes `tools/call` by
/// exposed name to the owning child with fresh ids, forwards the children's notifications and
/// requests, and rebuilds the tool catalogue whenever a child's list changes.
package actor Gateway: Service {
    package let config: MuxgateConfig
    package let naming: Naming
    package let children: [ChildServer]
    private let childByName: [String: ChildServer]
    /// Each server's tool shaping (`servers.NAME.tools`).
    package let shapers: [String: ToolShaper]
    /// The shaping warnings last logged per server, so each is logged once, not on every rebuild.
    private var reportedRules: [String: [String]] = [:]
    private let sink: any MessageSink
    private let logger: Logger
    private let events: AsyncStream<ChildEvent>

    private var clientHello: ClientHello?
    private var clientCapabilities: JSONSlice?
    private var startedAt: ContinuousClock.Instant?
    private(set) var catalogue = ToolCatalogue()
    /// Whether the IDE has seen a list: only then does a change deserve `list_changed`.
    private var listed = false
    /// Requests muxgate forwarded from a child to the IDE, by the id muxgate gave them.
    private var outgoing: [Int: OutgoingRequest] = [:]
    private var nextOutgoingID = 0
    /// The IDE's in-flight calls: its raw id → the child and the id muxgate used there.
    private let inFlight = Locked<[[UInt8]: (server: String, id: Int?)]>([:])

    package init(config: MuxgateConfig, sink: any MessageSink, logger: Logger) {
        self.config = config
        self.naming = Naming(entry: config.client.entry, separator: config.client.separator)
        self.sink = sink
        self.logger = logger
        let (events, continuation) = AsyncStream.makeStream(of: ChildEvent.self)
        self.events = events
        children = config.servers.filter { !$0.disabled }.map { server in
            ChildServer(
                config: server,
                startupTimeout: config.startupTimeout(for: server),
                callTimeout: config.callTimeout(for: server),
                maxMessageBytes: config.maxMessageBytes,
                logger: logger,
                events: continuation
            )
        }
        childByName = Dictionary(uniqueKeysWithValues: children.map { ($0.name, $0) })
        shapers = Dictionary(
            uniqueKeysWithValues: config.servers.map { ($0.name, ToolShaper(server: $0.name, config: $0.tools)) }
        )
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
            for await event in events.cancelOnGracefulShutdown() {
                handle(event)
            }
            stopped.fire()
            for child in children { child.stop() }
        }
    }

    /// A request a child sent the IDE through muxgate, awaiting the IDE's answer.
    struct OutgoingRequest {
        let server: String
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
                    metadata: ["muxgate.server": .string(request.server)]
                )
                sink.send(
                    JSONRPC.notification(
                        method: "notifications/cancelled",
                        params: .object([("requestId", .int(ours)), ("reason", .string("timeout"))])
                    )
                )
                childByName[request.server]?.notify(
                    JSONRPC.error(id: request.id, .timeout("the client did not answer \(request.method) in time"))
                )
            }
        }
    }

    // MARK: - From the IDE

    /// Handles one line from the IDE; returns work to run concurrently when the answer must wait.
    package func receive(_ line: [UInt8]) -> (@Sendable () async -> Void)? {
        let message: JSONRPCMessage
        do {
            message = try JSONRPCMessage.parse(line)
        } catch {
            logger.warning("invalid message from the client: \(error.error.message)")
            sink.send(JSONRPC.error(id: error.id.map { Array($0.bytes) }, error.error))
            return nil
        }
        switch message.kind {
        case .request:
            return request(message)
        case .notification:
            notification(message)
            return nil
        case .response:
            response(message)
            return nil
        }
    }

    /// Answers a line that was too long to read at all.
    package func refuseOversized(bytes: Int) {
        logger.error("dropped a message of \(bytes) bytes from the client: over the \(config.maxMessageBytes)-byte cap")
        sink.send(
            JSONRPC.error(
                id: nil,
                .invalidRequest(
                    "Invalid Request: message of \(bytes) bytes exceeds muxgate's cap of \(config.maxMessageBytes) bytes (max_message_size)"
                )
            )
        )
    }

    private func request(_ message: JSONRPCMessage) -> (@Sendable () async -> Void)? {
        let id = Array(message.id!.bytes)
        switch message.method! {
        case "initialize":
            initialize(id: id, params: message.params)
        case "ping":
            sink.send(JSONRPC.result(id: id, .object([])))
        case "tools/list":
            if let cursor = message.params?["cursor"] {
                sink.send(
                    JSONRPC.error(
                        id: id,
                        .invalidParams("Invalid cursor: \(cursor.text) (muxgate sends the whole list in one page)")
                    )
                )
                return nil
            }
            return { [self] in await self.listTools(id: id) }
        case "tools/call":
            return callTool(message, id: id)
        default:
            sink.send(JSONRPC.error(id: id, .methodNotFound(message.method!)))
        }
        return nil
    }

    private func initialize(id: [UInt8], params: JSONSlice?) {
        let requested = params?["protocolVersion"]?.string
        let version = ProtocolVersion.negotiate(requested)
        let capabilities = params?["capabilities"]
        sink.send(
            JSONRPC.result(
                id: id,
                .object([
                    ("protocolVersion", .string(version)),
                    ("capabilities", .object([("tools", .object([("listChanged", .bool(true))]))])),
                    (
                        "serverInfo",
                        .object([("name", .string("muxgate")), ("version", .string(MuxgateVersion.current))])
                    ),
                ])
            )
        )
        guard clientHello == nil else { return }
        // Pass down what muxgate can forward back up: roots, sampling, elicitation.
        let forwarded: [(String, JSONValue)] = ["roots", "sampling", "elicitation"].compactMap { key in
            capabilities?[key].map { (key, $0.value) }
        }
        let hello = ClientHello(
            protocolVersion: version,
            capabilities: .object(forwarded),
            clientInfo: params?["clientInfo"]?.value ?? ClientHello.standalone.clientInfo
        )
        clientHello = hello
        clientCapabilities = capabilities
        logger.info(
            "client: \(params?["clientInfo"]?.text ?? "unknown"), protocol \(version) (asked \(requested ?? "none"))"
        )
        startChildren(with: hello)
    }

    /// Starts every child (once); the IDE's `initialize`, or a command without an IDE, calls it.
    package func startChildren(with hello: ClientHello = .standalone) {
        guard startedAt == nil else { return }
        startedAt = .now
        for child in children { child.start(with: hello) }
    }

    /// Waits until every child is ready or failed, at most the start-up bound.
    package func waitForChildren() async {
        if startedAt == nil { startChildren() }
        let deadline = startedAt! + config.startupTimeout
        await withTaskGroup(of: Void.self) { group in
            for child in children {
                group.addTask { await child.waitUntilSettled(until: deadline) }
            }
        }
    }

    private func listTools(id: [UInt8]) async {
        await waitForChildren()
        for child in children where child.phase != .ready {
            let why: String
            switch child.phase {
            case .failed(let reason), .exited(let reason): why = reason
            default:
                why =
                    "still starting after \(config.startupTimeout(for: child.config).seconds)s; list_changed follows when it is ready"
            }
            logger.warning("tools/list answered without server '\(child.name)': \(why)")
        }
        rebuildCatalogue()
        listed = true
        sink.send(JSONRPC.result(id: id, catalogue.listResult))
    }

    /// The catalogue entry for an exposed name; while children are still starting, waits for them
    /// (at most the start-up bound) before saying a name is unknown.
    private func resolve(_ name: String) async -> ToolCatalogue.Entry? {
        if let entry = catalogue[name] { return entry }
        guard children.contains(where: { $0.phase == .starting }) else { return nil }
        await waitForChildren()
        rebuildCatalogue()
        return catalogue[name]
    }

    private func callTool(_ message: JSONRPCMessage, id: [UInt8]) -> (@Sendable () async -> Void)? {
        guard let nameSlice = message.params?["name"], let name = nameSlice.string else {
            sink.send(JSONRPC.error(id: id, .invalidParams("Invalid params: tools/call needs a string 'name'")))
            return nil
        }
        let inFlight = self.inFlight
        return { [self, sink, logger] in
            guard let entry = await resolve(name), let child = childByName[entry.server] else {
                sink.send(JSONRPC.error(id: id, .invalidParams("Unknown tool: \(name)")))
                return
            }
            var splice = JSONSplice()
            if entry.originalName != name {
                splice.replace(nameSlice.range, with: JSONValue.quoted(entry.originalName))
            }
            do throws(ShapingError) {
                let params = message.params!
                if let arguments = try shapers[entry.server]!.prepareArguments(
                    tool: entry.originalName,
                    arguments: params["arguments"]
                ) {
                    splice.setMember("arguments", to: arguments.encoded, in: params)
                }
            } catch {
                logger.warning("tools/call \(name) refused: \(error.message)")
                sink.send(JSONRPC.error(id: id, .invalidParams(error.message)))
                return
            }
            let edits = splice
            inFlight.withLock { $0[id] = (entry.server, nil) }
            defer { inFlight.withLock { _ = $0.removeValue(forKey: id) } }
            do {
                let response = try await child.request("tools/call") { childID in
                    inFlight.withLock { $0[id] = (entry.server, Int(String(decoding: childID, as: UTF8.self))) }
                    return message.rewritten(id: childID, edits)
                }
                sink.send(response.rewritten(id: id))
            } catch let error as JSONRPCError {
                logger.warning("tools/call \(name) failed: \(error.message)")
                sink.send(JSONRPC.error(id: id, error))
            } catch {
                // Cancelled by the client: no answer is due.
            }
        }
    }

    private func notification(_ message: JSONRPCMessage) {
        switch message.method! {
        case "notifications/cancelled":
            guard let requestID = message.params?["requestId"],
                let target = inFlight.withLock({ $0[Array(requestID.bytes)] }),
                let childID = target.id, let child = childByName[target.server]
            else { return }
            child.cancel(id: childID, reason: message.params?["reason"]?.string)
        case "notifications/roots/list_changed":
            for child in children where child.phase == .ready { child.notify(message.bytes) }
        default:
            break
        }
    }

    private func response(_ message: JSONRPCMessage) {
        guard let id = message.id?.int, let origin = outgoing.removeValue(forKey: id),
            let child = childByName[origin.server]
        else {
            logger.warning("dropped a response from the client to an unknown request id \(message.id?.text ?? "null")")
            return
        }
        child.notify(message.rewritten(id: origin.id))
    }

    // MARK: - From the children

    private func handle(_ event: ChildEvent) {
        switch event {
        case .toolsChanged(let server):
            rebuildCatalogue()
            reportShapingProblems(server)
        case .unavailable(let server, _):
            rebuildCatalogue()
            outgoing = outgoing.filter { $0.value.server != server }
        case .notification(let server, let message):
            forwardNotification(message, from: server)
        case .request(let server, let message):
            forwardRequest(message, from: server)
        }
    }

    /// Logs, once, the shaping rules of `server` that match none of its tools.
    private func reportShapingProblems(_ server: String) {
        guard let child = childByName[server], let shaper = shapers[server] else { return }
        let problems =
            shaper.unmatchedRules(childTools: child.tools)
            + shaper.renameCollisions(childToolNames: child.tools.compactMap { $0["name"]?.string })
        guard problems != reportedRules[server] else { return }
        reportedRules[server] = problems
        for problem in problems {
            logger.warning("config: \(problem)", metadata: ["muxgate.server": .string(server)])
        }
    }

    /// The catalogue rebuilt from the children's tool lists as they are now.
    package func currentCatalogue() -> ToolCatalogue {
        rebuildCatalogue()
        return catalogue
    }

    private func rebuildCatalogue() {
        let sources = children.map { ToolCatalogue.Source(server: $0.name, shaper: shapers[$0.name]!, tools: $0.tools) }
        let updated = ToolCatalogue(naming: naming, sources: sources) { server, problem in
            logger.warning("skipped \(problem)", metadata: ["muxgate.server": .string(server)])
        }
        let changed = updated.differs(from: catalogue)
        catalogue = updated
        if changed && listed {
            sink.send(JSONRPC.notification(method: "notifications/tools/list_changed", params: nil))
        }
    }

    private func forwardNotification(_ message: JSONRPCMessage, from server: String) {
        switch message.method! {
        case "notifications/message", "notifications/progress":
            sink.send(message.bytes)
        case "notifications/cancelled":
            // The child gave up on a request it sent the IDE: name it by muxgate's id.
            guard let requestID = message.params?["requestId"],
                let (ours, _) = outgoing.first(where: {
                    $0.value.server == server && $0.value.id == Array(requestID.bytes)
                })
            else { return }
            outgoing[ours] = nil
            var edits = JSONSplice()
            edits.replace(requestID.range, with: Array(String(ours).utf8))
            sink.send(edits.apply(to: message.bytes))
        default:
            logger.debug("not forwarded: \(message.method!)", metadata: ["muxgate.server": .string(server)])
        }
    }

    private func forwardRequest(_ message: JSONRPCMessage, from server: String) {
        let method = message.method!
        let capability: String? =
            switch method {
            case "sampling/createMessage": "sampling"
            case "elicitation/create": "elicitation"
            case "roots/list": "roots"
            default: nil
            }
        guard let capability, clientCapabilities?[capability] != nil, let child = childByName[server] else {
            childByName[server]?.notify(JSONRPC.error(id: Array(message.id!.bytes), .methodNotFound(method)))
            return
        }
        nextOutgoingID += 1
        outgoing[nextOutgoingID] = OutgoingRequest(
            server: server,
            id: Array(message.id!.bytes),
            method: method,
            deadline: .now + child.callTimeout
        )
        sink.send(message.rewritten(id: Array(String(nextOutgoingID).utf8)))
    }
}
