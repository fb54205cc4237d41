import MuxgateConfig
import MuxgateWire

/// The table `muxgate audit show` prints: one row a record, in log order (newest last).
package struct AuditShowTable: Sendable {
    package let entries: [AuditEntry]

    package init(entries: [AuditEntry]) {
        self.entries = entries
    }

    package static let header = ["SEQ", "TIME", "SESSION", "EVENT", "SERVER", "TOOL", "RESULT", "RULE", "DETAIL"]

    package var rows: [[String]] {
        entries.map { entry in
            [
                "\(entry.seq)", entry.ts, String(entry.session.prefix(8)), entry.event, entry.text("server") ?? "",
                entry.text("tool") ?? "", result(entry), entry.text("rule") ?? "", Self.cut(detail(entry), 80),
            ]
        }
    }

    package var rendered: String {
        Table(header: Self.header, rows: rows).rendered
    }

    private func result(_ entry: AuditEntry) -> String {
        switch AuditEvent.Kind(rawValue: entry.event) {
        case .decision: entry.text("decision") ?? ""
        case .outcome: entry.text("outcome") ?? ""
        case .approval: entry.text("approval") ?? ""
        case .child: entry.text("state") ?? ""
        case .start: entry.text("version").map { "muxgate \($0)" } ?? ""
        case .client: entry.text("state") ?? ""
        case .tools: "+\(entry["added"]?.elements.count ?? 0) -\(entry["removed"]?.elements.count ?? 0)"
        case .defChange: "changed"
        case .reload: entry.text("result") ?? ""
        case .checkpoint: entry.text("checkpoint").map { "#\($0)" } ?? ""
        case .search: "\(entry["results"]?.elements.count ?? 0) found"
        case .stop, nil: ""
        }
    }

    private func detail(_ entry: AuditEntry) -> String {
        switch AuditEvent.Kind(rawValue: entry.event) {
        case .decision:
            let args = entry["args"].map { "args " + $0.text } ?? ""
            return [entry.text("reason") ?? "", args].filter { !$0.isEmpty }.joined(separator: "; ")
        case .outcome:
            let duration = entry.number("duration_ms").map { AuditSummary.ms($0) } ?? ""
            let size = entry.number("result_bytes").map { "\(Int($0)) B" } ?? ""
            return [duration, size, entry.text("error") ?? ""].filter { !$0.isEmpty }.joined(separator: ", ")
        case .approval: return entry.text("reason") ?? ""
        case .child: return entry.text("status") ?? ""
        case .start:
            let client = [entry.text("client_name"), entry.text("client_version")].compactMap { $0 }.joined(
                separator: " "
            )
            let parts = [
                client, entry.text("protocol_version").map { "protocol \($0)" } ?? "", entry.text("chain") ?? "",
            ]
            return parts.filter { !$0.isEmpty }.joined(separator: ", ")
        case .tools:
            let added = entry["added"]?.elements.compactMap { $0["name"]?.string } ?? []
            let removed = entry["removed"]?.elements.compactMap(\.string) ?? []
            return (added.map { "+" + $0 } + removed.map { "-" + $0 }).joined(separator: " ")
        case .defChange:
            return "\(entry.text("old_sha256")?.prefix(12) ?? "") → \(entry.text("new_sha256")?.prefix(12) ?? "")"
        case .reload:
            let changes = ["added", "removed", "restarted"].compactMap { key -> String? in
                let names = entry[key]?.elements.compactMap(\.string) ?? []
                return names.isEmpty ? nil : "\(key) " + names.joined(separator: " ")
            }
            return ([entry.text("error") ?? ""] + changes).filter { !$0.isEmpty }.joined(separator: "; ")
        case .stop: return entry.text("reason") ?? ""
        case .search:
            let args = entry["args"].map { "args " + $0.text } ?? ""
            let found = entry["results"]?.elements.compactMap(\.string).joined(separator: " ") ?? ""
            return [args, found].filter { !$0.isEmpty }.joined(separator: "; ")
        case .checkpoint:
            let covers = entry.text("covers_seq").map { "covers seq \($0)" } ?? ""
            let digest = entry.text("checkpoint_sha256").map { "sha256 \($0.prefix(12))" } ?? ""
            return [entry.text("reason") ?? "", covers, digest].filter { !$0.isEmpty }.joined(separator: ", ")
        case .client:
            let parts = [
                entry.text("client") ?? "", entry.text("client_session") ?? "",
                entry.text("profile").map { "profile \($0)" } ?? "", entry.text("reason") ?? "",
            ]
            return parts.filter { !$0.isEmpty }.joined(separator: ", ")
        case nil: return ""
        }
    }

    /// `text` on one line, at most `limit` characters.
    package static func cut(_ text: String, _ limit: Int) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return line.count <= limit ? line : String(line.prefix(limit - 1)) + "…"
    }
}
