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

/// `muxgate audit summary`: calls per server and tool, denials by rule, errors, slowest tools.
package struct AuditSummaryCommand: AsyncParsableCommand {
    package init() {}

    package static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Summarise the audit log: calls per tool, denials by rule, errors, slowest tools."
    )

    @OptionGroup package var source: AuditSourceOptions
    @OptionGroup package var filters: AuditFilterOptions

    @Argument(help: "The log file (default: the configured audit.path); rotated files are included.")
    package var path: String?

    package func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let filter = try filters.filter()
        let path = try source.path(path, environment: environment)
        let entries: [AuditEntry]
        do {
            entries = try AuditLogReader.entries([path]).filter(filter.matches)
        } catch {
            return try source.fail(3, "\(error)")
        }
        print(AuditSummary(entries: entries).text, terminator: "")
    }
}
