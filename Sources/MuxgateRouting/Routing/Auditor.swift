package import Logging
package import MuxgateAudit
import MuxgateChildren
package import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
import MuxgateWire

/// The gateway's handle on the audit log: what to redact, and what to do when a record can't be written.
package struct Auditor: Sendable {
    package let log: AuditLog
    package let redactor: Redactor
    package let onFailure: AuditConfig.FailurePolicy
    package let logger: Logger

    package init(log: AuditLog, config: AuditConfig, key: [UInt8]?, logger: Logger) {
        self.log = log
        self.redactor = Redactor(patterns: config.redact, key: key)
        self.onFailure = config.onFailure
        self.logger = logger
    }

    /// When the call a record decides may go on.
    package enum Admission {
        /// Now: the record is written (and on disk if it had to be), or could not be and `failure`
        /// says why the call must stop (`on_failure: deny`; nil when it may go on regardless).
        case now(failure: String?)
        /// Once the group commit has put it on disk (`AuditLog.appendAwaitable`).
        case later(AuditTicket)
    }

    /// Appends `event`, which decides a call; says when that call may go on.
    package func admit(_ event: AuditEvent, durable: Bool) -> Admission {
        do {
            guard let ticket = try log.appendAwaitable(event, durable: durable) else { return .now(failure: nil) }
            return .later(ticket)
        } catch {
            return .now(failure: failed(error))
        }
    }

    /// Why the call must stop, given how its record's group commit went.
    package func failure(_ error: AuditError?) -> String? {
        error.flatMap(failed)
    }

    /// Logs `error` and says why the call must stop, when it must (`on_failure: deny`).
    private func failed(_ error: AuditError) -> String? {
        logger.error("audit: cannot write \(log.path): \(error)")
        return onFailure == .deny ? "the audit log cannot be written (\(error)); audit.on_failure is deny" : nil
    }

    /// Appends `event`; returns why it failed when the failure must stop the call (`on_failure: deny`).
    ///
    /// - Parameter durable: fsync before returning (decisions of write and destructive calls).
    @discardableResult
    package func record(_ event: AuditEvent, durable: Bool) -> String? {
        do {
            try log.append(event, durable: durable)
            return nil
        } catch {
            return failed(error)
        }
    }
}
