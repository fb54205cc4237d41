import ArgumentParser
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

    func run() async throws {
        let logger = options.bootstrapLogging()
        let config = try options.loadConfig()
        logger.info(
            "config \(config.file): \(config.servers.count) servers (\(config.servers.map(\.name).joined(separator: ", ")))"
        )
        logger.notice("\(config.policySummary)")
        let sink = FileDescriptorSink()
        let gateway = Gateway(config: config, sink: sink, logger: logger)
        let front = StdioFront(gateway: gateway, maxMessageBytes: config.maxMessageBytes, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(
                        service: front,
                        successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup
                    ),
                    .init(service: gateway, failureTerminationBehavior: .gracefullyShutdownGroup),
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
