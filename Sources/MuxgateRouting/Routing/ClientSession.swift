package import MuxgateAudit
package import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
package import MuxgateTelemetry
package import MuxgateWire
import Synchronization

/// Who is calling: a client of team mode (`clients.NAME`), or the local user of the stdio front.
package struct ClientIdentity: Sendable, Equatable {
    /// The client's name in the configuration (`clients.NAME`); nil for the stdio front's user.
    package let name: String?
    /// The OIDC subject (`sub`), when the identity came from a token an issuer signed.
    package let subject: String?
    /// The profile the identity runs under (nil: the configuration's active one).
    package let profile: String?

    package init(name: String?, subject: String? = nil, profile: String? = nil) {
        self.name = name
        self.subject = subject
        self.profile = profile
    }

    /// The stdio front's user: the configuration's profile, no name in the audit trail.
    package static let local = ClientIdentity(name: nil)

    /// `alice`, or `oidc (sub 1234)`, for logs.
    package var describe: String {
        (name ?? "the local user") + (subject.map { " (sub \($0))" } ?? "")
    }
}

/// One IDE connected to muxgate: who it is, where its messages go, what it negotiated and the
/// requests it has in flight.
///
/// A front owns its sessions: the stdio front has one for the life of the process, the HTTP front
/// one per `Mcp-Session-Id`. Routing takes a session wherever it answers, so nothing in it assumes
/// there is only one; what is shared (children, catalogues, the audit trail) stays in `Gateway`.
package final class ClientSession: Sendable {
    /// What the IDE said of itself, once it has (`initialize`).
    package struct Hello: Sendable {
        package var capabilities: JSONSlice?
        package var protocolVersion: String
        package var clientInfo: JSONSlice?
    }

    /// muxgate's short name for the session in the audit trail and logs (`s1`, `s2`, …): the
    /// transport's session id is a credential-like value and stays out of the records.
    package let label: String
    /// Who it is now: in team mode the identity of its latest admitted request (a token's profile
    /// can change with a reload, an OIDC token's with its claims).
    package var identity: ClientIdentity { fixedIdentity ?? currentIdentity.withLock { $0 } }
    /// The stdio front's identity never changes: read without a lock on every call.
    private let fixedIdentity: ClientIdentity?
    private let currentIdentity: Mutex<ClientIdentity>
    /// Team mode: the identity each request in flight was admitted with, by its raw id, so a
    /// request is judged by its own credential even while another of the session's runs.
    private let requestIdentities = Locked<[[UInt8]: ClientIdentity]>([:])
    /// Where messages to this IDE go.
    package let sink: any MessageSink
    /// The ids of its requests in flight (free again once answered: `respond(to:_:)`).
    package let activeIDs = RequestIDs()
    /// Its in-flight calls: its raw id → the child and the id muxgate used there.
    package let inFlight = Locked<[[UInt8]: Gateway.InFlightCall]>([:])
    /// Team mode: the seconds a limit said to wait, by the id of the request it refused, for the
    /// HTTP front's `Retry-After` (it takes each as it answers the request).
    package let retryHints = Locked<[[UInt8]: Int]>([:])
    /// The IDE speaks 2026-07-28 (per-request envelope, no `initialize`).
    package let modernClient = SharedFlag()
    /// What the IDE asked to hear of the children's logs (either era).
    package let logging = ClientLogging()
    /// Its own children (team mode, `per_session: true` servers), by server name.
    package let ownChildren = Locked<[String: ChildServer]>([:])
    /// Traces and metrics, when on; then its requests in flight are observed, by raw id.
    package let telemetry: Telemetry?
    package let traces = Locked<[[UInt8]: RequestTrace]>([:])
    private let state = Mutex<(hello: Hello?, listed: Set<ListKind>, closed: Bool)>((nil, [], false))

    package init(
        label: String,
        identity: ClientIdentity,
        sink: any MessageSink,
        telemetry: Telemetry? = nil,
        fixed: Bool = false
    ) {
        self.label = label
        fixedIdentity = fixed ? identity : nil
        currentIdentity = Mutex(identity)
        self.sink = sink
        self.telemetry = telemetry
    }

    /// The identity request `id` was admitted with (the session's own when none was bound).
    package func identity(for id: [UInt8]) -> ClientIdentity {
        if let fixedIdentity { return fixedIdentity }
        return requestIdentities.withLock { $0[id] } ?? identity
    }

    /// Team mode: `identity` admitted request `id` (bound until the request ends) and is now the
    /// session's. Its name and subject are the session's (the front checked); its profile may
    /// differ from before.
    ///
    /// - Returns: True when the profile changed (what the session may see changed with it).
    @discardableResult
    package func admit(_ identity: ClientIdentity, for id: [UInt8]?) -> Bool {
        guard fixedIdentity == nil else { return false }
        // A request reusing an id in flight (refused) must not rebind the one that holds it.
        if let id { requestIdentities.withLock { if $0[id] == nil { $0[id] = identity } } }
        return currentIdentity.withLock { current in
            defer { current = identity }
            return current.profile != identity.profile
        }
    }

    /// Starts observing request `id` (telemetry on).
    package func observe(_ message: JSONRPCMessage, id: [UInt8]) {
        guard let telemetry else { return }
        let trace = telemetry.started(message) {
            let identity = self.identity(for: id)
            return TraceCaller(
                session: label,
                protocolVersion: hello?.protocolVersion,
                client: identity.name,
                subject: identity.subject
            )
        }
        traces.withLock { $0[id] = trace }
    }

    /// The observation of request `id`, while it is in flight.
    package func trace(of id: [UInt8]) -> RequestTrace? {
        guard telemetry != nil else { return nil }
        return traces.withLock { $0[id] }
    }

    package var modern: Bool { modernClient.isSet }

    /// The IDE's capabilities and version, once it has said them.
    package var hello: Hello? { state.withLock { $0.hello } }

    /// Records the IDE's hello; false when it had said it already.
    package func adopt(_ hello: Hello) -> Bool {
        state.withLock { state in
            guard state.hello == nil else { return false }
            state.hello = hello
            return true
        }
    }

    /// The lists the IDE has seen: only a change to one of those deserves `list_changed`.
    package func hasListed(_ kind: ListKind) -> Bool { state.withLock { $0.listed.contains(kind) } }

    package func markListed(_ kind: ListKind) { _ = state.withLock { $0.listed.insert(kind) } }

    /// The front ended the session (DELETE, stdin closed): nothing more is sent to it.
    package var isClosed: Bool { state.withLock { $0.closed } }

    package func close() { state.withLock { $0.closed = true } }

    /// Stops the session's own children and forgets them.
    package func stopOwnChildren() {
        let children = ownChildren.withLock { own in
            defer { own = [:] }
            return Array(own.values)
        }
        for child in children { child.stop() }
    }

    /// Sends the answer to the IDE's request `id`; from here on the IDE may reuse the id (a reused
    /// id is refused only while its request is unanswered).
    package func respond(to id: [UInt8], _ line: [UInt8]) {
        activeIDs.answered(id)
        if fixedIdentity == nil { requestIdentities.withLock { _ = $0.removeValue(forKey: id) } }
        sink.send(answer: line, to: id)
        if let telemetry, let trace = traces.withLock({ $0.removeValue(forKey: id) }) {
            telemetry.ended(trace, answer: line)
        }
    }

    /// The work of request `id` (its `claim`) ended: the id is free unless a newer request took it,
    /// and a request that got no answer (cancelled) lets go of what its front holds for it.
    package func finished(_ id: [UInt8], claim: UInt64) {
        guard activeIDs.release(id, claim: claim) else { return }
        if fixedIdentity == nil { requestIdentities.withLock { _ = $0.removeValue(forKey: id) } }
        sink.ended(unanswered: id)
        if let telemetry, let trace = traces.withLock({ $0.removeValue(forKey: id) }) {
            telemetry.ended(trace, answer: nil)
        }
    }

    /// Answers with `result`; a 2026-07-28 IDE gets `resultType` on it.
    package func sendResult(id: [UInt8], _ result: JSONValue) {
        guard modern, case .object(let members) = result, !members.contains(where: { $0.0 == "resultType" }) else {
            respond(to: id, JSONRPC.result(id: id, result))
            return
        }
        respond(to: id, JSONRPC.result(id: id, .object(members + [("resultType", .string("complete"))])))
    }
}

extension ClientSession {
    /// Who its calls' audit records name: team mode's client, the session's label and an OIDC
    /// caller's subject; nil for the stdio front's user.
    package var auditCaller: AuditCaller? {
        let identity = identity
        guard let name = identity.name else { return nil }
        return AuditCaller(client: name, session: label, subject: identity.subject)
    }
}
