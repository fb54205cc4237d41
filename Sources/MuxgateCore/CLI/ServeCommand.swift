import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `muxgate serve`: the stdio MCP server an IDE starts.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve MCP on stdin/stdout, aggregating the configured servers."
    )

    @OptionGroup var options: ConfigOptions

    @Flag(
        name: .long,
        help: "Reload when the configuration file or its lockfile changes (SIGHUP always reloads)."
    )
    var watch = false

    func run() async throws {
        let logger = options.bootstrapLogging()
        let config = try options.loadConfig()
        logger.info(
            "config \(config.file): \(config.servers.count) servers (\(config.servers.map(\.name).joined(separator: ", ")))"
        )
        logger.notice("\(config.policySummary)")
        let environment = ProcessInfo.processInfo.environment
        var auditor: Auditor?
        if config.audit.enabled {
            do {
                let log = try AuditLog.open(
                    config: config.audit,
                    environment: environment,
                    secrets: config.secrets,
                    directory: (config.file as NSString).deletingLastPathComponent
                )
                for note in log.notes { logger.notice("audit: \(note)") }
                logger.notice("audit log: \(log.path) (session \(log.session))")
                auditor = Auditor(
                    log: log,
                    config: config.audit,
                    key: try config.audit.key(environment: environment),
                    logger: logger
                )
            } catch {
                guard config.audit.onFailure == .warn else {
                    logger.critical(
                        "cannot open the audit log: \(error) (audit.on_failure is deny; set audit.enabled: false or on_failure: warn to run without it)"
                    )
                    throw ExitCode(3)
                }
                logger.error("cannot open the audit log, running without it (audit.on_failure: warn): \(error)")
            }
        } else {
            logger.notice("audit log: disabled (audit.enabled: false)")
        }
        let sink = FileDescriptorSink()
        let gateway = Gateway(config: config, sink: sink, logger: logger, auditor: auditor)
        let front = StdioFront(gateway: gateway, maxMessageBytes: config.maxMessageBytes, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: (auditor.map {
                    [ServiceGroupConfiguration.ServiceConfiguration(service: AuditService(log: $0.log, logger: logger))]
                } ?? []) + [
                    .init(
                        service: front,
                        successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup
                    ),
                    .init(service: gateway, failureTerminationBehavior: .gracefullyShutdownGroup),
                    .init(
                        service: ConfigWatcher(
                            gateway: gateway,
                            file: config.file,
                            profile: options.profile,
                            interval: watch ? .milliseconds(500) : nil,
                            logger: logger
                        )
                    ),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            logger.error("stopped on error: \(error)")
            sink.flush()
            throw ExitCode(3)
        }
        sink.flush()
    }
}
