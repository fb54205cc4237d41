import ArgumentParser
import Foundation
package import MuxgateAudit
package import MuxgateConfig
package import MuxgatePolicy
package import MuxgateWire

/// `muxgate audit summary`: calls per server and tool, denials by rule, errors, slowest tools.
struct AuditSummaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Summarise the audit log: calls per tool, denials by rule, errors, slowest tools."
    )

    @OptionGroup var source: AuditSourceOptions
    @OptionGroup var filters: AuditFilterOptions

    @Argument(help: "The log file (default: the configured audit.path); rotated files are included.")
    var path: String?

    func run() async throws {
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
