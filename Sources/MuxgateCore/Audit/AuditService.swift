package import Logging
package import ServiceLifecycle

/// Runs an `AuditLog`'s group commit and closes it on graceful shutdown.
///
/// Every `interval` it fsyncs the records written since the last fsync, so a non-durable record
/// waits at most that long. On graceful shutdown (or cancellation) it writes `stop` and closes the
/// log. Put it **first** in the `ServiceGroup`: services shut down in reverse order, so the log
/// closes after the gateway has written its last outcomes.
package struct AuditService: Service {
    package let log: AuditLog
    let interval: Duration
    let stopReason: String
    let logger: Logger

    package init(log: AuditLog, interval: Duration = .milliseconds(50), stopReason: String = "shutdown", logger: Logger)
    {
        self.log = log
        self.interval = interval
        self.stopReason = stopReason
        self.logger = logger
    }

    package func run() async throws {
        log.syncInBackground()
        await cancelWhenGracefulShutdown { [log, interval, logger] in
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    break  // cancelled: shutting down
                }
                do {
                    try log.sync()
                } catch {
                    logger.error("audit: \(error)", metadata: ["muxgate.audit.path": "\(log.path)"])
                }
            }
        }
        do {
            try log.close(reason: stopReason)
        } catch {
            logger.error(
                "audit: cannot write the stop record: \(error)",
                metadata: ["muxgate.audit.path": "\(log.path)"]
            )
            throw error
        }
    }
}
