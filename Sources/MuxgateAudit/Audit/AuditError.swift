import MuxgateConfig
import MuxgateWire

/// The audit log could not be opened, written or read: what failed, for which file, and what to do.
package struct AuditError: Error, Sendable, CustomStringConvertible {
    package enum Code: String, Sendable {
        /// `key_env` names a variable that is unset or empty.
        case keyMissing = "audit key missing"
        /// The log's directory could not be created or has the wrong owner or mode.
        case directoryUnusable = "audit directory unusable"
        /// The log file could not be opened, is not a regular file, or is not ours.
        case fileUnusable = "audit file unusable"
        /// A record could not be written completely.
        case writeFailed = "audit write failed"
        /// `fsync` failed: records may not be on disk.
        case syncFailed = "audit sync failed"
        /// The full file could not be renamed aside or its successor created.
        case rotateFailed = "audit rotation failed"
        /// The existing log's last record does not verify with the configured key.
        case chainMismatch = "audit chain mismatch"
        /// A log file could not be read.
        case readFailed = "audit read failed"
        /// The log was closed; nothing more can be appended.
        case closed = "audit log closed"
        /// `audit.anchor`'s signing key is missing, unreadable, too widely readable or malformed.
        case anchorKey = "audit anchor key unusable"
        /// A checkpoint could not be written to the anchor (or its syslog copy could not be sent).
        case anchorFailed = "audit anchor write failed"
    }

    package let code: Code
    /// The file or directory concerned (empty when none).
    package let path: String
    package let message: String

    package init(_ code: Code, path: String, _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    package var description: String {
        path.isEmpty ? "\(code.rawValue): \(message)" : "\(code.rawValue): \(path): \(message)"
    }
}
