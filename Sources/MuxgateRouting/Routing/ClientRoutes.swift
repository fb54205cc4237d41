import MuxgateAudit
package import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
package import MuxgateWire

/// Which IDE session a message from a child goes to.
///
/// With the stdio front there is one session (`only`) and every message goes to it, as the child
/// wrote it. In team mode there are many over shared children, and a message reaches only the
/// session it belongs to: a progress notification the session whose call carried the token (the
/// token is made unique on the way to the child and restored on the way back), a resource update
/// the sessions that subscribed to the URI, a log line the sessions whose level admits it, a list
/// change every session that listed that kind.
package final class ClientRoutes: Sendable {
    /// A progress token muxgate gave a call in team mode: whose it is and what the IDE sent.
    package struct ProgressRoute: Sendable {
        package let session: ClientSession
        /// The IDE's own token, as its bytes.
        package let token: [UInt8]
        /// The IDE's request id, so a front can send the progress with that request's answer.
        package let requestID: [UInt8]
    }

    /// The stdio front's session, when it is the only one.
    package let only: ClientSession?
    private let sessions = Locked<[ObjectIdentifier: ClientSession]>([:])
    private let progress = Locked<(routes: [String: ProgressRoute], next: UInt64)>(([:], 0))
    /// Resource subscriptions of team-mode sessions: exposed URI → subscribers.
    private let subscribers = Locked<[String: Set<ObjectIdentifier>]>([:])

    package init(only: ClientSession?) {
        self.only = only
        if let only { sessions.withLock { $0[ObjectIdentifier(only)] = only } }
    }

    /// Every open session.
    package var all: [ClientSession] { sessions.withLock { Array($0.values) } }

    /// The open session a `per_session` child serves, if it is still open. The label is checked
    /// too: labels are never reused, addresses may be.
    package func session(_ owner: ChildOwner) -> ClientSession? {
        sessions.withLock { $0[owner.id] }.flatMap { $0.label == owner.label ? $0 : nil }
    }

    package func add(_ session: ClientSession) {
        sessions.withLock { $0[ObjectIdentifier(session)] = session }
    }

    /// Forgets an ended session: its progress tokens and subscriptions go with it.
    package func remove(_ session: ClientSession) {
        let key = ObjectIdentifier(session)
        sessions.withLock { _ = $0.removeValue(forKey: key) }
        progress.withLock { state in state.routes = state.routes.filter { $0.value.session !== session } }
        subscribers.withLock { table in
            for uri in table.keys { table[uri]?.remove(key) }
        }
    }

    // MARK: - Progress

    /// Gives the call's progress token (team mode) a muxgate-wide unique one; returns it, quoted.
    package func registerProgress(_ token: JSONSlice, of session: ClientSession, requestID: [UInt8]) -> String {
        progress.withLock { state in
            state.next &+= 1
            let ours = "mgp.\(session.label).\(state.next)"
            state.routes[ours] = ProgressRoute(session: session, token: Array(token.bytes), requestID: requestID)
            return ours
        }
    }

    package func unregisterProgress(_ ours: String) {
        _ = progress.withLock { $0.routes.removeValue(forKey: ours) }
    }

    package func progressRoute(_ ours: String) -> ProgressRoute? {
        progress.withLock { $0.routes[ours] }
    }

    // MARK: - Resource subscriptions

    package func subscribe(_ session: ClientSession, to uri: String) {
        _ = subscribers.withLock { $0[uri, default: []].insert(ObjectIdentifier(session)) }
    }

    package func unsubscribe(_ session: ClientSession, from uri: String) {
        _ = subscribers.withLock { $0[uri]?.remove(ObjectIdentifier(session)) }
    }

    /// The sessions subscribed to `uri`.
    package func subscribers(of uri: String) -> [ClientSession] {
        let keys = subscribers.withLock { $0[uri] ?? [] }
        return sessions.withLock { table in keys.compactMap { table[$0] } }
    }

    /// The session a shared child's request or notification belongs to: the stdio front's one, or
    /// in team mode the one session with a request in flight to `server` (a child's message does
    /// not say which call it is for; with two sessions' calls in flight muxgate cannot tell, and
    /// guessing could hand one client's data to another).
    package func owner(of server: String) -> ClientSession? {
        if let only { return only }
        var owner: ClientSession?
        for session in all where session.inFlight.withLock({ $0.values.contains { $0.server == server } }) {
            guard owner == nil else { return nil }
            owner = session
        }
        return owner
    }

    /// Runs `body` inside the stdio sink's batch (HTTP sessions write per message).
    package func batch(_ body: () -> Void) {
        if let only { only.sink.batch(body) } else { body() }
    }
}

extension ClientRoutes {
    /// The log level stamped on requests to 2026-07-28 children: the stdio IDE's, or in team mode
    /// the lowest any session asked for (`debug` until one asked).
    package var logStamp: LogLevel? {
        if let only { return only.logging.stamp }
        return all.compactMap(\.logging.stamp).min() ?? .debug
    }
}
