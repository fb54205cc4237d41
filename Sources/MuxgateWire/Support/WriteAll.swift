#if canImport(Glibc)
    import Glibc
#endif

/// Writes all of `bytes` to `descriptor`, retrying short writes and `EINTR`.
///
/// - Returns: How many bytes were written, and the `errno` that stopped it early, if any.
package func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> (written: Int, error: Int32?) {
    bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let count = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                return (offset, errno)
            }
            offset += count
        }
        return (offset, nil)
    }
}
