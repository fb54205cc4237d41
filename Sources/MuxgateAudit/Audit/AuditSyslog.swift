import MuxgateConfig
import MuxgateWire

// Only the C library here: with Foundation in the same file, the socket types made the compiler
// attribute `struct stat` to CoreFoundation, and `AuditFile` failed MemberImportVisibility.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Sends the anchor's checkpoints to the local syslog daemon: a second copy of the anchor, kept
/// by another process (rsyslog, journald) and often shipped off the machine.
///
/// One datagram per checkpoint on the daemon's unix socket, in the format glibc's `syslog(3)`
/// uses (RFC 3164 as sent locally): `<86>Mmm dd hh:mm:ss muxgate-audit[PID]: LINE` — facility
/// `authpriv`, severity `info`. The message is the anchor line exactly, so
/// `journalctl -t muxgate-audit -o cat > copy` gives a file `audit verify --anchor copy` reads.
package struct AuditSyslog: Sendable {
    package static let defaultSocket = "/dev/log"
    package static let tag = "muxgate-audit"
    /// `authpriv` (10) × 8 + `info` (6).
    package static let priority = 86

    package let socketPath: String

    package init(socketPath: String = AuditSyslog.defaultSocket) {
        self.socketPath = socketPath
    }

    /// Sends one line.
    ///
    /// - Throws: `AuditError` (`anchorFailed`) when there is no daemon listening or it refuses.
    package func send(_ line: [UInt8]) throws(AuditError) {
        var message = Array("<\(Self.priority)>\(Self.timestamp(time(nil))) \(Self.tag)[\(getpid())]: ".utf8)
        message += line
        #if canImport(Glibc)
            let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
            let descriptor = socket(AF_UNIX, SOCK_DGRAM, 0)
        #endif
        guard descriptor >= 0 else {
            throw AuditError(
                .anchorFailed,
                path: socketPath,
                "syslog: cannot make a socket: \(AuditFile.describe(errno))"
            )
        }
        defer { _ = close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else {
            throw AuditError(.anchorFailed, path: socketPath, "syslog: the socket path is too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
            raw[path.count] = 0
        }
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes { bytes in
                    sendto(
                        descriptor,
                        bytes.baseAddress,
                        bytes.count,
                        0,
                        socketAddress,
                        socklen_t(MemoryLayout<sockaddr_un>.size)
                    )
                }
            }
        }
        guard sent == message.count else {
            throw AuditError(
                .anchorFailed,
                path: socketPath,
                "syslog: cannot send the checkpoint: \(AuditFile.describe(errno)) (is a syslog daemon running?)"
            )
        }
    }

    /// `Mmm dd hh:mm:ss` in local time, as syslog(3) writes it.
    static func timestamp(_ seconds: time_t) -> String {
        var seconds = seconds
        var parts = tm()
        localtime_r(&seconds, &parts)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let day = parts.tm_mday < 10 ? " \(parts.tm_mday)" : "\(parts.tm_mday)"
        return "\(months[Int(parts.tm_mon)]) \(day) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }
}
