import MuxgateConfig
import MuxgateWire

/// Reads audit log files line by line, in chain order, for verification and review.
package enum AuditLogReader {
    /// One line of a log file.
    package struct Line: Sendable {
        package let file: String
        /// 1-based line number in `file`.
        package let number: Int
        package let bytes: ArraySlice<UInt8>
        /// False for a final line with no newline after it.
        package let terminated: Bool
        /// The parsed record; nil for a line that is not one (torn or damaged).
        package let entry: AuditEntry?
    }

    /// Every non-empty line of `files`, read in the order given.
    ///
    /// - Throws: `AuditError` (`readFailed`) naming the first file that cannot be read.
    package static func lines(_ files: [String]) throws(AuditError) -> [Line] {
        var result: [Line] = []
        for file in files {
            let bytes = try AuditFile.contents(of: file)
            var number = 0
            var start = bytes.startIndex
            while start < bytes.endIndex {
                number += 1
                let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.endIndex
                let line = bytes[start..<end]
                if !line.isEmpty {
                    result.append(
                        Line(
                            file: file,
                            number: number,
                            bytes: line,
                            terminated: end < bytes.endIndex,
                            entry: AuditEntry.parse(line)
                        )
                    )
                }
                start = end + 1
            }
        }
        return result
    }

    /// The records of the log at each of `paths` with its rotated siblings, in chain order.
    package static func entries(_ paths: [String]) throws(AuditError) -> [AuditEntry] {
        try lines(AuditFileFamily.chainOrder(paths)).compactMap(\.entry)
    }
}
