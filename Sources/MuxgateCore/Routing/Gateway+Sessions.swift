/// Team mode's sessions: opened by the HTTP front for each authenticated IDE, ended by it.
extension Gateway {
    /// Starts the children for team mode, with muxgate's own hello: they are shared by every
    /// session, so they are offered what muxgate can route to the session whose call caused a
    /// request (sampling, elicitation) and not roots, which belong to no single session.
    package func startForTeam() {
        let hello = ClientHello(
            protocolVersion: ProtocolVersion.latest,
            capabilities: .object([("sampling", .object([])), ("elicitation", .object([]))]),
            clientInfo: ClientHello.standalone.clientInfo
        )
        childHello = hello
        auditor?.record(
            .start(
                version: MuxgateVersion.current,
                configSHA256: config.sha256,
                profile: config.policy.profileName,
                client: nil,
                protocolVersion: nil
            ),
            durable: true
        )
        startChildren(with: hello, lazyToo: false)
    }

    /// Opens a session for an IDE the HTTP front has authenticated.
    package func openSession(identity: ClientIdentity, sink: any MessageSink) -> ClientSession {
        sessionSerial += 1
        let session = ClientSession(label: "s\(sessionSerial)", identity: identity, sink: sink)
        routes.add(session)
        return session
    }

    /// Ends a session: its calls in flight are cancelled at their children, requests to it are
    /// answered for the children, and the audit trail says it closed.
    package func closeSession(_ session: ClientSession, reason: String) {
        session.close()
        routes.remove(session)
        let calls = session.inFlight.withLock { calls -> [InFlightCall] in
            defer { calls = [:] }
            return Array(calls.values)
        }
        for call in calls {
            guard let childID = call.id, let child = childByName[call.server] else { continue }
            child.cancel(id: childID, reason: "the client's session ended")
        }
        for (ours, request) in outgoing where request.session === session {
            outgoing[ours] = nil
            request.child.notify(JSONRPC.error(id: request.id, .internalError("the client's session ended")))
        }
        let waiting = ownRequests.withLock { table -> [CheckedContinuation<JSONRPCMessage?, Never>] in
            let mine = table.filter { $0.value.session === session }
            for id in mine.keys { table[id] = nil }
            return mine.values.map(\.waiter)
        }
        for waiter in waiting { waiter.resume(returning: nil) }
        guard session.hello != nil else { return }
        auditor?.record(
            .client(
                session: session.label,
                state: .closed,
                client: session.identity.name,
                subject: session.identity.subject,
                profile: nil,
                clientInfo: nil,
                protocolVersion: nil,
                reason: reason
            ),
            durable: false
        )
    }
}
