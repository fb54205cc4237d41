import Foundation
import Testing

@testable import MuxgateAudit
@testable import MuxgateCLI
@testable import MuxgateChildren
@testable import MuxgateCommands
@testable import MuxgateConfig
@testable import MuxgatePolicy
@testable import MuxgateRemote
@testable import MuxgateRouting
@testable import MuxgateTeam
@testable import MuxgateTelemetry
@testable import MuxgateWire

@Suite("Audit review: show, summary, HTML report")
struct AuditReviewTests {
    /// A log with allowed, denied and asked calls on two servers, an approval and failures.
    func reviewLog(now: @escaping @Sendable () -> Date = { Date() }) throws -> AuditScratch {
        let scratch = try AuditScratch()
        let log = try scratch.open(now: now)
        try log.append(
            .start(version: "0.1.0", configSHA256: nil, profile: "dev", client: ("ide", "2"), protocolVersion: nil),
            durable: true
        )
        try log.append(.child(server: "git", state: .started, status: nil, pid: 42), durable: false)
        try log.append(AuditScratch.decision(0), durable: false)
        try log.append(AuditScratch.outcome(0, ms: 12), durable: false)
        try log.append(AuditScratch.decision(1, server: "db", tool: "db_drop", decision: .deny), durable: true)
        try log.append(AuditScratch.decision(2, server: "db", tool: "db_write", decision: .ask), durable: true)
        try log.append(
            .approval(
                requestID: try JSONSlice.parse("3"),
                server: "db",
                tool: "db_write",
                approval: .accepted,
                rule: "no-ask",
                reason: nil
            ),
            durable: true
        )
        try log.append(
            AuditScratch.outcome(2, server: "db", tool: "db_write", outcome: .toolError, ms: 1500),
            durable: false
        )
        try log.append(AuditScratch.decision(3, server: "db", tool: "db_drop", decision: .deny), durable: true)
        try log.close(reason: "done")
        return scratch
    }

    func entries(_ scratch: AuditScratch, _ filter: AuditFilter = AuditFilter()) throws -> [AuditEntry] {
        try AuditLogReader.entries([scratch.path]).filter(filter.matches)
    }

    @Test("show filters by server, tool glob, decision, outcome and session")
    func filters() throws {
        let scratch = try reviewLog()
        var filter = AuditFilter()
        filter.server = "db"
        #expect(try entries(scratch, filter).map(\.seq) == [5, 6, 7, 8, 9])
        filter.decisions = ["deny"]
        #expect(try entries(scratch, filter).map(\.seq) == [5, 9])
        filter = AuditFilter()
        filter.tool = try Glob("*_write")
        #expect(try entries(scratch, filter).map(\.event) == ["decision", "approval", "outcome"])
        filter = AuditFilter()
        filter.outcomes = ["tool_error"]
        filter.decisions = ["ask"]
        #expect(try entries(scratch, filter).map(\.seq) == [6, 8])
        let session = try #require(try entries(scratch).first?.session)
        filter = AuditFilter()
        filter.session = String(session.prefix(6))
        #expect(try entries(scratch, filter).count == 10)
        filter.session = "zzz"
        #expect(try entries(scratch, filter).isEmpty)
    }

    @Test("--since takes durations back from now and RFC 3339 times")
    func since() throws {
        let base = Date(timeIntervalSince1970: 1_750_000_000)
        let clock = Locked(0.0)
        let scratch = try reviewLog(now: {
            clock.withLock { seconds in
                seconds += 600
                return base.addingTimeInterval(seconds)
            }
        })
        let all = try entries(scratch)
        var filter = AuditFilter()
        filter.since = AuditFilter.since("25m", now: base.addingTimeInterval(6000))
        #expect(try entries(scratch, filter).map(\.seq) == [8, 9, 10])
        filter.since = AuditFilter.since(all[4].ts)
        #expect(try entries(scratch, filter).first?.seq == 5)
        #expect(AuditFilter.since("2025-06-15") == "2025-06-15T00:00:00.000Z")
        #expect(AuditFilter.since("2d", now: base) == AuditTimestamp.format(base.addingTimeInterval(-172_800)))
        #expect(AuditFilter.since("yesterday") == nil)
    }

    @Test("show prints one row a record, newest last, with decision, rule and reason")
    func showTable() throws {
        let text = AuditShowTable(entries: try entries(try reviewLog())).rendered
        let lines = text.split(separator: "\n")
        #expect(lines.count == 11)
        #expect(lines[0].hasPrefix("SEQ"))
        #expect(lines[5].contains("deny") && lines[5].contains("no-deny") && lines[5].contains("policy says deny"))
        #expect(lines[8].contains("tool_error") && lines[8].contains("1.5 s"))
        #expect(lines[10].hasPrefix("10 ") && lines[10].contains("stop"))
    }

    @Test("summary counts calls per tool, denials by rule, errors and the slowest tools")
    func summary() throws {
        let summary = AuditSummary(entries: try entries(try reviewLog()))
        #expect(summary.calls == 4 && summary.denied == 2 && summary.asked == 1 && summary.errors == 1)
        #expect(summary.tools.first?.tool == "db_drop" && summary.tools.first?.denied == 2)
        #expect(summary.denialsByRule.first?.rule == "no-deny" && summary.denialsByRule.first?.count == 2)
        #expect(summary.errorsByOutcome.first?.outcome == "tool_error")
        #expect(summary.slowest.first?.tool == "db_write" && summary.slowest.first?.maxMS == 1500)
        #expect(summary.text.contains("Denials by rule") && summary.text.contains("Slowest tools"))
    }

    @Test("the HTML report is self-contained, shows chain status and summary, and one row a call with denials marked")
    func htmlReport() throws {
        let scratch = try reviewLog()
        let all = try entries(scratch)
        let report = AuditHTMLReport(
            entries: all,
            verification: scratch.verify(),
            source: scratch.path,
            generated: "2025-06-18T00:00:00.000Z"
        ).html
        #expect(report.hasPrefix("<!DOCTYPE html>"))
        #expect(report.contains("Chain intact:</strong> 10 records"))
        #expect(report.contains("id=\"summary\"") && report.contains("Denials by rule"))
        #expect(report.components(separatedBy: "<tr class=\"call ").count - 1 == 4)
        #expect(report.components(separatedBy: "<tr class=\"call deny\"").count - 1 == 2)
        #expect(report.contains("data-decision=\"ask\"") && report.contains("<td>accepted</td>"))
        #expect(report.contains("<input id=\"q\"") && report.contains("<select id=\"f-server\""))
        for external in ["src=\"http", "href=\"http", "<link", "@import"] { #expect(!report.contains(external)) }
    }

    @Test("the report escapes what the log holds and shows a broken chain")
    func htmlEscapingAndTamper() throws {
        let scratch = try AuditScratch()
        let log = try scratch.open()
        try log.append(AuditScratch.decision(0, tool: "<script>alert(1)</script>", decision: .deny), durable: true)
        try log.append(AuditScratch.decision(1), durable: true)
        try log.close(reason: "x")
        var lines = try scratch.lines()
        lines.remove(at: 1)
        try scratch.write(lines)
        let report = AuditHTMLReport(
            entries: try entries(scratch),
            verification: scratch.verify(),
            source: scratch.path,
            generated: "now"
        ).html
        #expect(!report.contains("<script>alert"))
        #expect(report.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(report.contains("Chain TAMPERED:</strong> deleted at seq 2"))
    }
}
