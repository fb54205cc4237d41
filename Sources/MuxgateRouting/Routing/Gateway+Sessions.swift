import Logging
import MuxgateAudit
package import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
import MuxgateWire

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
        let session = ClientSession(label: "s\(sessionSerial)", identity: identity, sink: sink, telemetry: telemetry)
        routes.add(session)
        return session
    }

    /// A session's latest credential maps to another profile: it is judged by that one from its
    /// request on; the change is logged and audited, and an IDE that listed tools is told they changed.
    package func profileChanged(_ session: ClientSession, from before: String?) {
        let identity = session.identity
        let now = identity.profile ?? config.policy.profileName
        let was = before ?? config.policy.profileName
        logger.notice(
            "team mode: session \(session.label) of \(identity.describe) now runs as profile '\(now)' (was '\(was)')"
        )
        auditor?.record(
            .client(
                session: session.label,
                state: .changed,
                client: identity.name,
                subject: identity.subject,
                profile: now,
                clientInfo: nil,
                protocolVersion: nil,
                reason: "its credential now maps to profile '\(now)' (was '\(was)')"
            ),
            durable: true
        )
        if session.hasListed(.tools) {
            session.sink.send(JSONRPC.notification(method: "notifications/tools/list_changed", params: nil))
        }
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
            guard let childID = call.id, let child = self.child(call.server, for: session, make: false) else {
                continue
            }
            child.cancel(id: childID, reason: "the client's session ended")
        }
        session.stopOwnChildren()
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

    /// The child that serves `server` to `session`: the shared one, or in team mode for a
    /// `per_session: true` server the session's own, made on its first use (its first request
    /// starts it) and made again after a reload changed how the server is launched.
    ///
    /// - Parameter make: Whether to make the session's own child when it has none yet (not for a
    ///   cancel, which has nothing to cancel there).
    package nonisolated func child(_ server: String, for session: ClientSession, make: Bool = true) -> ChildServer? {
        let setup = current
        guard let shared = setup.childByName[server] else { return nil }
        guard routes.only == nil, let config = setup.servers[server], config.perSession else { return shared }
        let launch = shared.launch
        let (child, made, replaced) = session.ownChildren.withLock {
            own -> (ChildServer?, ChildServer?, ChildServer?) in
            if let existing = own[server], existing.launch == launch { return (existing, nil, nil) }
            guard make, !session.isClosed else { return (nil, nil, nil) }
            let fresh = setup.makeChild(config, session)
            defer { own[server] = fresh }
            return (fresh, fresh, own[server])
        }
        replaced?.stop()
        if let made {
            made.prepare(with: ownHello(for: session))
            adopted.yield(made)
            logger.info(
                "\(server): a child of its own for session \(session.label) (per_session)",
                metadata: ["muxgate.server": .string(server), "muxgate.session": .string(session.label)]
            )
        }
        return child
    }

    /// The children serving `session`: each shared one, or the session's own where it has one.
    package nonisolated func children(for session: ClientSession) -> [ChildServer] {
        let setup = current
        guard routes.only == nil else { return setup.children }
        return setup.children.compactMap { child in
            setup.servers[child.name]?.perSession == true ? self.child(child.name, for: session, make: false) : child
        }
    }

    /// What a session's own child is told of its client: the session's own IDE (its roots,
    /// sampling and elicitation, all of which reach that session alone).
    package nonisolated func ownHello(for session: ClientSession) -> ClientHello {
        let hello = session.hello
        let forwarded: [(String, JSONValue)] = ["roots", "sampling", "elicitation"].compactMap { key in
            hello?.capabilities?[key].map { (key, $0.value) }
        }
        return ClientHello(
            protocolVersion: ProtocolVersion.latest,
            capabilities: .object(forwarded),
            clientInfo: hello?.clientInfo?.value ?? ClientHello.standalone.clientInfo
        )
    }
}
