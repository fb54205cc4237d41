package import ArgumentParser
package import Foundation
package import MuxgateAudit
package import MuxgateChildren
package import MuxgateCommands
package import MuxgateConfig
package import MuxgateDiscovery
package import MuxgatePolicy
package import MuxgateRemote
package import MuxgateRouting
package import MuxgateTeam
package import MuxgateTelemetry
package import MuxgateWire

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
