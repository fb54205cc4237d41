import Logging
import MuxgateAudit
import MuxgateChildren
package import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
package import MuxgateWire
import Synchronization
import Tracing

/// The stages of a tool call (`GateStage`), each once: what `pass` and `carryOut` run, on both
/// paths.
extension Gateway {
    /// `shape`: a quarantined tool is refused (pinning: the tool the IDE resolved is not the one
    /// approved); a key that differs only by case from a name the tool reads is refused (`read`);
    /// the child's own name for the tool, and the operator's pinned and default arguments. False
    /// when the call was answered.
    package nonisolated func shape(_ call: inout GateCall) -> Bool {
        let (entry, session, id) = (call.entry, call.session, call.id)
        if call.setup.enforcesPins, let reason = quarantineReason(entry, config: call.setup.config) {
            let decision = PolicyDecision(
                effect: .deny,
                rule: "muxgate.lock",
                reason: "quarantined: \(reason). A person must review it (`muxgate diff`) and approve it "
                    + "(`muxgate lock --update`); the model cannot"
            )
            session.sendResult(id: id, Self.deniedResult(entry, decision))
            return false
        }
        let params = call.message.params!
        var arguments = params["arguments"]
        if let why = entry.argumentNames.caseConflict(in: arguments) {
            refuseAmbiguous(call.message, id: id, session: session, entry: entry, why: why)
            return false
        }
        // Each lookup walks the params object, so each member is looked up once.
        if let nameSlice = params["name"], entry.originalName != nameSlice.string {
            call.edits.replace(nameSlice.range, with: JSONValue.quoted(entry.originalName))
        }
        do throws(ShapingError) {
            if let shaped = try call.setup.shapers[entry.server]!.prepareArguments(
                tool: entry.originalName,
                calledAs: entry.exposedName,
                arguments: arguments
            ) {
                let bytes = shaped.encoded
                call.edits.setMember("arguments", to: bytes, in: params)
                // The policy judges exactly these bytes; if they cannot be read back (one way),
                // the call stops here rather than being judged on nothing.
                guard let parsed = try? JSONSlice.parse(bytes), parsed.firstDuplicateKey == nil else {
                    logger.error("tools/call \(entry.exposedName): the shaped arguments cannot be read back")
                    session.respond(
                        to: id,
                        JSONRPC.error(id: id, .internalError("muxgate could not read back the arguments it built"))
                    )
                    return false
                }
                arguments = parsed
            }
        } catch {
            logger.warning("tools/call \(entry.exposedName) refused: \(error.message)")
            session.respond(to: id, JSONRPC.error(id: id, .invalidParams(error.message)))
            return false
        }
        call.arguments = arguments
        return true
    }

    /// `judge`: the caller's profile and the argument rules decide, on the arguments the child
    /// would receive (operator values included) and the caller the request was admitted as.
    package nonisolated func judge(_ call: inout GateCall) {
        let (entry, setup) = (call.entry, call.setup)
        let policySpan = call.session.telemetry?.span("muxgate.policy", in: call.session.trace(of: call.id))
        let directory = { setup.servers[entry.server]?.workingDirectory(forTool: entry.originalName) }
        // The stdio front's calls use the configuration's engine in place (no copy on the hot path).
        let engine = call.caller.profile == nil ? setup.config.policy : policy(for: call.caller, in: setup)
        call.decision = engine.decide(
            tool: entry.exposedName,
            scope: entry.scope,
            arguments: call.arguments,
            workingDirectory: directory
        )
        // The exfiltration direction: no secret in the arguments of a tool that reaches out.
        if call.decision.effect != .deny { screenArguments(&call) }
        if let telemetry = call.session.telemetry {
            Self.observe(call.decision, entry: entry, span: policySpan, telemetry: telemetry)
        }
    }

    /// `record`: the decision in the audit trail; on disk before the call goes on when it can
    /// change something or is refused (the plan then comes on the audit log's thread). A read goes
    /// on at once (unless an earlier call still waits: order is kept).
    package nonisolated func record(_ call: consuming GateCall) -> CallPlan {
        guard let auditor else { return settle(call) }
        let (entry, session, id) = (call.entry, call.session, call.id)
        let decision = call.decision
        let limited = call.limited
        let (redacted, argsSHA256) = auditor.redactor.redact(tool: entry.exposedName, arguments: call.arguments)
        let admission = auditor.admit(
            .decision(
                requestID: call.message.id,
                server: entry.server,
                tool: entry.exposedName,
                upstreamTool: entry.originalName,
                toolSHA256: entry.definitionSHA256,
                scope: entry.scope.rawValue,
                scopeSource: entry.scopeSource.rawValue,
                decision: limited == nil ? AuditEvent.Decision(rawValue: decision.effect.rawValue)! : .limited,
                rule: limited.map { "limits." + $0.limit } ?? decision.rule,
                reason: limited?.message ?? decision.reason,
                args: redacted,
                argsSHA256: argsSHA256,
                caller: session.auditCaller
            ),
            // Audit before acting: what can change something is written before it is forwarded, and on
            // disk before its answer (`durable_before: answer`) or before it is forwarded (`forward`).
            durable: entry.scope != .read || decision.effect != .allow || limited != nil
        )
        switch admission {
        case .now(let failure):
            return settle(call, failure: failure)
        case .later(let ticket):
            // Telemetry on: the wait for the disk, as a span and in the metrics.
            let auditWrite = session.telemetry.map { telemetry in
                (telemetry, telemetry.span("muxgate.audit.write", in: session.trace(of: id)), ContinuousClock.now)
            }
            let observeWrite: @Sendable (AuditError?) -> Void = { error in
                guard let (telemetry, span, written) = auditWrite else { return }
                if let span {
                    if let error { span.attributes["error.type"] = "\(error)" }
                    span.end()
                }
                telemetry.instruments?.auditWrite(.now - written)
            }
            // `durable_before: answer`: the record is written (a crash of muxgate keeps it), so an
            // allowed call goes on while the disk works, and its answer waits for the fsync. A
            // denial or a limited call has no child work to overlap; an `ask` waits for a person anyway; the era
            // crossings keep the stricter order.
            if decision.effect == .allow, limited == nil, call.setup.config.audit.durableBefore == .answer,
                !session.modern,
                !call.child.isModern
            {
                call.commit = PendingCommit(ticket: ticket, observe: observeWrite)
                return .forward(call)
            }
            // Known from here on, so a cancel while the decision becomes durable is not lost.
            session.inFlight.withLock { $0[id] = InFlightCall(server: entry.server) }
            let pending = PendingPlan()
            ticket.whenResolved { [self, call = copy call] error in
                observeWrite(error)
                let cancelled = session.inFlight.withLock { calls -> Bool in
                    defer { calls[id] = nil }
                    return calls[id]?.cancelled == true
                }
                guard !cancelled else {
                    logger.info(
                        "tools/call \(entry.exposedName) cancelled by the client before it was forwarded",
                        metadata: ["muxgate.server": .string(entry.server)]
                    )
                    if decision.effect == .allow && limited == nil {
                        observe(
                            RelayOutcome(kind: .cancelled),
                            of: entry,
                            requestID: call.message.id,
                            session: session,
                            since: .now
                        )
                    }
                    return pending.resolve(.answered)
                }
                pending.resolve(settle(call, failure: auditor.failure(error)))
            }
            return .waiting(pending)
        }
    }

    /// Records a decision on its span (ended here) and in the metrics.
    private static func observe(
        _ decision: PolicyDecision,
        entry: NamedCatalogue.Entry,
        span: (any Span)?,
        telemetry: Telemetry
    ) {
        if let span {
            span.attributes = SpanAttributes([
                "muxgate.policy.decision": .string(decision.effect.rawValue),
                "muxgate.policy.rule": .string(decision.rule), "muxgate.tool.scope": .string(entry.scope.rawValue),
            ])
            span.end()
        }
        telemetry.instruments?.decision(decision.effect.rawValue, scope: entry.scope.rawValue)
    }

    /// What the decision makes of a call once it may go on (a denial is answered here).
    ///
    /// - Parameter failure: Why the audit trail stops the call (`audit.on_failure: deny`).
    private nonisolated func settle(_ call: consuming GateCall, failure: String? = nil) -> CallPlan {
        if let failure { call.decision = PolicyDecision(effect: .deny, rule: "audit.on_failure", reason: failure) }
        if let refusal = call.limited, failure == nil {
            refuseLimited(call, refusal)
            return .answered
        }
        switch call.decision.effect {
        case .allow: return .forward(call)
        case .ask: return .ask(call)
        case .deny:
            deny(call.entry, call.decision, id: call.id, session: call.session)
            return .answered
        }
    }

    package nonisolated func deny(
        _ entry: NamedCatalogue.Entry,
        _ decision: PolicyDecision,
        id: [UInt8],
        session: ClientSession
    ) {
        logger.notice(
            "denied \(entry.exposedName): \(decision.reason) [\(decision.rule)]",
            metadata: ["muxgate.server": .string(entry.server)]
        )
        session.sendResult(id: id, Self.deniedResult(entry, decision))
    }

    /// `approve`: a person settles an `ask` (elicitation, or an input-required round trip for a
    /// 2026-07-28 IDE). The call to forward, or nil when it was answered (denied, or the IDE asked).
    package func approve(_ call: GateCall) async -> GateCall? {
        var call = call
        var decision = call.decision
        let (session, id) = (call.session, call.id)
        let approval = session.telemetry?.span("muxgate.approval", in: session.trace(of: id))
        if modern {
            switch approveModern(
                call.entry,
                decision,
                arguments: call.arguments,
                message: call.message,
                id: id,
                session: session
            ) {
            case .asked:
                approval?.attributes["muxgate.policy.decision"] = "asked"
                approval?.end()
                return nil
            case .decided(let settled):
                decision = settled
                if let params = call.message.params {
                    // The approval round trip was muxgate's: the child sees the call as first made.
                    call.edits.editMembers(
                        of: params,
                        removing: { ["inputResponses", "requestState"].contains($0.key) }
                    )
                }
            }
        } else {
            decision = await approve(
                call.entry,
                decision,
                arguments: call.arguments,
                requestID: call.message.id,
                session: session
            )
        }
        if let approval {
            approval.attributes["muxgate.policy.decision"] = decision.effect.rawValue
            approval.end()
        }
        call.decision = decision
        guard decision.effect == .allow else {
            deny(call.entry, decision, id: id, session: session)
            return nil
        }
        return call
    }

    /// `observe`: how a forwarded call ended, audited after the answer has left (the outcome and
    /// the result's digest are not on the call's path).
    package nonisolated func observe(
        _ outcome: RelayOutcome,
        of entry: NamedCatalogue.Entry,
        requestID: JSONSlice?,
        session: ClientSession,
        since started: ContinuousClock.Instant
    ) {
        guard let auditor else { return }
        let duration = ContinuousClock.now - started
        // muxgate's own command tools say what ran: the argv, the status, the output's digest.
        let command: JSONValue? =
            if case .commands = childByName[entry.server]?.config.transport,
                let ran = outcome.result?["_meta"]?["muxgate/command"]
            {
                AuditCanonical.value(ran)
            } else {
                nil
            }
        session.sink.afterBatch {
            auditor.record(
                .outcome(
                    requestID: requestID,
                    server: entry.server,
                    tool: entry.exposedName,
                    outcome: outcome.kind,
                    duration: duration,
                    resultBytes: outcome.result?.range.count,
                    resultSHA256: outcome.result.map { AuditCanonical.sha256($0.bytes) },
                    error: outcome.error,
                    guarded: outcome.guarded,
                    command: command,
                    caller: session.auditCaller
                ),
                durable: false
            )
        }
    }

    /// Renames a CreateTaskResult's task id (a task-augmented call) so it names the child; in team
    /// mode the task becomes the calling session's.
    package nonisolated func exposeTask(of server: String, for session: ClientSession)
        -> @Sendable (JSONRPCMessage) -> JSONSplice
    {
        // Over stdio no owner is recorded: the closure captures no more than it needs (it is made
        // for every call).
        guard let owner = taskOwner(session) else {
            return { [tasks] response in
                var answer = JSONSplice()
                tasks.exposing(response.result?["task"]?["taskId"], of: server, into: &answer)
                return answer
            }
        }
        return { [tasks] response in
            var answer = JSONSplice()
            tasks.exposing(response.result?["task"]?["taskId"], of: server, into: &answer, owner: owner)
            return answer
        }
    }

    /// Whose tasks `session` may see: its own in team mode (by label); nil over stdio (all).
    package nonisolated func taskOwner(_ session: ClientSession) -> String? {
        routes.only == nil ? session.label : nil
    }
}
