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
import MuxgateRouting
import MuxgateTeam
import MuxgateTelemetry
import MuxgateWire
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `muxgate serve`: the stdio MCP server an IDE starts.
package struct ServeCommand: AsyncParsableCommand {
    package init() {}

    package static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve MCP on stdin/stdout, aggregating the configured servers."
    )

    @OptionGroup package var options: ConfigOptions

    @Flag(
        name: .long,
        help: "Reload when the configuration file or its lockfile changes (SIGHUP always reloads)."
    )
    package var watch = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Serve team mode over Streamable HTTP on HOST:PORT instead of stdio (the config's http.listen when given "
                + "as --http=config); callers are the config's clients.",
            valueName: "host:port"
        )
    )
    package var http: String?

    package func validate() throws {
        if let http, http != "config", HTTPFrontConfig.address(http) == nil {
            throw ValidationError("--http \(http) is not host:port (for example 127.0.0.1:8765)")
        }
    }

    package func run() async throws {
        let logger = options.bootstrapLogging()
        let config = try options.loadConfig()
        logger.info(
            "config \(config.file): \(config.servers.count) servers (\(config.servers.map(\.name).joined(separator: ", ")))"
        )
        logger.notice("\(config.policySummary)")
        let environment = ProcessInfo.processInfo.environment
        let directory = (config.file as NSString).deletingLastPathComponent
        var auditor: Auditor?
        var anchor: AuditAnchor?
        if config.audit.enabled {
            // A missing or malformed signing key is a configuration error, whatever on_failure says.
            let signingKey = try config.audit.anchor.map { anchor in
                do {
                    let key = try anchor.signingKey(environment: environment, directory: directory)
                    // Children inherit muxgate's environment: the private key must not reach them.
                    if let name = anchor.keyEnv { unsetenv(name) }
                    return key
                } catch {
                    Console.error("muxgate: \(config.file): \(error)\n")
                    throw ExitCode(2)
                }
            }
            do {
                let log = try AuditLog.open(
                    config: config.audit,
                    environment: environment,
                    secrets: config.secrets,
                    directory: directory,
                    anchorKeyID: signingKey?.publicKey.id
                )
                for note in log.notes { logger.notice("audit: \(note)") }
                logger.notice("audit log: \(log.path) (session \(log.session))")
                if let settings = config.audit.anchor, let signingKey {
                    let made = try AuditAnchor(
                        path: settings.resolvedPath(environment: environment, directory: directory),
                        key: signingKey,
                        log: log,
                        interval: settings.interval,
                        syslog: settings.syslog ? AuditSyslog() : nil,
                        report: { [logger] error in logger.error("\(error)") }
                    )
                    anchor = made
                    let every = ServerReport.seconds(settings.interval)
                    let copy = settings.syslog ? ", copied to syslog" : ""
                    logger.notice(
                        "audit anchor: \(made.path), a signed checkpoint every \(every) while records come and at stop (key \(signingKey.publicKey.id)\(copy))"
                    )
                }
                let chainKey = try config.audit.key(environment: environment)
                // The chain's HMAC key: a secret to every sink, and not inherited by the children
                // (a child that knew it could forge records).
                if let chainKey { Secrets.shared.add([String(decoding: chainKey, as: UTF8.self)]) }
                if let name = config.audit.keyEnv { unsetenv(name) }
                auditor = Auditor(log: log, config: config.audit, key: chainKey, logger: logger)
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
        let telemetry: Telemetry?
        do {
            telemetry = try Telemetry.make(config: config, team: http != nil, environment: environment, logger: logger)
        } catch {
            logger.critical("cannot set up OpenTelemetry (otel:, OTEL_*): \(error)")
            throw ExitCode(3)
        }
        if telemetry != nil { logger.notice("telemetry: \(config.otel.describe(team: http != nil, config: config))") }
        let sink = FileDescriptorSink()
        let gateway: Gateway
        let front: any Service
        // Team mode: shutdown is bounded whatever clients do (the front drains first, below).
        var shutdownBound: Duration?
        if let http {
            let team = try teamConfig(http, config)
            shutdownBound = team.shutdownGrace + TeamFront.shutdownSlack
            gateway = Gateway(
                teamConfig: config,
                logger: logger,
                auditor: auditor,
                telemetry: telemetry,
                transports: .standard
            )
            await gateway.startForTeam()
            front = TeamFront(
                gateway: gateway,
                config: team,
                maxMessageBytes: config.maxMessageBytes,
                logger: logger,
                telemetry: telemetry,
                onListening: { port in
                    // For scripts and tests that listen on port 0: the one line muxgate writes to stdout.
                    sink.send(Array("muxgate: listening on port \(port)".utf8))
                }
            )
        } else {
            gateway = Gateway(
                config: config,
                sink: sink,
                logger: logger,
                auditor: auditor,
                telemetry: telemetry,
                transports: .standard
            )
            front = StdioFront(gateway: gateway, maxMessageBytes: config.maxMessageBytes, logger: logger)
        }
        let watcher = ServiceGroupConfiguration.ServiceConfiguration(
            service: ConfigWatcher(
                gateway: gateway,
                file: config.file,
                profile: options.profile,
                interval: watch ? .milliseconds(500) : nil,
                logger: logger
            )
        )
        let frontService = ServiceGroupConfiguration.ServiceConfiguration(
            service: front,
            successTerminationBehavior: .gracefullyShutdownGroup,
            failureTerminationBehavior: .gracefullyShutdownGroup
        )
        let gatewayService = ServiceGroupConfiguration.ServiceConfiguration(
            service: gateway,
            failureTerminationBehavior: .gracefullyShutdownGroup
        )
        // Services stop in the reverse of this order. Telemetry first: it shuts down last,
        // exporting the spans the others ended; the audit writer next, so its `stop` record comes
        // after everything. In team mode the front stops first (it drains while the children
        // still answer), over stdio the gateway does (the IDE has gone).
        let services =
            (telemetry?.services ?? []).map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
            + (auditor.map {
                [.init(service: AuditService(log: $0.log, anchor: anchor, logger: logger))]
            } ?? [])
            + (shutdownBound == nil
                ? [frontService, gatewayService, watcher] : [gatewayService, watcher, frontService])
        var groupConfiguration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        if let shutdownBound {
            // Past the bound, graceful shutdown becomes cancellation, and a cancellation that
            // hangs ends the process.
            groupConfiguration.maximumGracefulShutdownDuration = shutdownBound
            groupConfiguration.maximumCancellationDuration = .seconds(5)
        }
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch {
            logger.error("stopped on error: \(error)")
            sink.flush()
            throw ExitCode(3)
        }
        sink.flush()
    }

    /// The listener team mode runs: the config's `http:` with `--http`'s address.
    private func teamConfig(_ address: String, _ config: MuxgateConfig) throws -> HTTPFrontConfig {
        var team = config.http ?? HTTPFrontConfig()
        if address != "config" { team.listen = address }
        guard !config.clients.isEmpty else {
            throw ValidationError(
                "team mode needs callers: add a clients: section to \(config.file) (`muxgate token add NAME --profile P`)"
            )
        }
        let host = HTTPFrontConfig.address(team.listen)!.host
        guard HTTPFrontConfig.isLoopback(host) || team.allowRemote else {
            throw ValidationError(
                "--http \(team.listen) is reachable beyond this machine; set http.allow_remote: true in \(config.file) if that is meant"
            )
        }
        return team
    }
}
