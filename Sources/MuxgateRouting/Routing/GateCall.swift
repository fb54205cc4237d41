package import MuxgateAudit
package import MuxgateChildren
package import MuxgateConfig
package import MuxgatePolicy
import MuxgateTelemetry
package import MuxgateWire
import Synchronization

/// One `tools/call` on its way through the gate: the request, who makes it, the tool and child it
/// resolved to, and what each stage decided. Made once the `resolve` stage found the tool; the
/// stages after it (`GateStage`) read and write it in order, on whichever path runs them.
package struct GateCall: Sendable {
    package let message: JSONRPCMessage
    package let id: [UInt8]
    package let session: ClientSession
    /// The identity the request was admitted with (team mode: its credential's profile now).
    package let caller: ClientIdentity
    package let entry: NamedCatalogue.Entry
    package let child: ChildServer
    /// The configuration the call is judged under, one snapshot for all its stages.
    package let setup: GatewaySetup
    /// What the child's line gets: its own name for the tool, shaped arguments.
    package var edits = JSONSplice()
    /// The arguments the child receives (the IDE's, after shaping): what is judged.
    package var arguments: JSONSlice?
    /// The policy's decision (`judge`), as the audit trail's failure may harden it (`record`).
    package var decision = PolicyDecision(effect: .deny, rule: "muxgate.gate", reason: "not judged")
    /// The group commit the answer waits for (`audit.durable_before: answer`): the decision is
    /// written before the call is forwarded, and on disk before the IDE hears how it went.
    package var commit: PendingCommit?
    /// Why a limit refused the call (`limit`): recorded as decision `limited`, answered as a tool error.
    package var limited: LimitRefusal?
    /// The call's places in its limits' calls in flight, given back when it ends.
    package var limitHold: LimitHold?

    package init(
        _ message: JSONRPCMessage,
        id: [UInt8],
        session: ClientSession,
        entry: NamedCatalogue.Entry,
        child: ChildServer,
        setup: GatewaySetup
    ) {
        self.message = message
        self.id = id
        self.session = session
        caller = session.identity(for: id)
        self.entry = entry
        self.child = child
        self.setup = setup
    }
}

/// The group commit a call's answer waits for (`audit.durable_before: answer`), and what
/// watches the wait (telemetry).
package struct PendingCommit: Sendable {
    package let ticket: AuditTicket
    package let observe: @Sendable (AuditError?) -> Void

    /// Runs `body` once the record is on disk, with the error of its fsync if that failed.
    package func whenDurable(_ body: @escaping @Sendable (AuditError?) -> Void) {
        ticket.whenResolved { [observe] error in
            observe(error)
            body(error)
        }
    }
}

/// What the stages up to `record` came to, for the ones after.
package enum CallPlan: Sendable {
    /// Answered already (a refusal or a denial).
    case answered
    /// The policy wants a person's approval first.
    case ask(GateCall)
    case forward(GateCall)
    /// The decision must be on disk first: the plan comes once the group commit has put it there.
    case waiting(PendingPlan)
}

/// A plan that waits for its decision's group commit; `then` gets it once, on whichever thread
/// comes second (the caller attaching, or the audit log's thread resolving).
package final class PendingPlan: Sendable {
    private let state = Mutex<(plan: CallPlan?, body: (@Sendable (CallPlan) -> Void)?)>((nil, nil))

    package func then(_ body: @escaping @Sendable (CallPlan) -> Void) {
        let plan = state.withLock { state -> CallPlan? in
            if state.plan == nil { state.body = body }
            return state.plan
        }
        if let plan { body(plan) }
    }

    package func resolve(_ plan: CallPlan) {
        let body = state.withLock { state -> (@Sendable (CallPlan) -> Void)? in
            state.plan = plan
            return state.body
        }
        body?(plan)
    }
}
