package import ArgumentParser
import Foundation
import MuxgateAudit
import MuxgateChildren
import MuxgateCommands
import MuxgateConfig
import MuxgateDiscovery
import MuxgatePolicy
import MuxgateRemote
import MuxgateRouting
import MuxgateTeam
import MuxgateTelemetry
import MuxgateWire

/// `muxgate audit report --html OUT`: one self-contained HTML page for a reviewer.
package struct AuditReportCommand: AsyncParsableCommand {
    package init() {}

    package static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML report: chain status, summary and a filterable table of calls."
    )

    @OptionGroup package var source: AuditSourceOptions
    @OptionGroup package var filters: AuditFilterOptions
    @OptionGroup package var anchor: AuditAnchorOptions

    @Argument(help: "The log file (default: the configured audit.path); rotated files are included.")
    package var path: String?

    @Option(help: "Where to write the page.")
    package var html: String

    package func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let filter = try filters.filter()
        let path = try source.path(path, environment: environment)
        let options = try anchor.verifyOptions(
            source: source,
            configuredLog: self.path == nil,
            environment: environment
        )
        let verification = AuditVerifier.verify(
            paths: [path],
            key: try source.key(environment: environment),
            options: options
        )
        let entries: [AuditEntry]
        do {
            entries = try AuditLogReader.entries([path]).filter(filter.matches)
        } catch {
            return try source.fail(3, "\(error)")
        }
        let report = AuditHTMLReport(
            entries: entries,
            verification: verification,
            source: path,
            generated: AuditTimestamp.format(Date())
        )
        do {
            try Data(report.html.utf8).write(to: URL(fileURLWithPath: html), options: .atomic)
        } catch {
            return try source.fail(3, "\(html): cannot write the report: \(error.localizedDescription)")
        }
        let status = verification.isIntact ? "chain intact" : "chain NOT intact (see the page)"
        print("wrote \(html): \(AuditCall.join(entries).count) calls, \(status)")
    }
}
