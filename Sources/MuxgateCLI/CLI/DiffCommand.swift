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

/// `muxgate diff`: what changed in the servers' tool definitions since `muxgate.lock`.
package struct DiffCommand: AsyncParsableCommand {
    package init() {}

    package static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show how the servers' tool definitions differ from muxgate.lock.",
        discussion: "Exit status: 0 no difference, 1 differences (or no lockfile), 2 invalid config."
    )

    @OptionGroup package var options: ConfigOptions

    package func run() async throws {
        let logger = options.bootstrapLogging(default: "critical")
        let config = try options.loadConfig()
        guard let lock = config.lock else {
            print("no \(Lockfile.path(forConfig: config.file)): write one with `muxgate lock`")
            throw ExitCode(1)
        }
        let gateway = Gateway(config: config, sink: CollectingSink(), logger: logger, transports: .standard)
        let servers = try await gateway.withChildren { gateway in
            await gateway.startChildren()
            await gateway.waitForChildren(eachOwnBound: true)
            return gateway.children.map { ($0.name, $0.phase, $0.tools) }
        }
        var differences = 0
        for (name, phase, tools) in servers {
            guard phase == .ready else {
                print("? \(name): not running, not compared")
                continue
            }
            let pins = lock.servers[name]?.tools ?? [:]
            var seen: Set<String> = []
            for tool in tools {
                guard let tool_ = tool["name"]?.string else { continue }
                seen.insert(tool_)
                let now = ToolPin.definition(tool)
                guard let pin = pins[tool_] else {
                    differences += 1
                    print(
                        "+ \(name)/\(tool_): new\n"
                            + now.pretty().split(separator: "\n").map { "+ " + $0 }.joined(separator: "\n")
                    )
                    continue
                }
                guard ToolPin.sha256(tool) != pin.sha256 else { continue }
                differences += 1
                print("~ \(name)/\(tool_): changed")
                print(LineDiff.render(old: pin.definition.pretty(), new: now.pretty()))
            }
            for removed in pins.keys.sorted() where !seen.contains(removed) {
                differences += 1
                print("- \(name)/\(removed): removed")
            }
        }
        if differences == 0 {
            print("no differences from the lockfile")
        } else {
            throw ExitCode(1)
        }
    }
}
