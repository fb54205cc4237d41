import Logging
package import MuxgateAudit
import MuxgateChildren
package import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
package import MuxgateWire

/// Permission checks at call time: the policy's decision, and human approval through elicitation.
extension Gateway {
    /// Settles an `ask` by asking the user through elicitation; each step is audited.
    ///
    /// - Returns: `allow` or `deny`, with the rule and a reason the model can read.
    package func approve(
        _ entry: NamedCatalogue.Entry,
        _ decision: PolicyDecision,
        arguments: JSONSlice?,
        requestID: JSONSlice?,
        session: ClientSession
    ) async -> PolicyDecision {
        let trail = ApprovalTrail(
            auditor: auditor,
            entry: entry,
            decision: decision,
            requestID: requestID,
            session: session
        )
        guard session.hello?.capabilities?["elicitation"] != nil else {
            return trail.deny(
                .unavailable,
                "it needs the user's approval, and this client cannot ask (no elicitation support)"
            )
        }
        trail.record(.asked, decision.reason)
        guard
            let answer = await askClient(
                "elicitation/create",
                params: Self.approvalRequest(entry, decision, arguments: arguments),
                session: session,
                relatedTo: requestID.map { Array($0.bytes) },
                timeout: callTimeout(for: entry)
            )
        else {
            return trail.deny(.timeout, "the user did not answer in time")
        }
        return settle(entry, answer: answer.result, error: answer.error, trail: trail)
    }

    /// Audits the steps of one approval and words its denial.
    package struct ApprovalTrail {
        package let auditor: Auditor?
        package let entry: NamedCatalogue.Entry
        package let decision: PolicyDecision
        package let requestID: JSONSlice?
        /// The session whose call it is (its client is in the records).
        package let session: ClientSession

        package func record(_ approval: AuditEvent.Approval, _ reason: String) {
            auditor?.record(
                .approval(
                    requestID: requestID,
                    server: entry.server,
                    tool: entry.exposedName,
                    approval: approval,
                    rule: decision.rule,
                    reason: reason,
                    caller: session.auditCaller
                ),
                durable: true
            )
        }

        /// Records `approval` and returns the denial the model reads.
        package func deny(_ approval: AuditEvent.Approval, _ why: String) -> PolicyDecision {
            record(approval, why)
            return PolicyDecision(effect: .deny, rule: decision.rule, reason: decision.reason + " — " + why)
        }
    }

    /// The elicitation that asks the user to approve a call.
    package static func approvalRequest(
        _ entry: NamedCatalogue.Entry,
        _ decision: PolicyDecision,
        arguments: JSONSlice?
    )
        -> JSONValue
    {
        let message = """
            muxgate: allow tool '\(entry.exposedName)' of server \(entry.server) (\(entry.scope.rawValue))?
            Arguments: \(Self.summary(of: arguments))
            Why this asks: \(decision.reason)
            """
        return .object([
            ("message", .string(message)),
            ("requestedSchema", .object([("type", .string("object")), ("properties", .object([]))])),
        ])
    }

    /// The decision an elicitation answer (`{"action": …}`) makes of an `ask`.
    package func settle(_ entry: NamedCatalogue.Entry, answer: JSONSlice?, error: JSONSlice?, trail: ApprovalTrail)
        -> PolicyDecision
    {
        let decision = trail.decision
        let action = answer?["action"]?.string ?? "error"
        logger.info("approval for \(entry.exposedName): \(action)", metadata: ["muxgate.server": .string(entry.server)])
        switch action {
        case "accept":
            trail.record(.accepted, "approved by the user")
            return PolicyDecision(
                effect: .allow,
                rule: decision.rule,
                reason: decision.reason + " — approved by the user"
            )
        case "decline":
            return trail.deny(.declined, "the user chose decline")
        case "cancel":
            return trail.deny(.cancelled, "the user chose cancel")
        default:
            let what = error.map { $0["message"]?.string ?? $0.text } ?? "no action in the answer"
            return trail.deny(.unavailable, "the client failed to ask: \(what)")
        }
    }

    /// What approving a call of a 2026-07-28 IDE came to.
    package enum ModernApproval {
        case decided(PolicyDecision)
        /// The call was answered with an `InputRequiredResult` asking for the approval.
        case asked
    }

    package static let approvalKey = "muxgate:approval"

    /// Settles an `ask` for a 2026-07-28 IDE through multi round-trip requests: the call is
    /// answered with an `InputRequiredResult` carrying the approval elicitation; its retry, with
    /// muxgate's `requestState` (single use, bound to the tool and the arguments) and the answer in
    /// `inputResponses`, decides.
    package func approveModern(
        _ entry: NamedCatalogue.Entry,
        _ decision: PolicyDecision,
        arguments: JSONSlice?,
        message: JSONRPCMessage,
        id: [UInt8],
        session: ClientSession
    ) -> ModernApproval {
        let requestID = message.id
        let trail = ApprovalTrail(
            auditor: auditor,
            entry: entry,
            decision: decision,
            requestID: requestID,
            session: session
        )
        let binding = entry.exposedName + "\n" + AuditCanonical.sha256(Array(arguments?.bytes ?? []))
        let params = message.params
        if let token = params?["requestState"]?.string, token.hasPrefix("mgap1."),
            let answer = params?["inputResponses"]?[Self.approvalKey]
        {
            let now = ContinuousClock.now
            approvals = approvals.filter { $0.value.deadline > now }
            guard approvals.removeValue(forKey: token)?.binding == binding else {
                return .decided(trail.deny(.unavailable, "the approval does not belong to this call, or it expired"))
            }
            return .decided(settle(entry, answer: answer, error: nil, trail: trail))
        }
        let capabilities = params?["_meta"]?[RequestEnvelope.capabilitiesKey] ?? session.hello?.capabilities
        guard capabilities?["elicitation"] != nil else {
            return .decided(
                trail.deny(
                    .unavailable,
                    "it needs the user's approval, and this client cannot ask (no elicitation support)"
                )
            )
        }
        trail.record(.asked, decision.reason)
        let token = randomToken("mgap1.")
        approvals[token] = (binding, .now + callTimeout(for: entry))
        session.respond(
            to: id,
            JSONRPC.result(
                id: id,
                .object([
                    ("resultType", .string("input_required")),
                    (
                        "inputRequests",
                        .object([
                            (
                                Self.approvalKey,
                                .object([
                                    ("method", .string("elicitation/create")),
                                    ("params", Self.approvalRequest(entry, decision, arguments: arguments)),
                                ])
                            )
                        ])
                    ),
                    ("requestState", .string(token)),
                ])
            )
        )
        return .asked
    }

    /// The tool result the IDE gets for a denied call: the child never sees it.
    package static func deniedResult(_ entry: NamedCatalogue.Entry, _ decision: PolicyDecision) -> JSONValue {
        let text = Secrets.shared.scrub(
            "muxgate denied this call to \(entry.exposedName) (server \(entry.server)): \(decision.reason) [\(decision.rule)]"
        )
        return .object([
            ("content", .array([.object([("type", .string("text")), ("text", .string(text))])])),
            ("isError", .bool(true)),
        ])
    }

    /// A readable one-line summary of call arguments, for approval prompts.
    package static func summary(of arguments: JSONSlice?) -> String {
        guard let arguments, arguments.kind == .object, !arguments.members.isEmpty else { return "none" }
        return arguments.members.map { member in
            let value = member.value.string ?? member.value.text
            return "\(member.key)=\(value.count > 200 ? value.prefix(200) + "…" : value)"
        }.joined(separator: ", ")
    }

    package func callTimeout(for entry: NamedCatalogue.Entry) -> Duration {
        childByName[entry.server]?.callTimeout ?? config.callTimeout
    }

    /// Sends muxgate's own request to `session`'s IDE and awaits the answer; nil on timeout or
    /// cancellation (the IDE then gets `notifications/cancelled`).
    ///
    /// - Parameter relatedTo: The IDE's request it is made for (an HTTP front sends it on that
    ///   request's stream).
    package func askClient(
        _ method: String,
        params: JSONValue,
        session: ClientSession,
        relatedTo: [UInt8]?,
        timeout: Duration
    ) async -> JSONRPCMessage? {
        nextOutgoingID += 1
        let id = nextOutgoingID
        let line = JSONRPC.request(id: Array(String(id).utf8), method: method, params: params)
        let answers = ownRequests
        let answer = try? await withTimeout(timeout) {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<JSONRPCMessage?, Never>) in
                    answers.withLock { $0[id] = (session, continuation) }
                    if Task.isCancelled {
                        answers.withLock { $0.removeValue(forKey: id) }?.waiter.resume(returning: nil)
                    } else {
                        session.sink.send(line, relatedTo: relatedTo)
                    }
                }
            } onCancel: {
                answers.withLock { $0.removeValue(forKey: id) }?.waiter.resume(returning: nil)
            }
        }
        guard let answer = answer ?? nil else {
            session.sink.send(
                JSONRPC.notification(
                    method: "notifications/cancelled",
                    params: .object([("requestId", .int(id)), ("reason", .string("timeout"))])
                ),
                relatedTo: relatedTo
            )
            return nil
        }
        return answer
    }
}
