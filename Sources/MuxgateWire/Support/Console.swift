// The C library only (no Foundation): see AuditSyslog.swift for why this matters here.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the CLI writes for a person: stdout and stderr, each line scrubbed of every known secret
/// (`Secrets`) on its way out. Nothing in the CLI writes to a terminal any other way: the module's
/// `print` below comes here too.
package enum Console {
    /// Writes `text` to stdout, scrubbed.
    package static func output(_ text: String) {
        Swift.print(Secrets.shared.scrub(text), terminator: "")
    }

    /// Writes `text` to stderr, scrubbed (stdout is flushed first, so the two stay in order).
    package static func error(_ text: String) {
        fflush(nil)
        let bytes = Array(Secrets.shared.scrub(text).utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            written += count
        }
    }
}
