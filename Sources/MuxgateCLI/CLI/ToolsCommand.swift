package import ArgumentParser
import Foundation
import Logging
import MuxgateAudit
import MuxgateChildren
import MuxgateCommands
import MuxgateConfig
import MuxgateDiscovery
import MuxgatePolicy
import MuxgateRemote
package import MuxgateRouting
import MuxgateTeam
import MuxgateTelemetry
import MuxgateWire
import ServiceLifecycle

/// `muxgate tools`: starts the children and prints what the IDE will see.
package struct ToolsCommand: AsyncParsableCommand {
    package init() {}

    package static let configuration = CommandConfiguration(
        commandName: "tools",
        abstract: "Start the configured servers and print the tools the IDE will see."
    )

    @OptionGroup package var options: ConfigOptions

    @Flag(help: "Print the exact tools/list result muxgate would send.")
    package var json = false

    package func run() async throws {
        let logger = options.bootstrapLogging(default: "warning")
        let config = try options.loadConfig()
        let gateway = Gateway(config: config, sink: CollectingSink(), logger: logger, transports: .standard)
        let (catalogue, phases) = try await gateway.withChildren { gateway in
            let catalogue = await gateway.settledCatalogue()
            return (catalogue, gateway.children.map { ($0.name, $0.phase, $0.startupTimeout, $0.stderrTail.suffix(3)) })
        }
        if json {
            print(catalogue.listResult(key: "tools").encodedString)
            return
        }
        let rows = catalogue.entries.map { entry -> [String] in
            let definition = try? JSONSlice.parse(entry.definition)
            let description = definition?["description"]?.string ?? ""
            let firstLine = description.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            let decision = config.policy.listingEffect(tool: entry.exposedName, scope: entry.scope)
            let listed = gateway.isListed(entry) ? "" : " (hidden)"
            return [
                entry.exposedName, entry.server, entry.originalName,
                "\(entry.scope.rawValue) (\(entry.scopeSource.rawValue))",
                decision.rawValue + listed, String(firstLine.prefix(60)),
            ]
        }
        print(config.policySummary)
        print(
            Table(header: ["TOOL", "SERVER", "CHILD'S NAME", "SCOPE (SOURCE)", "DECISION", "DESCRIPTION"], rows: rows)
                .rendered
        )
        for (name, phase, bound, tail) in phases {
            switch phase {
            case .ready: continue
            case .failed(let failure), .exited(let failure): print("! \(name): \(failure.message)")
            default:
                print(
                    "! \(name): not ready within its startup_timeout (waited \(ServerReport.seconds(bound)))"
                        + (tail.isEmpty
                            ? "; it printed nothing on stderr so far"
                            : "; last stderr: " + tail.joined(separator: " | "))
                )
            }
        }
    }
}

extension Gateway {
    /// Runs the children for the duration of `body`, then stops them gracefully.
    package func withChildren<T: Sendable>(_ body: @Sendable (Gateway) async throws -> T) async throws -> T {
        let group = ServiceGroup(services: [self], logger: Logger(label: "muxgate"))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            defer { tasks.cancelAll() }
            let value = try await body(self)
            await group.triggerGracefulShutdown()
            while let next = try await tasks.next() { if let next { return next } }
            return value
        }
    }

    /// Starts the children, waits for them (at most the start-up bound) and returns the catalogue.
    package func settledCatalogue() async -> NamedCatalogue {
        startChildren()
        await waitForChildren(eachOwnBound: true)
        return currentCatalogue()
    }
}
