import Logging
import MuxgateAudit
import MuxgateConfig
package import MuxgatePolicy
import MuxgateTelemetry
package import MuxgateWire

/// The `limit` stage: the caller's rates, calls in flight and quotas (`limits:`), after `judge`
/// and before `record`, so a refusal is audited as decision `limited` and a call the policy
/// denied counts against nothing.
extension Gateway {
    /// `limit`: each limit that applies to the call's tool and caller admits it (and counts it),
    /// or the first that cannot says why in `call.limited`. Without a `limits:` section, one nil
    /// check.
    package nonisolated func limit(_ call: inout GateCall) {
        guard let table = call.setup.limits, call.decision.effect != .deny else { return }
        let tool = call.entry.exposedName
        let applying = table.applying(
            tool: tool,
            server: call.entry.server,
            caller: call.caller.name ?? MuxgateConfig.localCaller,
            profile: call.caller.profile ?? call.setup.config.policy.profileName
        )
        guard !applying.isEmpty else { return }
        switch limiter.admit(applying, tool: tool, caller: Self.limitCaller(call.caller)) {
        case .success(let hold):
            call.limitHold = hold
        case .failure(let refusal):
            call.limited = refusal
            call.session.telemetry?.instruments?.limited(refusal.limit, kind: refusal.kind.rawValue)
        }
    }

    /// Whose counters a caller spends: its name, and its OIDC subject when it has one (each
    /// person signed in through one client entry has their own).
    package static func limitCaller(_ identity: ClientIdentity) -> String {
        let name = identity.name ?? MuxgateConfig.localCaller
        guard let subject = identity.subject else { return name }
        return name + " (sub " + subject + ")"
    }

    /// Answers a call a limit refused: a tool error that says which limit, the use now and when
    /// to retry, with the same in `_meta["muxgate/limit"]` for clients that read it.
    package nonisolated func refuseLimited(_ call: GateCall, _ refusal: LimitRefusal) {
        logger.notice(
            "limited \(call.entry.exposedName): \(refusal.message)",
            metadata: ["muxgate.server": .string(call.entry.server), "muxgate.limit": .string(refusal.limit)]
        )
        // Team mode: the HTTP front adds `Retry-After` when the answer is the POST's JSON body.
        if taskOwner(call.session) != nil { call.session.retryHints.withLock { $0[call.id] = refusal.retryAfter } }
        call.session.sendResult(id: call.id, Self.limitedResult(call.entry, refusal))
    }

    /// The tool result of a call a limit refused.
    package static func limitedResult(_ entry: NamedCatalogue.Entry, _ refusal: LimitRefusal) -> JSONValue {
        let text = "muxgate limited this call to \(entry.exposedName) (server \(entry.server)): \(refusal.message)"
        return .object([
            ("content", .array([.object([("type", .string("text")), ("text", .string(text))])])),
            ("isError", .bool(true)),
            (
                "_meta",
                .object([
                    (
                        "muxgate/limit",
                        .object([
                            ("limit", .string(refusal.limit)), ("kind", .string(refusal.kind.rawValue)),
                            ("used", .int(refusal.used)), ("allowed", .int(refusal.allowed)),
                            ("retry_after", .int(refusal.retryAfter)),
                        ])
                    )
                ])
            ),
        ])
    }
}
