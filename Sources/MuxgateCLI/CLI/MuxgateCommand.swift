package import ArgumentParser
import Foundation
package import Logging
import MuxgateAudit
import MuxgateChildren
import MuxgateCommands
package import MuxgateConfig
import MuxgateDiscovery
import MuxgatePolicy
import MuxgateRemote
import MuxgateRouting
import MuxgateTeam
import MuxgateTelemetry
import MuxgateWire

#if canImport(Glibc)
    import Glibc
#endif

/// `muxgate`: one MCP server in front of many.
///
/// Exit codes: 0 success; 1 a command found problems (`check`); 2 the configuration is invalid;
/// 3 a runtime failure.
package struct MuxgateCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "muxgate",
        abstract: "An aggregating MCP proxy: one stdio server in front of many child MCP servers.",
        version: MuxgateVersion.description,
        subcommands: [
            ServeCommand.self, ToolsCommand.self, CheckCommand.self, ExplainCommand.self, ImportCommand.self,
            AuditCommand.self, LockCommand.self, DiffCommand.self, LoginCommand.self, LogoutCommand.self,
            TokenCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )

    package init() {}
}

/// Options every command that reads a configuration shares.
package struct ConfigOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "The configuration file (default: ./muxgate.yaml, then $XDG_CONFIG_HOME/muxgate/config.yaml)."
    )
    package var config: String?

    @Option(name: .long, help: "The policy profile to run (overrides policy.profile and MUXGATE_PROFILE).")
    package var profile: String?

    @Option(
        name: .long,
        help: "Log level on stderr: trace, debug, info, notice, warning, error, critical (or MUXGATE_LOG_LEVEL)."
    )
    package var logLevel: String?

    package init() {}

    package func validate() throws {
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError(
                "'\(logLevel)' is not a log level (trace, debug, info, notice, warning, error, critical)"
            )
        }
    }

    /// Sets up logging to stderr (stdout belongs to the protocol) and returns the root logger.
    package func bootstrapLogging(default defaultLevel: String = "info") -> Logger {
        let name = logLevel ?? ProcessInfo.processInfo.environment["MUXGATE_LOG_LEVEL"] ?? defaultLevel
        let level = Logger.Level(rawValue: name) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            // The one log sink: whatever is logged, no known secret is written.
            return ScrubbingLogHandler(handler)
        }
        return Logger(label: "muxgate")
    }

    /// Loads the configuration or exits with status 2 and the error on stderr.
    package func loadConfig() throws -> MuxgateConfig {
        do {
            return try ConfigLoader(profileOverride: profile).load(config)
        } catch {
            Console.error("muxgate: \(error)\n")
            throw ExitCode(2)
        }
    }
}

/// The executable's entry point.
package enum MuxgateMain {
    /// Runs the command line.
    ///
    /// - Parameters:
    ///   - commit: the git commit the executable was built from (`MuxgateVersion.commit`).
    package static func run(commit: String) async {
        MuxgateVersion.record(commit: commit)
        // A write to a child that just died must fail with EPIPE, not kill muxgate (children get
        // their default signal dispositions back at spawn).
        signal(SIGPIPE, SIG_IGN)
        await MuxgateCommand.main()
    }
}
