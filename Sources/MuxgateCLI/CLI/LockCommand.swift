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

/// `muxgate lock`: pins every server's tool definitions in `muxgate.lock` beside the config.
package struct LockCommand: AsyncParsableCommand {
    package init() {}

    package static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Start the servers and pin their tool definitions in muxgate.lock (next to the config).",
        discussion: """
            With a lockfile, a tool whose definition differs from its pin, or a new tool, is quarantined: \
            not listed, calls denied (pinning: enforce, the default with a lockfile). Review changes with \
            `muxgate diff`; approve them with `muxgate lock --update`. Exit status: 0 written, 1 a lockfile \
            exists (use --update) or a server did not start, 2 invalid config.
            """
    )

    @OptionGroup package var options: ConfigOptions

    @Flag(help: "Replace an existing lockfile (approve the definitions as they are now).")
    package var update = false

    package func run() async throws {
        let logger = options.bootstrapLogging(default: "critical")
        let config = try options.loadConfig()
        let path = Lockfile.path(forConfig: config.file)
        if config.lock != nil && !update {
            print("\(path) exists: review changes with `muxgate diff`, then approve them with `muxgate lock --update`")
            throw ExitCode(1)
        }
        let gateway = Gateway(config: config, sink: CollectingSink(), logger: logger, transports: .standard)
        let servers = try await gateway.withChildren { gateway in
            await gateway.startChildren()
            await gateway.waitForChildren(eachOwnBound: true)
            return gateway.children.map { ($0.config, $0.phase, $0.tools, $0.serverHello?.instructions) }
        }
        var lock = Lockfile()
        var failed = false
        for (server, phase, tools, instructions) in servers {
            guard phase == .ready else {
                print("✗ \(server.name): not running (\(phase)); not pinned")
                failed = true
                continue
            }
            lock.servers[server.name] = Lockfile.pins(for: server, tools: tools, instructions: instructions)
            let previous = config.lock?.servers[server.name]
            let changed = tools.compactMap { $0["name"]?.string }.filter {
                previous?.tools[$0]?.sha256 != lock.servers[server.name]?.tools[$0]?.sha256
            }
            print(
                "✓ \(server.name): \(tools.count) tools pinned"
                    + (changed.isEmpty || previous == nil
                        ? "" : ", \(changed.count) changed: \(changed.joined(separator: ", "))")
            )
        }
        if failed {
            print("not written: every server must be running to be pinned")
            throw ExitCode(1)
        }
        try lock.text.write(toFile: path, atomically: true, encoding: .utf8)
        print("wrote \(path)")
    }
}
