package import Foundation
import MuxgateConfig
package import MuxgateWire

/// One parsed record of an audit log, for verification and review.
package struct AuditEntry: Sendable {
    /// The line's bytes, without its newline.
    package let line: ArraySlice<UInt8>
    package let root: JSONSlice
    package let seq: UInt64
    package let ts: String
    package let event: String
    package let session: String
    package let prev: String
    package let hash: String

    /// Parses a line; nil when it is not a complete record (invalid JSON or an envelope field missing).
    package static func parse(_ line: ArraySlice<UInt8>) -> AuditEntry? {
        guard let root = try? JSONSlice.parse(Array(line)), root.kind == .object,
            let seqText = root["seq"], seqText.isIntegerLiteral, let seq = UInt64(seqText.text),
            let ts = root["ts"]?.string, let event = root["event"]?.string, let session = root["session"]?.string,
            let prev = root["prev"]?.string, let hash = root["hash"]?.string
        else { return nil }
        return AuditEntry(
            line: line,
            root: root,
            seq: seq,
            ts: ts,
            event: event,
            session: session,
            prev: prev,
            hash: hash
        )
    }

    package subscript(key: String) -> JSONSlice? { root[key] }

    /// A string field, or a number field's text (for `request_id`).
    package func text(_ key: String) -> String? {
        guard let value = root[key] else { return nil }
        return value.kind == .string ? value.string : value.kind == .null ? nil : value.text
    }

    /// A number field.
    package func number(_ key: String) -> Double? {
        guard let value = root[key], value.kind == .number else { return nil }
        return Double(value.text)
    }

    package var date: Date? { AuditTimestamp.parse(ts) }

    /// The line as text.
    package var lineText: String { String(decoding: line, as: UTF8.self) }
}
