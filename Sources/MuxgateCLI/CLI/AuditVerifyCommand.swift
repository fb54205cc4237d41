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

/// `muxgate audit verify`: walks the hash chain and names the first bad record; with an anchor,
/// checks the log's ends against its signed checkpoints.
package struct AuditVerifyCommand: AsyncParsableCommand {
    package init() {}

    package static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify the audit log's hash chain (each PATH with its rotated PATH.1, PATH.2, …) and its anchor.",
        discussion: """
            Exit status: 0 intact (warnings allowed); 1 tampered: the chain is broken or its head cut, or, with an \
            anchor, its tail cut, a record rewritten, a checkpoint badly signed, the anchor's chain broken, rolled \
            back or missing; 2 bad options; 3 unreadable.
            """
    )

    @OptionGroup package var source: AuditSourceOptions
    @OptionGroup package var anchor: AuditAnchorOptions

    @Argument(help: "Log files (default: the configured audit.path).")
    package var paths: [String] = []

    package func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let paths = self.paths.isEmpty ? [try source.path(nil, environment: environment)] : self.paths
        let options = try anchor.verifyOptions(
            source: source,
            configuredLog: self.paths.isEmpty,
            environment: environment
        )
        let result = AuditVerifier.verify(
            paths: paths,
            key: try source.key(environment: environment),
            options: options
        )
        print(result.report)
        if result.error != nil { throw ExitCode(3) }
        if !result.isIntact { throw ExitCode(1) }
    }
}
