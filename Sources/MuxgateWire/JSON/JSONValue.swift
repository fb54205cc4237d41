/// A JSON value that muxgate builds itself (errors, its own results), with an exact encoder.
///
/// Numbers are kept as their literal text and `raw` embeds bytes from elsewhere verbatim, so a
/// value built around a child's output never re-encodes that output.
package indirect enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    /// A number literal written exactly as given (e.g. `1.0`, `12345678901234567890`).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])
    /// Bytes of a valid JSON value, written unchanged.
    case raw(ArraySlice<UInt8>)

    /// The compact encoding of this value.
    package var encoded: [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }

    package var encodedString: String { String(decoding: encoded, as: UTF8.self) }

    package func encode(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): out.append(contentsOf: String(value).utf8)
        case .number(let literal): out.append(contentsOf: literal.utf8)
        case .string(let value): JSONValue.encodeString(value, into: &out)
        case .raw(let bytes): out.append(contentsOf: bytes)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.encode(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.encodeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                value.encode(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Writes a string literal, escaping only what JSON requires (quote, backslash, controls).
    ///
    /// Everything else, U+2028 and U+2029 included, is written as raw UTF-8: muxgate frames
    /// messages on `\n` alone, and an escaped control character can never produce one.
    package static func encodeString(_ value: String, into out: inout [UInt8]) {
        var value = value
        value.withUTF8 { bytes in
            out.reserveCapacity(out.count + bytes.count + 2)
            out.append(UInt8(ascii: "\""))
            // Runs of bytes that need no escape are copied whole (most strings are one run); eight
            // bytes are checked at a time, and only a word that holds one is walked byte by byte.
            var run = 0
            var index = 0
            if let base = bytes.baseAddress {
                while index + 8 <= bytes.count {
                    if ByteWord.needsEscape(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) {
                        for k in index..<(index + 8) where needsEscape(bytes[k]) {
                            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<k]))
                            appendEscape(bytes[k], into: &out)
                            run = k + 1
                        }
                    }
                    index += 8
                }
            }
            while index < bytes.count {
                if needsEscape(bytes[index]) {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index]))
                    appendEscape(bytes[index], into: &out)
                    run = index + 1
                }
                index += 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run...]))
            out.append(UInt8(ascii: "\""))
        }
    }

    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private static func appendEscape(_ byte: UInt8, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "t"))
        default:
            let hex = Array("0123456789abcdef".utf8)
            out.append(contentsOf: [
                UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)],
            ])
        }
    }

    /// The encoded literal of a string.
    package static func quoted(_ value: String) -> [UInt8] {
        var out: [UInt8] = []
        encodeString(value, into: &out)
        return out
    }
}

extension JSONSlice {
    /// This value embedded verbatim in a `JSONValue`.
    package var value: JSONValue { .raw(bytes) }
}
