import MuxgateConfig
import MuxgateWire

/// One tool call as the log tells it: its decision, and the approval and outcome that followed.
package struct AuditCall: Sendable {
    package let decision: AuditEntry
    package var approval: AuditEntry?
    package var outcome: AuditEntry?

    package var server: String { decision.text("server") ?? "" }
    package var tool: String { decision.text("tool") ?? "" }
    package var verdict: String { decision.text("decision") ?? "" }
    package var outcomeName: String? { outcome?.text("outcome") }
    package var durationMS: Double? { outcome?.number("duration_ms") }

    /// Pairs each decision with the next approval and outcome of the same session, request id and tool.
    package static func join(_ entries: [AuditEntry]) -> [AuditCall] {
        var calls: [AuditCall] = []
        var open: [String: Int] = [:]
        for entry in entries {
            let key = "\(entry.session)\u{0}\(entry.text("request_id") ?? "")\u{0}\(entry.text("tool") ?? "")"
            switch entry.event {
            case AuditEvent.Kind.decision.rawValue:
                open[key] = calls.count
                calls.append(AuditCall(decision: entry))
            case AuditEvent.Kind.approval.rawValue:
                if let index = open[key] { calls[index].approval = entry }
            case AuditEvent.Kind.outcome.rawValue:
                if let index = open.removeValue(forKey: key) { calls[index].outcome = entry }
            default:
                continue
            }
        }
        return calls
    }
}
