import ArgumentParser
import Foundation

/// `muxgate audit verify`: walks the hash chain and names the first bad record.
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify the audit log's hash chain (each PATH with its rotated PATH.1, PATH.2, …).",
        discussion: "Exit status: 0 intact (warnings allowed), 1 tampered, 2 bad options, 3 unreadable."
    )

    @OptionGroup var source: AuditSourceOptions

    @Argument(help: "Log files (default: the configured audit.path).")
    var paths: [String] = []

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let paths = self.paths.isEmpty ? [try source.path(nil, environment: environment)] : self.paths
        let result = AuditVerifier.verify(paths: paths, key: try source.key(environment: environment))
        print(result.report)
        if result.error != nil { throw ExitCode(3) }
        if !result.isIntact { throw ExitCode(1) }
    }
}
