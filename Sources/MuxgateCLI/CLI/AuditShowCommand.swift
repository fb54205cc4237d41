package import ArgumentParser
package import Foundation
package import MuxgateAudit
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

/// `muxgate audit show`: the records as a readable table, newest last.
package struct AuditShowCommand: AsyncParsableCommand {
    package init() {}

    package static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show audit records as a table, newest last."
    )

    @OptionGroup package var source: AuditSourceOptions
    @OptionGroup package var filters: AuditFilterOptions

    @Argument(help: "The log file (default: the configured audit.path); rotated files are included.")
    package var path: String?

    @Option(help: "Show only the last N matching records.")
    package var limit: Int?

    @Flag(help: "Print the matching records as JSON Lines, exactly as stored.")
    package var json = false

    package func validate() throws {
        if let limit, limit <= 0 { throw ValidationError("--limit must be a positive number") }
    }

    package func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let filter = try filters.filter()
        let path = try source.path(path, environment: environment)
        var entries: [AuditEntry]
        do {
            entries = try AuditLogReader.entries([path]).filter(filter.matches)
        } catch {
            return try source.fail(3, "\(error)")
        }
        if let limit { entries = Array(entries.suffix(limit)) }
        if json {
            for entry in entries { print(entry.lineText) }
            return
        }
        print(AuditShowTable(entries: entries).rendered)
    }
}

/// The filters `show`, `summary` and `report` share.
package struct AuditFilterOptions: ParsableArguments {
    package init() {}

    @Option(help: "Only records since a time: a duration back (30m, 2h, 7d) or an RFC 3339 date-time or date.")
    package var since: String?

    @Option(help: "Only this session (an id or its first characters).")
    package var session: String?

    @Option(help: "Only records about this server.")
    package var server: String?

    @Option(help: "Only records about tools matching this glob (exposed or upstream name; * and ?).")
    package var tool: String?

    @Option(help: "Only decisions of these kinds: allow, ask, deny (repeat or comma-separate).")
    package var decision: [String] = []

    @Option(help: "Only outcomes of these kinds: ok, tool_error, rpc_error, timeout, cancelled, child_exit.")
    package var outcome: [String] = []

    package func validate() throws {
        if let since, AuditFilter.since(since) == nil {
            throw ValidationError(
                "'\(since)' is not a time (write e.g. 30m, 2h, 7d, 2025-06-18 or 2025-06-18T09:00:00Z)"
            )
        }
        let decisions = Set(AuditEvent.Decision.allCases.map(\.rawValue))
        for value in split(decision) where !decisions.contains(value) {
            throw ValidationError("'\(value)' is not a decision (allow, ask, deny)")
        }
        let outcomes = AuditEvent.Outcome.allCases.map(\.rawValue)
        for value in split(outcome) where !outcomes.contains(value) {
            throw ValidationError("'\(value)' is not an outcome (\(outcomes.joined(separator: ", ")))")
        }
    }

    package func filter(now: Date = Date()) throws -> AuditFilter {
        var filter = AuditFilter()
        filter.since = since.flatMap { AuditFilter.since($0, now: now) }
        filter.session = session
        filter.server = server
        filter.tool = try tool.map { pattern in
            do { return try Glob(pattern) } catch { throw ValidationError("--tool: \(error)") }
        }
        filter.decisions = Set(split(decision))
        filter.outcomes = Set(split(outcome))
        return filter
    }

    private func split(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter {
            !$0.isEmpty
        }
    }
}
