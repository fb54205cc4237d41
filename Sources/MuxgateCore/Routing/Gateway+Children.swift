import Logging

/// Traffic that starts at a child: list changes, notifications and requests for the IDE.
extension Gateway {
    func handle(_ report: ChildReport) {
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
            auditor?.record(.child(server: server, state: .started, status: nil, pid: pid), durable: false)
        case .unavailable(let server, let reason, let failed):
            // Restarted, it has its own default log level again.
            if isCurrent { logging.forget(server: server) }
            auditor?.record(.child(server: server, state: failed ? .failed : .exited, status: reason), durable: false)
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
        case "notifications/message" where modern:
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
            outgoing[ours] = nil
            var edits = JSONSplice()
            edits.replace(requestID.range, with: Array(String(ours).utf8))
            sink.send(edits.apply(to: message.bytes))
        default:
            // Nothing muxgate must translate: the IDE gets it as the child wrote it.
            logger.debug("forwarded: \(message.method!)", metadata: ["muxgate.server": .string(server)])
            sink.send(message.bytes)
        }
    }

    /// Forwards the notifications that need no gateway state, in the child's own order: called on
    /// the child's stdout reader, so a progress or log line reaches the client before the response
    /// the child wrote after it.
    ///
    /// - Returns: false when the gateway must handle the notification.
    static func passThrough(
        _ message: JSONRPCMessage,
        from server: String,
        to sink: any MessageSink,
        namespacedURIs: Locked<[String: Set<String>]>,
        tasks: TaskRegistry,
        modern: SharedFlag,
        logging: ClientLogging
    ) -> Bool {
        // A 2026-07-28 IDE gets resource updates on its listen streams (the gateway's), and a log
        // line only while a request to this child opted in at that level or lower: in flight,
        // the line is request-scoped (stdio says no more of which request it is).
        if modern.isSet {
            if message.method == "notifications/resources/updated" { return false }
            if message.method == "notifications/message" {
                let level = message.params?["level"]?.string
                guard logging.admits(level.flatMap(LogLevel.init(rawValue:)), from: server) else { return false }
            }
        }
        switch message.method {
        case "notifications/message":
            // The client sees whose log line it is: `logger` becomes `server` or `server/logger`.
            guard let params = message.params, params.kind == .object else {
                sink.send(message.bytes)
                return true
            }
            let logger = params["logger"]?.string.map { "\(server)/\($0)" } ?? server
            var edits = JSONSplice()
            edits.setMember("logger", to: JSONValue.quoted(logger), in: params)
            sink.send(edits.apply(to: message.bytes))
            return true
        case "notifications/resources/updated":
            // A URI another child lists too reaches the IDE under its `muxgate://SERVER/` name.
            if let slice = message.params?["uri"], let uri = slice.string,
                namespacedURIs.withLock({ $0[server]?.contains(uri) == true })
            {
                var edits = JSONSplice()
                edits.replace(slice.range, with: JSONValue.quoted(ResourceCatalogue.namespaced(uri, server: server)))
                sink.send(edits.apply(to: message.bytes))
            } else {
                sink.send(message.bytes)
            }
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

    private func forwardRequest(_ message: JSONRPCMessage, from child: ChildServer) {
        let method = message.method!
        // A 2026-07-28 IDE takes input only as an input-required round trip of a call in flight.
        if modern, let input = RequestEnvelope.inputCapability(for: method),
            bridgeRequest(message, from: child, needs: input)
        {
            return
        }
        let capability = RequestEnvelope.capability(for: method)
        guard let capability, !modern, clientCapabilities?[capability] != nil else {
            child.notify(JSONRPC.error(id: Array(message.id!.bytes), .methodNotFound(method)))
            return
        }
        nextOutgoingID += 1
        outgoing[nextOutgoingID] = OutgoingRequest(
            child: child,
            id: Array(message.id!.bytes),
            method: method,
            deadline: .now + child.callTimeout
        )
        sink.send(message.rewritten(id: Array(String(nextOutgoingID).utf8)))
    }
}
