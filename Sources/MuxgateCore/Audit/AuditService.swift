package import Logging
import ServiceLifecycle

/// Runs an `AuditLog`'s group commit and closes it on graceful shutdown.
///
/// The group-commit thread fsyncs as soon as a durable record waits (every record written
/// meanwhile shares that fsync) and otherwise within the log's `groupCommit` interval. On
/// graceful shutdown (or cancellation) it writes `stop` and closes the log. Put it **first** in the
/// `ServiceGroup`: services shut down in reverse order, so the log closes after the gateway has
/// written its last outcomes.
package struct AuditService: Service {
    package let log: AuditLog
    let stopReason: String
    let logger: Logger

    package init(log: AuditLog, stopReason: String = "shutdown", logger: Logger) {
        self.log = log
        self.stopReason = stopReason
        self.logger = logger
    }

    package func run() async throws {
        log.startGroupCommit { [log, logger] error in
            logger.error("audit: \(error)", metadata: ["muxgate.audit.path": "\(log.path)"])
        }
        await cancelWhenGracefulShutdown { await waitUntilCancelled() }
        do {
            try log.close(reason: stopReason)
            let statistics = log.statistics
            logger.info(
                "audit: closed after \(statistics.records) records and \(statistics.syncs) fsyncs",
                metadata: ["muxgate.audit.path": "\(log.path)"]
            )
        } catch {
            logger.error(
                "audit: cannot write the stop record: \(error)",
                metadata: ["muxgate.audit.path": "\(log.path)"]
            )
            throw error
        }
    }
}

/// Returns when the calling task is cancelled.
private func waitUntilCancelled() async {
    let (stream, continuation) = AsyncStream.makeStream(of: Never.self)
    await withTaskCancellationHandler {
        for await _ in stream {}
    } onCancel: {
        continuation.finish()
    }
}
