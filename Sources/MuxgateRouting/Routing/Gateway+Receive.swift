import Logging
import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
package import MuxgateWire
import ServiceLifecycle
import Synchronization

/// From the IDE: each line or message an IDE sends, read once and sent on by kind (request,
/// notification, answer to a request muxgate made of it). Requests go to the gate (`GateRoute`).
extension Gateway {
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

    fileprivate func request(_ message: JSONRPCMessage, _ session: ClientSession) -> (@Sendable () async -> Void)? {
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

    fileprivate func notification(_ message: JSONRPCMessage, _ session: ClientSession) {
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

    fileprivate func response(_ message: JSONRPCMessage, _ session: ClientSession) {
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
