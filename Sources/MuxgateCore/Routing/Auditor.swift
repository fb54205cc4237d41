package import Logging

/// The gateway's handle on the audit log: what to redact, and what to do when a record can't be written.
package struct Auditor: Sendable {
    package let log: AuditLog
    let redactor: Redactor
    let onFailure: AuditConfig.FailurePolicy
    let logger: Logger

    package init(log: AuditLog, config: AuditConfig, key: [UInt8]?, logger: Logger) {
        self.log = log
        self.redactor = Redactor(patterns: config.redact, key: key)
        self.onFailure = config.onFailure
        self.logger = logger
    }

    /// Appends `event`; returns why it failed when the failure must stop the call (`on_failure: deny`).
    ///
    /// - Parameter durable: fsync before returning (decisions of write and destructive calls).
    @discardableResult
    func record(_ event: AuditEvent, durable: Bool) -> String? {
        do {
            try log.append(event, durable: durable)
            return nil
        } catch {
            logger.error("audit: cannot write \(log.path): \(error)")
            return onFailure == .deny ? "the audit log cannot be written (\(error)); audit.on_failure is deny" : nil
        }
    }
}
