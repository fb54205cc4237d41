import Logging

/// Traffic that starts at a child: list changes, notifications and requests for the IDE.
extension Gateway {
    func handle(_ event: ChildEvent) {
        switch event {
        case .listsChanged(let server, _):
            rebuildCatalogues()
            reportShapingProblems(server)
        case .started(let server, let pid):
            auditor?.record(.child(server: server, state: .started, status: nil, pid: pid), durable: false)
        case .unavailable(let server, let reason, let failed):
            auditor?.record(.child(server: server, state: failed ? .failed : .exited, status: reason), durable: false)
            rebuildCatalogues()
            outgoing = outgoing.filter { $0.value.server != server }
        case .notification(let server, let message):
            forwardNotification(message, from: server)
        case .request(let server, let message):
            forwardRequest(message, from: server)
        }
    }

    private func forwardNotification(_ message: JSONRPCMessage, from server: String) {
        switch message.method! {
        case "notifications/message", "notifications/progress", "notifications/resources/updated":
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
