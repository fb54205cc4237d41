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

/// MuxgateCore's `print`: what the CLI prints goes through `Console`, so no command can print a
/// secret (it shadows the standard library's in this module).
package func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    Console.output(items.map { "\($0)" }.joined(separator: separator) + terminator)
}
