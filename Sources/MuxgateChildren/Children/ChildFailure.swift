import MuxgateAudit
import MuxgateConfig
import MuxgatePolicy
import MuxgateWire

/// Why a child is not serving: a code to act on, and the words a person reads.
///
/// A child's phase carries one (`ChildServer.Phase.failed`, `.exited`), so what reports on it —
/// `check`, `tools`, a call's error, the tool list's warning — decides by the code and shows the
/// message, never by matching the text.
package struct ChildFailure: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable {
        /// `initialize` (or `server/discover`) got no answer within `startup_timeout`.
        case startupTimeout
        /// The handshake failed: the request could not be made, or was refused.
        case handshakeFailed
        /// It answered a protocol version muxgate does not speak.
        case unsupportedVersion
        /// `tools/list` failed during the handshake.
        case toolsListFailed
        /// Its process (or session) ended before the handshake finished.
        case exitedDuringStartup
        /// It ended after it had been ready (the next call restarts it).
        case exited
        /// It failed too often within `restart_window`: its tools are withdrawn for a window.
        case circuitOpen
    }

    package let code: Code
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
