import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: - Raw output

/// Writes whole lines to a file descriptor with one locked `write(2)` loop per line (no stdio buffering).
final class LineWriter: @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()

    init(fd: Int32) {
        self.fd = fd
    }

    /// Opens `path` for appending (created if missing).
    convenience init?(appendingTo path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { return nil }
        self.init(fd: fd)
    }

    static let stdout = LineWriter(fd: 1)
    static let stderr = LineWriter(fd: 2)

    /// Writes `line` followed by "\n" atomically with respect to other writers of this object.
    func writeLine(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        lock.withLock {
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return  // EPIPE etc.: the reader is gone; drop the line.
                    }
                    offset += written
                }
            }
        }
    }
}

/// Logs a diagnostic line to stderr.
func logDiagnostic(_ message: String) {
    LineWriter.stderr.writeLine("muxgate-fixture: \(message)")
}

/// Terminates immediately without running atexit handlers or flushing stdio
/// (all output goes through `write(2)`, so nothing is lost). Safe while the main thread blocks in `readLine`.
func terminate(_ status: Int32) -> Never {
    _exit(status)
}

// MARK: - JSON text building

/// Encodes `text` as a JSON string literal (quotes included).
func jsonString(_ text: String) -> String {
    var out = "\""
    out.reserveCapacity(text.utf8.count + 2)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    out += "\""
    return out
}

/// A JSON-RPC success response line. `id` and `result` are raw JSON text.
func resultLine(id: String, result: String) -> String {
    "{\"jsonrpc\":\"2.0\",\"id\":\(id),\"result\":\(result)}"
}

/// A JSON-RPC error response line. `id` is raw JSON text.
func errorLine(id: String, code: Int, message: String) -> String {
    "{\"jsonrpc\":\"2.0\",\"id\":\(id),\"error\":{\"code\":\(code),\"message\":\(jsonString(message))}}"
}

/// A tool result with a single text content item.
func textResult(_ text: String, isError: Bool = false) -> String {
    let content = "{\"content\":[{\"type\":\"text\",\"text\":\(jsonString(text))}]"
    return isError ? content + ",\"isError\":true}" : content + "}"
}

// MARK: - Raw JSON member scanning

/// Splits a (valid) JSON object into its top-level members, keeping each value's exact bytes.
/// Used so request ids, params and arguments can be echoed byte-for-byte.
enum RawJSON {
    /// Returns the members of the object in `bytes`, or nil if `bytes` is not a well-formed object.
    /// With duplicate keys the last one wins (like JSONSerialization).
    static func members(of bytes: ArraySlice<UInt8>) -> [String: String]? {
        var scanner = Scanner(bytes: bytes)
        scanner.skipWhitespace()
        guard scanner.consume(UInt8(ascii: "{")) else { return nil }
        var result: [String: String] = [:]
        scanner.skipWhitespace()
        if scanner.consume(UInt8(ascii: "}")) { return result }
        while true {
            scanner.skipWhitespace()
            guard scanner.peek == UInt8(ascii: "\""), let keyRange = scanner.skipString(),
                let key = decodeKey(bytes[keyRange])
            else { return nil }
            scanner.skipWhitespace()
            guard scanner.consume(UInt8(ascii: ":")) else { return nil }
            scanner.skipWhitespace()
            guard let valueRange = scanner.skipValue() else { return nil }
            result[key] = String(decoding: bytes[valueRange], as: UTF8.self)
            scanner.skipWhitespace()
            if scanner.consume(UInt8(ascii: ",")) { continue }
            if scanner.consume(UInt8(ascii: "}")) { return result }
            return nil
        }
    }

    static func members(of text: String) -> [String: String]? {
        members(of: Array(text.utf8)[...])
    }

    private static func decodeKey(_ literal: ArraySlice<UInt8>) -> String? {
        if !literal.contains(UInt8(ascii: "\\")) {
            return String(decoding: literal.dropFirst().dropLast(), as: UTF8.self)
        }
        let decoded = try? JSONSerialization.jsonObject(with: Data(literal), options: [.fragmentsAllowed])
        return decoded as? String
    }

    private struct Scanner {
        let bytes: ArraySlice<UInt8>
        var index: Int

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            self.index = bytes.startIndex
        }

        var peek: UInt8? { index < bytes.endIndex ? bytes[index] : nil }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            index += 1
            return true
        }

        mutating func skipWhitespace() {
            while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                index += 1
            }
        }

        /// Skips a string literal starting at `index` (which must be a quote); returns its range, quotes included.
        mutating func skipString() -> Range<Int>? {
            let start = index
            index += 1
            while let byte = peek {
                index += 1
                if byte == UInt8(ascii: "\\") {
                    index += 1
                } else if byte == UInt8(ascii: "\"") {
                    return start..<index
                }
            }
            return nil
        }

        /// Skips any JSON value; returns its range.
        mutating func skipValue() -> Range<Int>? {
            let start = index
            guard let first = peek else { return nil }
            switch first {
            case UInt8(ascii: "\""):
                return skipString()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while let byte = peek {
                    switch byte {
                    case UInt8(ascii: "\""):
                        guard skipString() != nil else { return nil }
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["):
                        depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                    default:
                        break
                    }
                    index += 1
                    if depth == 0 { return start..<index }
                }
                return nil
            default:
                while let byte = peek, !",}] \t\r\n".utf8.contains(byte) {
                    index += 1
                }
                return index > start ? start..<index : nil
            }
        }
    }
}
