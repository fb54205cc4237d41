import Logging
import MuxgateAudit
package import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
package import MuxgateWire

/// Traffic that starts at a child: list changes, notifications and requests for the IDE.
extension Gateway {
    package func handle(_ report: ChildReport) {
        let child = report.child
        // A child a reload is still starting, or one it replaced: its requests are served, its
        // list changes wait for the switch (which rebuilds everything once).
        let isCurrent = childByName[child.name] === child
        switch report.event {
        case .listsChanged(let server, _):
            guard isCurrent else { return }
            scheduleRebuild()
            reportShapingProblems(server)
        case .started(let server, let pid):
            if let instruments = telemetry?.instruments {
                instruments.childStarted(server, restart: !startedServers.insert(server).inserted)
                instruments.circuit(server, open: false)
            }
            auditor?.record(
                .child(server: server, state: .started, status: nil, pid: pid, session: child.owner?.label),
                durable: false
            )
        case .unavailable(let server, let reason, let failed):
            telemetry?.instruments?.circuit(server, open: child.circuitOpen)
            // Restarted, it has its own default log level again.
            if let owner = child.owner {
                routes.session(owner)?.logging.forget(server: server)
            } else if isCurrent {
                for session in routes.all { session.logging.forget(server: server) }
            }
            auditor?.record(
                .child(
                    server: server,
                    state: failed ? .failed : .exited,
                    status: reason,
                    session: child.owner?.label
                ),
                durable: false
            )
            outgoing = outgoing.filter { $0.value.child !== child }
            if isCurrent { scheduleRebuild() }
        case .notification(let server, let message):
            forwardNotification(message, from: server, child: child)
        case .request(_, let message):
            forwardRequest(message, from: child)
        }
    }

    private func forwardNotification(_ message: JSONRPCMessage, from server: String, child: ChildServer) {
        switch message.method! {
        case "notifications/resources/updated" where modern:
            guard let uri = message.params?["uri"]?.string else { return }
            let exposed =
                namespacedURIs.withLock({ $0[server]?.contains(uri) == true })
                ? ResourceCatalogue.namespaced(uri, server: server) : uri
            notifySubscribers(message.method!, kind: nil, uri: exposed, params: [("uri", .string(exposed))])
        case "notifications/message" where modern || routes.only == nil:
            // No request in flight to this child asked for it (at that level): muxgate's stderr
            // has it (the spec's advice for stdio logging); `passThrough` forwarded the others.
            logger.info(
                "log from the server: \(message.params?["data"]?.text ?? "")",
                metadata: [
                    "muxgate.server": .string(server), "muxgate.level": .string(message.params?["level"]?.string ?? ""),
                ]
            )
        case "notifications/cancelled":
            // The child gave up on a request it sent the IDE: name it by muxgate's id.
            guard let requestID = message.params?["requestId"],
                let (ours, _) = outgoing.first(where: {
                    $0.value.child === child && $0.value.id == Array(requestID.bytes)
                })
            else { return }
            let session = outgoing.removeValue(forKey: ours)!.session
            var edits = JSONSplice()
            edits.replace(requestID.range, with: Array(String(ours).utf8))
            session.sink.send(edits.apply(to: message.bytes))
        default:
            // Nothing muxgate must translate: the IDE gets it as the child wrote it.
            guard let session = owner(of: child) else {
                logger.debug(
                    "dropped \(message.method!): no single session has a call in flight to this server",
                    metadata: ["muxgate.server": .string(server)]
                )
                return
            }
            logger.debug("forwarded: \(message.method!)", metadata: ["muxgate.server": .string(server)])
            session.sink.send(message.bytes)
        }
    }

    /// The session a child's request or notification belongs to: the one a session's own child
    /// serves, or for a shared child `ClientRoutes.owner(of:)`.
    package func owner(of child: ChildServer) -> ClientSession? {
        // A session's own child speaks only to that session, and to no one once it has gone.
        if let owner = child.owner { return routes.session(owner) }
        return routes.owner(of: child.name)
    }

    /// Forwards the notifications that need no gateway state, in the child's own order: called on
    /// the child's stdout reader, so a progress or log line reaches the client before the response
    /// the child wrote after it.
    ///
    /// - Returns: false when the gateway must handle the notification.
    package static func passThrough(
        _ message: JSONRPCMessage,
        from server: String,
        to routes: ClientRoutes,
        owner: ClientSession? = nil,
        namespacedURIs: Locked<[String: Set<String>]>,
        tasks: TaskRegistry
    ) -> Bool {
        guard let session = routes.only else {
            return teamPassThrough(message, from: server, to: routes, owner: owner, namespacedURIs: namespacedURIs)
        }
        let sink = session.sink
        // A 2026-07-28 IDE gets resource updates on its listen streams (the gateway's), and a log
        // line only while a request to this child opted in at that level or lower: in flight,
        // the line is request-scoped (stdio says no more of which request it is).
        if session.modern {
            if message.method == "notifications/resources/updated" { return false }
            if message.method == "notifications/message" {
                let level = message.params?["level"]?.string
                guard session.logging.admits(level.flatMap(LogLevel.init(rawValue:)), from: server) else {
                    return false
                }
            }
        }
        switch message.method {
        case "notifications/message":
            sink.send(logLine(message, from: server))
            return true
        case "notifications/resources/updated":
            sink.send(exposedUpdate(message, from: server, namespacedURIs: namespacedURIs).line)
            return true
        case "notifications/progress":
            sink.send(message.bytes)
            return true
        case "notifications/tasks/status":
            // May arrive before the response that created the task: the id is registered here too.
            var edits = JSONSplice()
            tasks.exposing(message.params?["taskId"], of: server, into: &edits)
            sink.send(edits.apply(to: message.bytes))
            return true
        default:
            return false
        }
    }

    /// The client sees whose log line it is: `logger` becomes `server` or `server/logger`.
    package static func logLine(_ message: JSONRPCMessage, from server: String) -> [UInt8] {
        guard let params = message.params, params.kind == .object else { return message.bytes }
        let logger = params["logger"]?.string.map { "\(server)/\($0)" } ?? server
        var edits = JSONSplice()
        edits.setMember("logger", to: JSONValue.quoted(logger), in: params)
        return edits.apply(to: message.bytes)
    }

    /// A resource update as the IDE knows the URI: one another child lists too is `muxgate://SERVER/…`.
    package static func exposedUpdate(
        _ message: JSONRPCMessage,
        from server: String,
        namespacedURIs: Locked<[String: Set<String>]>
    ) -> (line: [UInt8], uri: String?) {
        guard let slice = message.params?["uri"], let uri = slice.string else { return (message.bytes, nil) }
        guard namespacedURIs.withLock({ $0[server]?.contains(uri) == true }) else { return (message.bytes, uri) }
        let exposed = ResourceCatalogue.namespaced(uri, server: server)
        var edits = JSONSplice()
        edits.replace(slice.range, with: JSONValue.quoted(exposed))
        return (edits.apply(to: message.bytes), exposed)
    }

    /// Team mode: a child's notification reaches only the sessions it belongs to. A progress line
    /// goes to the session whose call carries the token (its own token restored), a resource
    /// update to the sessions subscribed to the URI, a log line to the session it is about (a
    /// session's own child's: that session) at its level. Task status is not forwarded (a session
    /// polls `tasks/get`).
    private static func teamPassThrough(
        _ message: JSONRPCMessage,
        from server: String,
        to routes: ClientRoutes,
        owner: ClientSession?,
        namespacedURIs: Locked<[String: Set<String>]>
    ) -> Bool {
        switch message.method {
        case "notifications/progress":
            guard let slice = message.params?["progressToken"], let ours = slice.string,
                let route = routes.progressRoute(ours)
            else { return true }
            var edits = JSONSplice()
            edits.replace(slice.range, with: route.token)
            route.session.sink.send(edits.apply(to: message.bytes), relatedTo: route.requestID)
        case "notifications/message":
            // A shared child's log line does not say whose call it is about: it goes to the one
            // session with calls in flight there, at its level, or to muxgate's log (`false`).
            let level = message.params?["level"]?.string.flatMap(LogLevel.init(rawValue:))
            guard let session = owner ?? routes.owner(of: server) else { return false }
            if let level, let wanted = session.logging.stamp, level < wanted { return true }
            session.sink.send(logLine(message, from: server))
        case "notifications/resources/updated":
            let (line, uri) = exposedUpdate(message, from: server, namespacedURIs: namespacedURIs)
            guard let uri else { return true }
            for session in routes.subscribers(of: uri) { session.sink.send(line) }
        case "notifications/tasks/status":
            break
        default:
            return false
        }
        return true
    }

    private func forwardRequest(_ message: JSONRPCMessage, from child: ChildServer) {
        let method = message.method!
        // A 2026-07-28 IDE takes input only as an input-required round trip of a call in flight.
        if modern, let input = RequestEnvelope.inputCapability(for: method),
            bridgeRequest(message, from: child, needs: input)
        {
            return
        }
        let capability = RequestEnvelope.capability(for: method)
        guard let capability, !modern else {
            child.notify(JSONRPC.error(id: Array(message.id!.bytes), .methodNotFound(method)))
            return
        }
        guard let session = owner(of: child) else {
            logger.warning(
                "refused \(method): no single client session has a request in flight to this server",
                metadata: ["muxgate.server": .string(child.name)]
            )
            child.notify(
                JSONRPC.error(
                    id: Array(message.id!.bytes),
                    JSONRPCError(
                        code: JSONRPCError.Code.internalError,
                        message: "muxgate cannot tell which client \(method) is for: "
                            + "no single client session has a request in flight to this server"
                    )
                )
            )
            return
        }
        guard session.hello?.capabilities?[capability] != nil else {
            child.notify(JSONRPC.error(id: Array(message.id!.bytes), .methodNotFound(method)))
            return
        }
        nextOutgoingID += 1
        outgoing[nextOutgoingID] = OutgoingRequest(
            child: child,
            session: session,
            id: Array(message.id!.bytes),
            method: method,
            deadline: .now + child.callTimeout
        )
        let related = session.inFlight.withLock { calls in calls.first { $0.value.server == child.name }?.key }
        session.sink.send(message.rewritten(id: Array(String(nextOutgoingID).utf8)), relatedTo: related)
    }
}
