package import Logging
import MuxgateConfig
import MuxgateWire
import ServiceLifecycle

/// Runs an `AuditLog`'s group commit (and its anchor's checkpoints) and closes it on graceful shutdown.
///
/// The group-commit thread fsyncs as soon as a durable record waits (every record written
/// meanwhile shares that fsync) and otherwise within the log's `groupCommit` interval; the
/// anchor's thread writes a signed checkpoint every interval while new records exist. On
/// graceful shutdown (or cancellation) it stops the anchor's thread, writes `stop`, closes the log
/// and writes the last checkpoint, covering `stop`. Put it **first** in the `ServiceGroup`:
/// services shut down in reverse order, so the log closes after the gateway has written its last
/// outcomes.
package struct AuditService: Service {
    package let log: AuditLog
    package let anchor: AuditAnchor?
    package let stopReason: String
    package let logger: Logger

    package init(log: AuditLog, anchor: AuditAnchor? = nil, stopReason: String = "shutdown", logger: Logger) {
        self.log = log
        self.anchor = anchor
        self.stopReason = stopReason
        self.logger = logger
    }

    package func run() async throws {
        log.startGroupCommit { [log, logger] error in
            logger.error("audit: \(error)", metadata: ["muxgate.audit.path": "\(log.path)"])
        }
        anchor?.start()
        await cancelWhenGracefulShutdown { await waitUntilCancelled() }
        // No interval checkpoint (and its record) may race the stop record.
        anchor?.stop()
        let head: AuditLog.Head?
        do {
            head = try log.close(reason: stopReason)
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
        guard let anchor else { return }
        do {
            try anchor.finish(covering: head)
            logger.info(
                "audit: anchored the log's end (\(anchor.written) checkpoints written)",
                metadata: ["muxgate.audit.anchor": "\(anchor.path)"]
            )
        } catch {
            logger.error(
                "audit: cannot write the last checkpoint: \(error)",
                metadata: ["muxgate.audit.anchor": "\(anchor.path)"]
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
