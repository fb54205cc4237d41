import MuxgateConfig
package import MuxgateWire

/// Typed builders for every audit event; each maps to the schema in `docs/audit.md`.
extension AuditEvent {
    /// muxgate started serving a client.
    ///
    /// - Parameters:
    ///   - version: muxgate's version.
    ///   - configSHA256: SHA-256 of the configuration file's bytes.
    ///   - profile: The active profile, if any.
    ///   - client: The client's `clientInfo` name and version.
    ///   - protocolVersion: The negotiated MCP protocol version.
    package static func start(
        version: String,
        configSHA256: String?,
        profile: String?,
        client: (name: String, version: String?)?,
        protocolVersion: String?
    ) -> AuditEvent {
        AuditEvent(
            .start,
            [
                ("version", .string(version)),
                ("config_sha256", configSHA256.map(JSONValue.string)),
                ("profile", profile.map(JSONValue.string)),
                ("client_name", client.map { .string($0.name) }),
                ("client_version", client?.version.map(JSONValue.string)),
                ("protocol_version", protocolVersion.map(JSONValue.string)),
            ]
        )
    }

    /// A team-mode IDE session opened (after its `initialize`) or closed.
    ///
    /// - Parameters:
    ///   - session: muxgate's label for the session (`s1`, …), which its calls' records carry.
    ///   - client: The client's name in the configuration (`clients.NAME`); `subject` its OIDC `sub`.
    ///   - clientInfo: What the IDE said it is (`clientInfo` name and version).
    package static func client(
        session: String,
        state: ClientState,
        client: String?,
        subject: String?,
        profile: String?,
        clientInfo: (name: String, version: String?)?,
        protocolVersion: String?,
        reason: String? = nil
    ) -> AuditEvent {
        AuditEvent(
            .client,
            [
                ("client", client.map(JSONValue.string)), ("client_name", clientInfo.map { .string($0.name) }),
                ("client_session", .string(session)), ("client_version", clientInfo?.version.map(JSONValue.string)),
                ("profile", profile.map(JSONValue.string)), ("protocol_version", protocolVersion.map(JSONValue.string)),
                ("reason", reason.map(JSONValue.string)), ("state", .string(state.rawValue)),
                ("client_subject", subject.map(JSONValue.string)),
            ]
        )
    }

    /// The exposed tool set changed: tools that appeared (with definition hashes) and names that went.
    package static func tools(added: [Tool], removed: [String]) -> AuditEvent {
        let added: [JSONValue] = added.map { tool in
            .object([("name", .string(tool.name)), ("server", .string(tool.server)), ("sha256", .string(tool.sha256))])
        }
        return AuditEvent(.tools, [("added", .array(added)), ("removed", .array(removed.map(JSONValue.string)))])
    }

    /// A tool kept its name but its definition changed (a possible "rug pull").
    package static func defChange(server: String, tool: String, oldSHA256: String, newSHA256: String) -> AuditEvent {
        AuditEvent(
            .defChange,
            [
                ("server", .string(server)), ("tool", .string(tool)), ("old_sha256", .string(oldSHA256)),
                ("new_sha256", .string(newSHA256)),
            ]
        )
    }

    /// A call was decided; written before it is forwarded or refused.
    ///
    /// - Parameters:
    ///   - requestID: The IDE's JSON-RPC id (`jsonrpc.request.id`).
    ///   - tool: The exposed name (`gen_ai.tool.name`); `upstreamTool` is the child's own name.
    ///   - toolSHA256: The canonical definition hash (`AuditCanonical.sha256(of:)`).
    ///   - args: The redacted arguments and `argsSHA256` the hash of the original (`Redactor`).
    package static func decision(
        requestID: JSONSlice?,
        server: String,
        tool: String,
        upstreamTool: String?,
        toolSHA256: String?,
        scope: String?,
        scopeSource: String?,
        decision: Decision,
        rule: String?,
        reason: String?,
        args: JSONValue?,
        argsSHA256: String,
        caller: AuditCaller? = nil
    ) -> AuditEvent {
        var event = AuditEvent(
            .decision,
            // In canonical (key) order: the record needs no sort on the call path.
            [
                ("args", args), ("args_sha256", .string(argsSHA256)), ("decision", .string(decision.rawValue)),
                ("reason", reason.map(JSONValue.string)), ("request_id", requestID.map(AuditCanonical.value)),
                ("rule", rule.map(JSONValue.string)), ("scope", scope.map(JSONValue.string)),
                ("scope_source", scopeSource.map(JSONValue.string)), ("server", .string(server)),
                ("tool", .string(tool)), ("tool_sha256", toolSHA256.map(JSONValue.string)),
                ("upstream_tool", upstreamTool.map(JSONValue.string)),
            ]
        )
        event.add(caller: caller)
        return event
    }

    /// A forwarded call ended.
    ///
    /// - Parameters:
    ///   - resultBytes: The size of the child's result (or error) value.
    ///   - resultSHA256: Its SHA-256 (`AuditCanonical.sha256(_:)` over the bytes as received).
    ///   - error: The error text for every outcome but `ok`.
    package static func outcome(
        requestID: JSONSlice?,
        server: String,
        tool: String,
        outcome: Outcome,
        duration: Duration,
        resultBytes: Int?,
        resultSHA256: String?,
        error: String?,
        guarded: JSONValue? = nil,
        command: JSONValue? = nil,
        caller: AuditCaller? = nil
    ) -> AuditEvent {
        var event = AuditEvent(
            .outcome,
            // In canonical (key) order: the record needs no sort on the call path.
            [
                ("command", command), ("duration_ms", .number(milliseconds(duration))),
                ("error", error.map(JSONValue.string)), ("guard", guarded),
                ("outcome", .string(outcome.rawValue)), ("request_id", requestID.map(AuditCanonical.value)),
                ("result_bytes", resultBytes.map(JSONValue.int)), ("result_sha256", resultSHA256.map(JSONValue.string)),
                ("server", .string(server)), ("tool", .string(tool)),
            ]
        )
        event.add(caller: caller)
        return event
    }

    /// The user was asked to approve a call (`asked`), or answered.
    package static func approval(
        requestID: JSONSlice?,
        server: String,
        tool: String,
        approval: Approval,
        rule: String?,
        reason: String?,
        caller: AuditCaller? = nil
    ) -> AuditEvent {
        AuditEvent(
            .approval,
            [
                ("client", caller.map { .string($0.client) }), ("client_session", caller.map { .string($0.session) }),
                ("client_subject", caller?.subject.map(JSONValue.string)),
                ("request_id", requestID.map(AuditCanonical.value)), ("server", .string(server)),
                ("tool", .string(tool)), ("approval", .string(approval.rawValue)), ("rule", rule.map(JSONValue.string)),
                ("reason", reason.map(JSONValue.string)),
            ]
        )
    }

    /// A child server started, exited (with its status), restarted or failed.
    package static func child(
        server: String,
        state: ChildState,
        status: String?,
        pid: Int32? = nil,
        session: String? = nil
    ) -> AuditEvent {
        AuditEvent(
            .child,
            [
                ("server", .string(server)), ("state", .string(state.rawValue)),
                ("status", status.map(JSONValue.string)),
                ("pid", pid.map { .int(Int($0)) }),
                ("client_session", session.map(JSONValue.string)),
            ]
        )
    }

    /// The configuration was re-read (SIGHUP or `serve --watch`): applied, or rejected with why.
    package static func reload(
        configSHA256: String?,
        applied: Bool,
        error: String? = nil,
        added: [String] = [],
        removed: [String] = [],
        restarted: [String] = []
    ) -> AuditEvent {
        AuditEvent(
            .reload,
            [
                ("result", .string(applied ? "applied" : "rejected")),
                ("config_sha256", configSHA256.map(JSONValue.string)),
                ("error", error.map(JSONValue.string)),
                ("added", .array(added.map(JSONValue.string))),
                ("removed", .array(removed.map(JSONValue.string))),
                ("restarted", .array(restarted.map(JSONValue.string))),
            ]
        )
    }

    /// muxgate stopped serving (written by `AuditLog.close(reason:)`).
    package static func stop(reason: String) -> AuditEvent {
        AuditEvent(.stop, [("reason", .string(reason))])
    }

    /// A signed checkpoint was appended to the anchor: its number and the SHA-256 of its line, so
    /// an anchor rolled back past it is found (written by the anchor's thread, never on a call's path).
    package static func checkpoint(_ checkpoint: AuditCheckpoint) -> AuditEvent {
        AuditEvent(
            .checkpoint,
            [
                ("checkpoint", .number(String(checkpoint.number))),
                ("checkpoint_sha256", .string(checkpoint.lineHash)),
                ("covers_seq", .number(String(checkpoint.seq))),
                ("anchor", .string(checkpoint.key)),
                ("reason", .string(checkpoint.reason)),
            ]
        )
    }

    /// Milliseconds with microsecond precision, as a JSON number literal (`12.345`).
    package static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let micros = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        let sign = micros < 0 ? "-" : ""
        let magnitude = micros.magnitude
        let fraction = String(magnitude % 1000)
        return sign + String(magnitude / 1000) + "." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
