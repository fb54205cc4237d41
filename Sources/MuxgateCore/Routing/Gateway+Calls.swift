import Logging
import Synchronization
import Tracing

/// Tool calls: planned (shaping, policy, the decision record), forwarded, answered and audited.
/// Relaying to the child is `Gateway+Relay`.
extension Gateway {
    func callTool(_ message: JSONRPCMessage, id: [UInt8], session: ClientSession) -> (@Sendable () async -> Void)? {
        guard let nameSlice = message.params?["name"], let name = nameSlice.string else {
            session.respond(
                to: id,
                JSONRPC.error(id: id, .invalidParams("Invalid params: tools/call needs a string 'name'"))
            )
            return nil
        }
        return { [self] in
            guard let entry = await resolveTool(name), let child = self.child(entry.server, for: session) else {
                session.respond(
                    to: id,
                    JSONRPC.error(id: id, .invalidParams("Unknown tool: \(name)" + unavailableHint(for: name)))
                )
                return
            }
            var planned = plan(message, id: id, session: session, entry: entry, child: child)
            if case .waiting(let pending) = planned {
                planned = await withCheckedContinuation { continuation in
                    pending.then { continuation.resume(returning: $0) }
                }
            }
            switch planned {
            case .answered, .waiting: return
            case .ask(let call, let decision):
                await settleAndForward(call, decision, message: message, id: id, session: session)
            case .forward(let call): await forward(call, message: message, id: id, session: session)
            }
        }
    }

    /// Why a tool that looks like a server's is unknown: that server did not start (its tools were
    /// never listed, or withdrawn), so the model and the user learn what to fix.
    nonisolated func unavailableHint(for name: String) -> String {
        let separator = config.client.separator
        for child in children where name.hasPrefix(child.name + separator) {
            switch child.phase {
            case .failed(let failure), .exited(let failure):
                return " (server '\(child.name)' is unavailable: \(failure.message))"
            default: continue
            }
        }
        return ""
    }

    /// A call muxgate decided to let through, with what it changes in the request.
    struct PreparedCall: Sendable {
        let entry: NamedCatalogue.Entry
        let child: ChildServer
        var splice: JSONSplice
        /// The arguments the child receives (the IDE's, after shaping).
        let arguments: JSONSlice?
    }

    /// What the first half of a call came to.
    enum CallPlan: Sendable {
        /// Answered already (a refusal or a denial).
        case answered
        /// The policy wants a person's approval first.
        case ask(PreparedCall, PolicyDecision)
        case forward(PreparedCall)
        /// The decision must be on disk first: the plan comes once the group commit has put it there.
        case waiting(PendingPlan)
    }

    /// A plan that waits for its decision's group commit; `then` gets it once, on whichever thread
    /// comes second (the caller attaching, or the audit log's thread resolving).
    final class PendingPlan: Sendable {
        let state = Mutex<(plan: CallPlan?, body: (@Sendable (CallPlan) -> Void)?)>((nil, nil))

        func then(_ body: @escaping @Sendable (CallPlan) -> Void) {
            let plan = state.withLock { state -> CallPlan? in
                if state.plan == nil { state.body = body }
                return state.plan
            }
            if let plan { body(plan) }
        }

        func resolve(_ plan: CallPlan) {
            let body = state.withLock { state -> (@Sendable (CallPlan) -> Void)? in
                state.plan = plan
                return state.body
            }
            body?(plan)
        }
    }

    /// The first half of a call: pinning quarantine, shaping, the policy's decision and its audit
    /// record. A call that can change something, or is refused, is `waiting` until the group commit
    /// has put its decision on disk (audit before acting); its plan then comes on the audit log's
    /// thread. A read goes on at once (unless an earlier call still waits: order is kept).
    nonisolated func plan(
        _ message: JSONRPCMessage,
        id: [UInt8],
        session: ClientSession,
        entry: NamedCatalogue.Entry,
        child: ChildServer
    ) -> CallPlan {
        // One snapshot per call (a reload may swap it meanwhile), read in place: copying the whole
        // configuration retained every string and array in it, on every call.
        let setup = current
        if setup.config.pinning == .enforce, let reason = quarantineReason(entry, config: setup.config) {
            let decision = PolicyDecision(
                effect: .deny,
                rule: "muxgate.lock",
                reason: "quarantined: \(reason). A person must review it (`muxgate diff`) and approve it "
                    + "(`muxgate lock --update`); the model cannot"
            )
            session.sendResult(id: id, Self.deniedResult(entry, decision))
            return .answered
        }
        let params = message.params!
        var arguments = params["arguments"]
        // One reading: a key that differs from a name the tool or muxgate reads only by case.
        if let why = entry.argumentNames.caseConflict(in: arguments) {
            refuseAmbiguous(message, id: id, session: session, entry: entry, why: why)
            return .answered
        }
        var splice = JSONSplice()
        // Each lookup walks the params object, so each member is looked up once.
        if let nameSlice = params["name"], entry.originalName != nameSlice.string {
            splice.replace(nameSlice.range, with: JSONValue.quoted(entry.originalName))
        }
        do throws(ShapingError) {
            if let shaped = try setup.shapers[entry.server]!.prepareArguments(
                tool: entry.originalName,
                calledAs: entry.exposedName,
                arguments: arguments
            ) {
                let bytes = shaped.encoded
                splice.setMember("arguments", to: bytes, in: params)
                // The policy judges exactly these bytes; if they cannot be read back (one way),
                // the call stops here rather than being judged on nothing.
                guard let parsed = try? JSONSlice.parse(bytes), parsed.firstDuplicateKey == nil else {
                    logger.error("tools/call \(entry.exposedName): the shaped arguments cannot be read back")
                    session.respond(
                        to: id,
                        JSONRPC.error(id: id, .internalError("muxgate could not read back the arguments it built"))
                    )
                    return .answered
                }
                arguments = parsed
            }
        } catch {
            logger.warning("tools/call \(entry.exposedName) refused: \(error.message)")
            session.respond(to: id, JSONRPC.error(id: id, .invalidParams(error.message)))
            return .answered
        }
        // The policy judges the arguments the child would receive (operator values included).
        // The stdio front's calls use the configuration's engine in place (no copy on the hot path).
        let trace = session.trace(of: id)
        let policySpan = session.telemetry?.span("muxgate.policy", in: trace)
        let directory = { setup.servers[entry.server]?.workingDirectory(forTool: entry.originalName) }
        // Judged by the credential this request came with (team mode: its profile now).
        let caller = session.identity(for: id)
        let decision =
            caller.profile == nil
            ? setup.config.policy.decide(
                tool: entry.exposedName,
                scope: entry.scope,
                arguments: arguments,
                workingDirectory: directory
            )
            : policy(for: caller, in: setup).decide(
                tool: entry.exposedName,
                scope: entry.scope,
                arguments: arguments,
                workingDirectory: directory
            )
        if let telemetry = session.telemetry {
            Self.observe(decision, entry: entry, span: policySpan, telemetry: telemetry)
        }
        let call = PreparedCall(entry: entry, child: child, splice: splice, arguments: arguments)
        guard let auditor else { return settle(call, decision, id: id, session: session) }
        let (redacted, argsSHA256) = auditor.redactor.redact(tool: entry.exposedName, arguments: arguments)
        let admission = auditor.admit(
            .decision(
                requestID: message.id,
                server: entry.server,
                tool: entry.exposedName,
                upstreamTool: entry.originalName,
                toolSHA256: entry.definitionSHA256,
                scope: entry.scope.rawValue,
                scopeSource: entry.scopeSource.rawValue,
                decision: AuditEvent.Decision(rawValue: decision.effect.rawValue)!,
                rule: decision.rule,
                reason: decision.reason,
                args: redacted,
                argsSHA256: argsSHA256,
                caller: session
            ),
            // Audit before acting: what can change something is on disk before it is forwarded.
            durable: entry.scope != .read || decision.effect != .allow
        )
        switch admission {
        case .now(let failure):
            return settle(call, decision, failure: failure, id: id, session: session)
        case .later(let ticket):
            // Known from here on, so a cancel while the decision becomes durable is not lost.
            session.inFlight.withLock { $0[id] = InFlightCall(server: entry.server) }
            let pending = PendingPlan()
            // Telemetry on: the wait for the disk, as a span and in the metrics.
            let auditWrite = session.telemetry.map { telemetry in
                (telemetry, telemetry.span("muxgate.audit.write", in: trace), ContinuousClock.now)
            }
            ticket.whenResolved { [self] error in
                if let (telemetry, span, written) = auditWrite {
                    if let span {
                        if let error { span.attributes["error.type"] = "\(error)" }
                        span.end()
                    }
                    telemetry.instruments?.auditWrite(.now - written)
                }
                let cancelled = session.inFlight.withLock { calls -> Bool in
                    defer { calls[id] = nil }
                    return calls[id]?.cancelled == true
                }
                guard !cancelled else {
                    logger.info(
                        "tools/call \(entry.exposedName) cancelled by the client before it was forwarded",
                        metadata: ["muxgate.server": .string(entry.server)]
                    )
                    if decision.effect == .allow {
                        recordOutcome(
                            RelayOutcome(kind: .cancelled),
                            of: entry,
                            requestID: message.id,
                            session: session,
                            since: .now
                        )
                    }
                    return pending.resolve(.answered)
                }
                pending.resolve(settle(call, decision, failure: auditor.failure(error), id: id, session: session))
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

    /// What the policy's decision makes of a call once it may go on (a denial is answered here).
    ///
    /// - Parameter failure: Why the audit trail stops the call (`audit.on_failure: deny`).
    private nonisolated func settle(
        _ call: PreparedCall,
        _ decision: PolicyDecision,
        failure: String? = nil,
        id: [UInt8],
        session: ClientSession
    )
        -> CallPlan
    {
        let decision = failure.map { PolicyDecision(effect: .deny, rule: "audit.on_failure", reason: $0) } ?? decision
        switch decision.effect {
        case .allow: return .forward(call)
        case .ask: return .ask(call, decision)
        case .deny:
            deny(call.entry, decision, id: id, session: session)
            return .answered
        }
    }

    nonisolated func deny(
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

    /// Asks a person (elicitation, or an input-required round trip for a 2026-07-28 IDE), then
    /// forwards or denies.
    func settleAndForward(
        _ call: PreparedCall,
        _ decision: PolicyDecision,
        message: JSONRPCMessage,
        id: [UInt8],
        session: ClientSession
    ) async {
        var call = call
        var decision = decision
        let approval = session.telemetry?.span("muxgate.approval", in: session.trace(of: id))
        if modern {
            switch approveModern(
                call.entry,
                decision,
                arguments: call.arguments,
                message: message,
                id: id,
                session: session
            ) {
            case .asked:
                approval?.attributes["muxgate.policy.decision"] = "asked"
                approval?.end()
                return
            case .decided(let settled):
                decision = settled
                if let params = message.params {
                    // The approval round trip was muxgate's: the child sees the call as first made.
                    call.splice.editMembers(
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
                requestID: message.id,
                session: session
            )
        }
        if let approval {
            approval.attributes["muxgate.policy.decision"] = decision.effect.rawValue
            approval.end()
        }
        guard decision.effect == .allow else { return deny(call.entry, decision, id: id, session: session) }
        await forward(call, message: message, id: id, session: session)
    }

    /// Relays an allowed call and audits how it ended.
    func forward(_ call: PreparedCall, message: JSONRPCMessage, id: [UInt8], session: ClientSession) async {
        let started = ContinuousClock.now
        let outcome = await relayAcrossEras(
            message,
            id: id,
            session: session,
            to: call.child,
            edits: call.splice,
            answerEdits: exposeTask(of: call.entry.server, for: session)
        )
        recordOutcome(outcome, of: call.entry, requestID: message.id, session: session, since: started)
    }

    /// Renames a CreateTaskResult's task id (a task-augmented call) so it names the child; in team
    /// mode the task becomes the calling session's.
    nonisolated func exposeTask(of server: String, for session: ClientSession)
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
    nonisolated func taskOwner(_ session: ClientSession) -> String? {
        routes.only == nil ? session.label : nil
    }

    nonisolated func recordOutcome(
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
        // After the answer has left: the outcome is not on the call's path (its digest neither).
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
                    command: command,
                    caller: session
                ),
                durable: false
            )
        }
    }
}
