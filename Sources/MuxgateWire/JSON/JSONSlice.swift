/// A validated JSON value located in a shared, immutable byte buffer.
///
/// Nothing is decoded until asked for: navigation re-scans only the part it walks, and the bytes
/// of a value can always be copied out exactly as they came. This is what lets muxgate forward
/// messages losslessly and rewrite only the few spans it must.
package struct JSONSlice: Sendable {
    package enum Kind: Sendable, Equatable {
        case object, array, string, number, bool, null
    }

    /// A member of an object: its decoded key, the span of the key (quotes included) and its value.
    package struct Member: Sendable {
        package let key: String
        package let keyRange: Range<Int>
        package let value: JSONSlice
    }

    package let buffer: [UInt8]
    package let range: Range<Int>

    /// Wraps a range of `buffer` that is already known to hold exactly one valid JSON value.
    package init(validated buffer: [UInt8], range: Range<Int>) {
        self.buffer = buffer
        self.range = range
    }

    /// Parses and validates a complete JSON text (surrounding whitespace allowed).
    ///
    /// - Throws: `JSONParseError` naming the byte offset of the first problem.
    /// - Parameter distinctKeys: Also refuse an object that repeats a key (`duplicateKey`, at the
    ///   repeat: the one-reading check of an IDE's message, in the same pass).
    package static func parse(_ bytes: [UInt8], distinctKeys: Bool = false) throws(JSONParseError) -> JSONSlice {
        let range: Range<Int> = try bytes.withUnsafeBufferPointer { (pointer) throws(JSONParseError) -> Range<Int> in
            guard distinctKeys else { return try validate(JSONScanner(pointer)) }
            // The open objects' keys, on the stack (40 of them are 960 bytes: within the 1 KiB
            // that is always put there): a message's keys fit many times over.
            return try withUnsafeTemporaryAllocation(of: JSONScanner.KeySpan.self, capacity: 40) {
                (keys) throws(JSONParseError) -> Range<Int> in
                try validate(JSONScanner(pointer, keys: keys))
            }
        }
        return JSONSlice(validated: bytes, range: range)
    }

    /// The range of the one value the scanner's buffer holds, surrounding whitespace aside.
    private static func validate(_ scanner: JSONScanner) throws(JSONParseError) -> Range<Int> {
        let start = scanner.skipWhitespace(0)
        let end = try scanner.skipValue(start)
        guard scanner.skipWhitespace(end) == scanner.bytes.count else {
            throw JSONParseError(.trailingData, at: scanner.skipWhitespace(end))
        }
        return start..<end
    }

    /// Parses a JSON text given as a string.
    package static func parse(_ text: String) throws(JSONParseError) -> JSONSlice {
        try parse(Array(text.utf8))
    }

    package var kind: Kind {
        switch buffer[range.lowerBound] {
        case UInt8(ascii: "{"): .object
        case UInt8(ascii: "["): .array
        case UInt8(ascii: "\""): .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): .bool
        case UInt8(ascii: "n"): .null
        default: .number
        }
    }

    /// The value's bytes exactly as they appear in the buffer.
    package var bytes: ArraySlice<UInt8> { buffer[range] }

    /// The value's text exactly as it appears in the buffer.
    package var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The members of an object in document order (duplicates kept); empty for other kinds.
    package var members: [Member] {
        guard kind == .object else { return [] }
        var result: [Member] = []
        forEachMember { member in
            result.append(member)
            return true
        }
        return result
    }

    /// The elements of an array in order; empty for other kinds.
    package var elements: [JSONSlice] {
        guard kind == .array else { return [] }
        return buffer.withUnsafeBufferPointer { pointer in
            let scanner = JSONScanner(pointer)
            var result: [JSONSlice] = []
            var i = scanner.skipWhitespace(range.lowerBound + 1)
            while i < range.upperBound - 1 {
                let end = scanner.skipValidated(i)
                result.append(JSONSlice(validated: buffer, range: i..<end))
                i = scanner.skipWhitespace(end)
                if i < range.upperBound - 1 && pointer[i] == UInt8(ascii: ",") {
                    i = scanner.skipWhitespace(i + 1)
                }
            }
            return result
        }
    }

    /// The value of the last member named `key` (JSON parsers commonly let the last duplicate win).
    package subscript(key: String) -> JSONSlice? {
        guard kind == .object else { return nil }
        // The key's own bytes (no copy for a native or small string), compared as written; a
        // key written with escapes is decoded first. No member's key is made a String.
        var key = key
        return key.withUTF8 { wanted in
            var found: JSONSlice?
            forEachRawMember { raw, value in
                if Self.sameBytes(raw, wanted) {
                    found = value
                } else if raw.contains(UInt8(ascii: "\\")), Self.decodeString(raw).utf8.elementsEqual(wanted) {
                    found = value
                }
                return true
            }
            return found
        }
    }

    /// Whether two byte runs are equal: the length first, then byte by byte.
    @inline(__always)
    package static func sameBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var k = 0
        while k < a.count {
            if a[k] != b[k] { return false }
            k += 1
        }
        return true
    }

    /// Walks an object's members, stopping when `body` returns false.
    ///
    /// With `rawKeyMatching`, only members whose key is that text are decoded and handed over;
    /// keys written with escapes are always decoded and compared.
    package func forEachMember(rawKeyMatching wanted: [UInt8]? = nil, _ body: (Member) -> Bool) {
        forEachMember(matching: wanted, body)
    }

    private func forEachMember(matching wanted: (some Collection<UInt8>)?, _ body: (Member) -> Bool) {
        buffer.withUnsafeBufferPointer { pointer in
            let scanner = JSONScanner(pointer)
            var i = scanner.skipWhitespace(range.lowerBound + 1)
            while i < range.upperBound - 1, pointer[i] == UInt8(ascii: "\"") {
                let keyEnd = scanner.skipValidatedString(i)
                let colon = scanner.skipWhitespace(keyEnd)
                let valueStart = scanner.skipWhitespace(colon + 1)
                let valueEnd = scanner.skipValidated(valueStart)
                let keyRange = i..<keyEnd
                var matches = true
                var key: String?
                if let wanted {
                    let raw = UnsafeBufferPointer(rebasing: pointer[(i + 1)..<(keyEnd - 1)])
                    // The length first: most keys differ in it, and the generic comparison is slow.
                    if raw.count == wanted.count && raw.elementsEqual(wanted) {
                        key = String(decoding: raw, as: UTF8.self)
                    } else if raw.contains(UInt8(ascii: "\\")) {
                        let decoded = JSONSlice.decodeString(pointer, keyRange)
                        matches = decoded.utf8.elementsEqual(wanted)
                        key = decoded
                    } else {
                        matches = false
                    }
                } else {
                    key = JSONSlice.decodeString(pointer, keyRange)
                }
                if matches, let key {
                    let member = Member(
                        key: key,
                        keyRange: keyRange,
                        value: JSONSlice(validated: buffer, range: valueStart..<valueEnd)
                    )
                    if !body(member) { return }
                }
                i = scanner.skipWhitespace(valueEnd)
                if i < range.upperBound - 1 && pointer[i] == UInt8(ascii: ",") {
                    i = scanner.skipWhitespace(i + 1)
                }
            }
        }
    }

    /// Walks an object's members with their keys as written (between the quotes), without
    /// decoding them, stopping when `body` returns false. A key that contains a backslash holds
    /// an escape: decode it (`decodeString(_:)`) to compare it.
    package func forEachRawMember(_ body: (_ key: UnsafeBufferPointer<UInt8>, _ value: JSONSlice) -> Bool) {
        guard kind == .object else { return }
        buffer.withUnsafeBufferPointer { pointer in
            let scanner = JSONScanner(pointer)
            var i = scanner.skipWhitespace(range.lowerBound + 1)
            while i < range.upperBound - 1, pointer[i] == UInt8(ascii: "\"") {
                let keyEnd = scanner.skipValidatedString(i)
                let colon = scanner.skipWhitespace(keyEnd)
                let valueStart = scanner.skipWhitespace(colon + 1)
                let valueEnd = scanner.skipValidated(valueStart)
                let raw = UnsafeBufferPointer(rebasing: pointer[(i + 1)..<(keyEnd - 1)])
                let value = JSONSlice(validated: buffer, range: valueStart..<valueEnd)
                if !body(raw, value) { return }
                i = scanner.skipWhitespace(valueEnd)
                if i < range.upperBound - 1 && pointer[i] == UInt8(ascii: ",") {
                    i = scanner.skipWhitespace(i + 1)
                }
            }
        }
    }

    /// The decoded value of a string; nil for other kinds.
    package var string: String? {
        guard kind == .string else { return nil }
        return buffer.withUnsafeBufferPointer { JSONSlice.decodeString($0, range) }
    }

    /// The value of a boolean; nil for other kinds.
    package var bool: Bool? {
        switch buffer[range.lowerBound] {
        case UInt8(ascii: "t"): true
        case UInt8(ascii: "f"): false
        default: nil
        }
    }

    /// True when the value is a number written as an integer (no fraction, no exponent).
    package var isIntegerLiteral: Bool {
        kind == .number
            && !bytes.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
    }

    /// The value of an integer literal that fits `Int`; nil otherwise (floats are never rounded).
    package var int: Int? {
        guard isIntegerLiteral else { return nil }
        return Int(text)
    }

    /// Decodes the inside of a validated string literal (no quotes), as `forEachRawMember` hands it.
    package static func decodeString(_ raw: UnsafeBufferPointer<UInt8>) -> String {
        var quoted = [UInt8(ascii: "\"")]
        quoted.append(contentsOf: raw)
        quoted.append(UInt8(ascii: "\""))
        return quoted.withUnsafeBufferPointer { decodeString($0, 0..<$0.count) }
    }

    /// Decodes a validated string literal (quotes included in `range`).
    package static func decodeString(_ pointer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        let body = (range.lowerBound + 1)..<(range.upperBound - 1)
        guard pointer[body].contains(UInt8(ascii: "\\")) else {
            return String(decoding: UnsafeBufferPointer(rebasing: pointer[body]), as: UTF8.self)
        }
        let scanner = JSONScanner(pointer)
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var i = body.lowerBound
        while i < body.upperBound {
            let b = pointer[i]
            guard b == UInt8(ascii: "\\") else {
                out.append(b)
                i += 1
                continue
            }
            let e = pointer[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = (try? scanner.hex4(i)) ?? 0xFFFD
                i += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    let low = (try? scanner.hex4(i + 2)) ?? 0xDC00
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                let character = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(character).utf8))
            default: out.append(e)  // \" \\ \/
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
