import MuxgateConfig
package import MuxgateWire

/// What one audit record says: its kind and its event fields (the envelope is added by `AuditLog`).
///
/// Build events with the typed builders in `AuditEvent+Builders.swift`; field names are the
/// schema in `docs/audit.md`.
package struct AuditEvent: Sendable {
    /// The `event` value of a record.
    package enum Kind: String, Sendable, CaseIterable {
        case start, tools, decision, outcome, approval, child, reload, stop
        /// A team-mode IDE session opened or closed.
        case client
        case defChange = "def_change"
        /// A signed checkpoint of the log was written to the anchor (`audit.anchor`).
        case checkpoint
        /// A caller searched the tools (`search_tools`): its query, redacted like arguments, and the matches.
        case search
    }

    /// A policy decision on a call.
    package enum Decision: String, Sendable, CaseIterable {
        case allow, ask, deny
        /// A limit (`limits:`) refused the call; its rule is `limits.NAME`.
        case limited
    }

    /// How a forwarded call ended.
    package enum Outcome: String, Sendable, CaseIterable {
        case ok
        case toolError = "tool_error"
        case rpcError = "rpc_error"
        case timeout, cancelled
        case childExit = "child_exit"
    }

    /// A step of an approval asked of the user through elicitation.
    package enum Approval: String, Sendable, CaseIterable {
        case asked, accepted, declined, cancelled, timeout
        /// The client cannot elicit, so the call could not be approved.
        case unavailable
    }

    /// What happened to a team-mode session.
    package enum ClientState: String, Sendable, CaseIterable {
        /// `changed`: its latest credential maps to another profile (`profile`), judged by from then on.
        case opened, closed, changed
    }

    /// What happened to a child server.
    package enum ChildState: String, Sendable, CaseIterable {
        case started, exited, restarted, failed
    }

    /// One exposed tool in a `tools` event: its exposed name, owner and canonical definition hash.
    package struct Tool: Sendable, Equatable {
        package var name: String
        package var server: String
        package var sha256: String

        package init(name: String, server: String, sha256: String) {
            self.name = name
            self.server = server
            self.sha256 = sha256
        }
    }

    /// The names a record's envelope uses; no event field may take them.
    package static let envelopeKeys: Set<String> = ["seq", "ts", "event", "session", "prev", "hash"]

    package let kind: Kind
    /// Event fields, nil values already dropped; written in sorted key order.
    package private(set) var fields: [(String, JSONValue)]

    /// An event of `kind` with the given fields; nil values are left out.
    package init(_ kind: Kind, _ fields: [(String, JSONValue?)]) {
        self.kind = kind
        self.fields = fields.compactMap { key, value in
            assert(!Self.envelopeKeys.contains(key), "'\(key)' is an audit envelope key")
            return value.map { (key, $0) }
        }
    }

    /// Adds a field (used by `AuditLog` for the `start` event's chain facts).
    package mutating func add(_ key: String, _ value: JSONValue) {
        precondition(!Self.envelopeKeys.contains(key), "'\(key)' is an audit envelope key")
        fields.append((key, value))
    }

    /// Adds who made the call (team mode: `client`, `client_session`, `client_subject`) and puts
    /// the fields back in key order; the stdio front's calls carry none, at no cost.
    package mutating func add(caller: AuditCaller?) {
        guard let caller else { return }
        let added: [(String, JSONValue)] =
            [
                ("client", .string(caller.client)), ("client_session", .string(caller.session)),
            ] + (caller.subject.map { [("client_subject", JSONValue.string($0))] } ?? [])
        fields = (fields + added).sorted { $0.0 < $1.0 }
    }

    /// The value of a field, if set.
    package subscript(key: String) -> JSONValue? {
        fields.last { $0.0 == key }?.1
    }
}

/// Who made a call, as its audit records name them (team mode): the configuration's client, the
/// session's label (`s1`: the transport's session id is a credential and stays out), and an OIDC
/// caller's subject.
package struct AuditCaller: Sendable, Equatable {
    package let client: String
    package let session: String
    package let subject: String?

    package init(client: String, session: String, subject: String?) {
        self.client = client
        self.session = session
        self.subject = subject
    }
}
