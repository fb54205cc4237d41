import MuxgateConfig
import MuxgateWire

/// The numbers `muxgate audit summary` prints and the HTML report shows at the top.
package struct AuditSummary: Sendable {
    /// Calls to one tool.
    package struct ToolCalls: Sendable {
        package let server: String
        package let tool: String
        package var calls = 0
        package var allowed = 0
        package var asked = 0
        package var denied = 0
        /// Refused by a limit (`limits:`), counted apart from denials.
        package var limited = 0
        package var errors = 0
        package var durations: [Double] = []

        package var maxMS: Double { durations.max() ?? 0 }
        package var meanMS: Double { durations.isEmpty ? 0 : durations.reduce(0, +) / Double(durations.count) }
    }

    package var records = 0
    package var sessions = 0
    package var firstTS: String?
    package var lastTS: String?
    package var calls = 0
    package var denied = 0
    package var asked = 0
    package var limited = 0
    package var errors = 0
    /// By tool, most calls first.
    package var tools: [ToolCalls] = []
    /// Denials by rule (`(none)` when no rule was named), most first.
    package var denialsByRule: [(rule: String, count: Int)] = []
    /// Refusals by limit (`limits.NAME`), most first.
    package var limitedByLimit: [(limit: String, count: Int)] = []
    /// Non-ok outcomes by kind, most first.
    package var errorsByOutcome: [(outcome: String, count: Int)] = []
    /// Tools with timed outcomes, slowest (by max duration) first, at most ten.
    package var slowest: [ToolCalls] = []

    package init(entries: [AuditEntry]) {
        records = entries.count
        sessions = Set(entries.map(\.session)).count
        firstTS = entries.first?.ts
        lastTS = entries.last?.ts
        var byTool: [String: ToolCalls] = [:]
        var rules: [String: Int] = [:]
        var limits: [String: Int] = [:]
        var outcomes: [String: Int] = [:]
        for call in AuditCall.join(entries) {
            let key = call.server + "\u{0}" + call.tool
            var tool = byTool[key] ?? ToolCalls(server: call.server, tool: call.tool)
            tool.calls += 1
            calls += 1
            switch call.verdict {
            case "deny":
                tool.denied += 1
                denied += 1
                rules[call.decision.text("rule") ?? "(none)", default: 0] += 1
            case "ask":
                tool.asked += 1
                asked += 1
            case "limited":
                tool.limited += 1
                limited += 1
                limits[call.decision.text("rule") ?? "(none)", default: 0] += 1
            default: tool.allowed += 1
            }
            if let outcome = call.outcomeName, outcome != AuditEvent.Outcome.ok.rawValue {
                tool.errors += 1
                errors += 1
                outcomes[outcome, default: 0] += 1
            }
            if let duration = call.durationMS { tool.durations.append(duration) }
            byTool[key] = tool
        }
        tools = byTool.values.sorted { ($0.calls, $1.server, $1.tool) > ($1.calls, $0.server, $0.tool) }
        denialsByRule = rules.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { ($0.key, $0.value) }
        limitedByLimit = limits.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { ($0.key, $0.value) }
        errorsByOutcome = outcomes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { ($0.key, $0.value) }
        slowest = Array(tools.filter { !$0.durations.isEmpty }.sorted { $0.maxMS > $1.maxMS }.prefix(10))
    }

    /// The summary as terminal tables.
    package var text: String {
        var out = "\(records) records, \(sessions) session(s)"
        if let firstTS, let lastTS { out += ", \(firstTS) … \(lastTS)" }
        out +=
            "\n\(calls) calls: \(calls - denied - asked - limited) allowed, \(asked) asked, \(denied) denied"
            + (limited > 0 ? ", \(limited) limited" : "") + "; \(errors) errors\n"
        if !tools.isEmpty {
            // A LIMITED column once a limit has refused a call.
            let rows = tools.map { t in
                [t.server, t.tool, "\(t.calls)", "\(t.allowed)", "\(t.asked)", "\(t.denied)"]
                    + (limited > 0 ? ["\(t.limited)"] : []) + ["\(t.errors)"]
            }
            let header =
                ["SERVER", "TOOL", "CALLS", "ALLOWED", "ASKED", "DENIED"] + (limited > 0 ? ["LIMITED"] : []) + [
                    "ERRORS"
                ]
            out += "\nCalls per tool\n"
            out += Table(header: header, rows: rows).rendered
            out += "\n"
        }
        if !denialsByRule.isEmpty {
            out += "\nDenials by rule\n"
            out +=
                Table(header: ["RULE", "DENIED"], rows: denialsByRule.map { [$0.rule, "\($0.count)"] }).rendered + "\n"
        }
        if !limitedByLimit.isEmpty {
            out += "\nLimited calls by limit\n"
            out +=
                Table(header: ["LIMIT", "LIMITED"], rows: limitedByLimit.map { [$0.limit, "\($0.count)"] }).rendered
            out += "\n"
        }
        if !errorsByOutcome.isEmpty {
            out += "\nErrors\n"
            out +=
                Table(header: ["OUTCOME", "CALLS"], rows: errorsByOutcome.map { [$0.outcome, "\($0.count)"] }).rendered
            out += "\n"
        }
        if !slowest.isEmpty {
            let rows = slowest.map { t in
                [t.server, t.tool, "\(t.durations.count)", Self.ms(t.meanMS), Self.ms(t.maxMS)]
            }
            out += "\nSlowest tools\n"
            out += Table(header: ["SERVER", "TOOL", "TIMED", "MEAN", "MAX"], rows: rows).rendered + "\n"
        }
        return out
    }

    /// `12.3 ms` / `1.52 s`.
    package static func ms(_ value: Double) -> String {
        if value >= 1000 { return "\((value / 10).rounded() / 100) s" }
        return "\((value * 10).rounded() / 10) ms"
    }
}
