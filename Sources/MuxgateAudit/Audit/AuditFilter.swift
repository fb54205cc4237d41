package import Foundation
package import MuxgateConfig
import MuxgateWire

/// Which records `muxgate audit show` (and `summary`, `report`) keep.
///
/// Filters combine with "and", except `decisions` and `outcomes`: each keeps records of its own
/// kind, so giving both keeps matching decisions and matching outcomes.
package struct AuditFilter: Sendable {
    /// Keep records at or after this `ts` (compared as text: `ts` is fixed-width UTC).
    package var since: String?
    /// Keep records whose session id starts with this.
    package var session: String?
    package var server: String?
    package var tool: Glob?
    package var decisions: Set<String> = []
    package var outcomes: Set<String> = []

    package init() {}

    package func matches(_ entry: AuditEntry) -> Bool {
        if let since, entry.ts < since { return false }
        if let session, !entry.session.hasPrefix(session) { return false }
        if let server, entry.text("server") != server { return false }
        if let tool {
            guard let name = entry.text("tool"),
                tool.matches(name) || entry.text("upstream_tool").map(tool.matches) == true
            else { return false }
        }
        if decisions.isEmpty && outcomes.isEmpty { return true }
        if let decision = entry.text("decision"), entry.event == "decision", decisions.contains(decision) {
            return true
        }
        if let outcome = entry.text("outcome"), entry.event == "outcome", outcomes.contains(outcome) { return true }
        return false
    }

    /// Parses `--since`: a duration back from `now` (`90s`, `30m`, `2h`, `7d`) or an RFC 3339
    /// date-time or `YYYY-MM-DD`; returns the `ts` bound, or nil when the text is neither.
    package static func since(_ text: String, now: Date = Date()) -> String? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text.hasSuffix("d"), let days = Double(text.dropLast()), days >= 0 {
            return AuditTimestamp.format(now.addingTimeInterval(-days * 86_400))
        }
        if let duration = ConfigDuration.parse(text) {
            let (seconds, attoseconds) = duration.components
            return AuditTimestamp.format(now.addingTimeInterval(-(Double(seconds) + Double(attoseconds) * 1e-18)))
        }
        return AuditTimestamp.parse(text).map(AuditTimestamp.format)
    }
}
