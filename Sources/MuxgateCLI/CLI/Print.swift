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

/// MuxgateCore's `print`: what the CLI prints goes through `Console`, so no command can print a
/// secret (it shadows the standard library's in this module).
package func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    Console.output(items.map { "\($0)" }.joined(separator: separator) + terminator)
}
