/// A strict, allocation-free JSON (RFC 8259) validator over a byte buffer.
///
/// The scanner finds where values start and end; it never builds a tree. Strings must be valid
/// UTF-8 with valid escapes (surrogates paired), numbers follow the JSON grammar, and nesting is
/// bounded so hostile input cannot exhaust the stack.
package struct JSONScanner {
    package static let maximumDepth = 512

    package let bytes: UnsafeBufferPointer<UInt8>
    /// When set, validation also refuses an object that repeats a key (`duplicateKey`, at the
    /// repeat), keeping the keys of the open objects here, innermost last.
    package let keys: UnsafeMutableBufferPointer<KeySpan>?

    package init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        keys = nil
    }

    /// A scanner whose validation refuses repeated keys, with `keys` as its scratch space.
    package init(_ bytes: UnsafeBufferPointer<UInt8>, keys: UnsafeMutableBufferPointer<KeySpan>) {
        self.bytes = bytes
        self.keys = keys
    }

    /// The index of the first non-whitespace byte at or after `index`.
    @inline(__always)
    package func skipWhitespace(_ index: Int) -> Int {
        var i = index
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x0A, 0x0D, 0x09: i += 1
            default: return i
            }
        }
        return i
    }

    /// The end of the value at `index` in bytes already validated (inside a `JSONSlice`): brackets
    /// are matched and strings skipped, nothing is checked again. Walking an object's members used
    /// to validate every value a second time.
    package func skipValidated(_ index: Int) -> Int {
        var i = index
        switch bytes[i] {
        case UInt8(ascii: "\""):
            return skipValidatedString(i)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "\""):
                    i = skipValidatedString(i)
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return i + 1 }
                default: break
                }
                i += 1
            }
            return i
        default:
            // A number or a literal: it ends where the next structural byte or whitespace begins.
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09: return i
                default: i += 1
                }
            }
            return i
        }
    }

    /// The end of the validated string that opens at `index` (an escape is a backslash and the byte
    /// after it; `\uXXXX`'s digits are plain bytes).
    package func skipValidatedString(_ index: Int) -> Int {
        var i = index + 1
        // Most strings (keys, ids, names) end within 16 bytes; a longer one goes out of line.
        let short = min(bytes.count, index + 17)
        while i < short {
            switch bytes[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""): return i + 1
            default: i += 1
            }
        }
        return i < bytes.count ? skipLongValidatedString(i) : i
    }

    /// The rest of a long validated string: eight bytes at a time until a word holds a quote or a
    /// backslash, then byte by byte. Out of line, so the short strings' loop stays small.
    @inline(never)
    private func skipLongValidatedString(_ start: Int) -> Int {
        var i = start
        while i < bytes.count {
            if i + 8 <= bytes.count {
                let word = ByteWord.load(bytes, i)
                if !ByteWord.has(word, UInt8(ascii: "\"")) && !ByteWord.has(word, UInt8(ascii: "\\")) {
                    i += 8
                    continue
                }
            }
            switch bytes[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""): return i + 1
            default: i += 1
            }
        }
        return i
    }

    /// Validates the value starting at `index` (no leading whitespace) and returns its end.
    ///
    /// - Parameter top: With `keys`, the first free slot (the open objects' keys are below it).
    package func skipValue(_ index: Int, depth: Int = 0, top: Int = 0) throws(JSONParseError) -> Int {
        guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try skipObject(index, depth: depth + 1, top: top)
        case UInt8(ascii: "["): return try skipArray(index, depth: depth + 1, top: top)
        case UInt8(ascii: "\""): return try skipString(index)
        case UInt8(ascii: "t"): return try skipLiteral(index, "true")
        case UInt8(ascii: "f"): return try skipLiteral(index, "false")
        case UInt8(ascii: "n"): return try skipLiteral(index, "null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try skipNumber(index)
        default: throw JSONParseError(.unexpectedByte, at: index)
        }
    }

    private func skipLiteral(_ index: Int, _ literal: StaticString) throws(JSONParseError) -> Int {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw JSONParseError(.unexpectedEnd, at: bytes.count) }
        let start = literal.utf8Start
        for k in 0..<count where bytes[index + k] != start[k] {
            throw JSONParseError(.invalidLiteral, at: index + k)
        }
        return index + count
    }

    private func skipObject(_ index: Int, depth: Int, top: Int) throws(JSONParseError) -> Int {
        guard depth <= Self.maximumDepth else { throw JSONParseError(.tooDeep, at: index) }
        var i = skipWhitespace(index + 1)
        guard i < bytes.count else { throw JSONParseError(.unexpectedEnd, at: i) }
        if bytes[i] == UInt8(ascii: "}") { return i + 1 }
        if let keys { return try skipDistinctObject(i, depth: depth, keys: keys, top: top) }
        while true {
            guard i < bytes.count else { throw JSONParseError(.unexpectedEnd, at: i) }
            guard bytes[i] == UInt8(ascii: "\"") else { throw JSONParseError(.unexpectedByte, at: i) }
            i = skipWhitespace(try skipString(i))
            guard i < bytes.count else { throw JSONParseError(.unexpectedEnd, at: i) }
            guard bytes[i] == UInt8(ascii: ":") else { throw JSONParseError(.unexpectedByte, at: i) }
            i = skipWhitespace(try skipValue(skipWhitespace(i + 1), depth: depth, top: top))
            guard i < bytes.count else { throw JSONParseError(.unexpectedEnd, at: i) }
            switch bytes[i] {
            case UInt8(ascii: ","): i = skipWhitespace(i + 1)
            case UInt8(ascii: "}"): return i + 1
            default: throw JSONParseError(.unexpectedByte, at: i)
            }
        }
    }

    /// A key of an object being validated: its span (quotes included), and whether its bytes are
    /// its text (plain ASCII, no escape), so two plain keys compare byte for byte.
    package struct KeySpan {
        package var start = 0
        package var end = 0
        package var plain = true
    }

    /// `skipObject` from its first key, refusing a key the object already has: compared byte for
    /// byte when both are plain, else decoded and compared as Swift compares strings (as
    /// `JSONSlice.firstDuplicateKey` does). The object's keys go in `keys` from `top` on (its
    /// members' objects use the slots above); when the scratch space is full, its remaining keys
    /// go into a set, so a hostile object cannot make this quadratic either.
    private func skipDistinctObject(
        _ first: Int,
        depth: Int,
        keys: UnsafeMutableBufferPointer<KeySpan>,
        top: Int
    ) throws(JSONParseError) -> Int {
        var count = 0
        var overflow: Set<String>?
        var i = first
        while true {
            guard i < bytes.count else { throw JSONParseError(.unexpectedEnd, at: i) }
            guard bytes[i] == UInt8(ascii: "\"") else { throw JSONParseError(.unexpectedByte, at: i) }
            var key = KeySpan(start: i)
            key.end = try skipString(i, plain: &key.plain)
            if overflow == nil {
                var k = top
                while k < top + count {
                    if sameKey(keys[k], key) { throw JSONParseError(.duplicateKey, at: key.start) }
                    k += 1
                }
                if top + count < keys.count {
                    keys[top + count] = key
                    count += 1
                } else {
                    overflow = Set(keys[top..<(top + count)].map { JSONSlice.decodeString(bytes, $0.start..<$0.end) })
                }
            }
            if overflow != nil, !overflow!.insert(JSONSlice.decodeString(bytes, key.start..<key.end)).inserted {
                throw JSONParseError(.duplicateKey, at: key.start)
            }
            i = skipWhitespace(key.end)
            guard i < bytes.count else { throw JSONParseError(.unexpectedEnd, at: i) }
            guard bytes[i] == UInt8(ascii: ":") else { throw JSONParseError(.unexpectedByte, at: i) }
            i = skipWhitespace(try skipValue(skipWhitespace(i + 1), depth: depth, top: top + count))
            guard i < bytes.count else { throw JSONParseError(.unexpectedEnd, at: i) }
            switch bytes[i] {
            case UInt8(ascii: ","): i = skipWhitespace(i + 1)
            case UInt8(ascii: "}"): return i + 1
            default: throw JSONParseError(.unexpectedByte, at: i)
            }
        }
    }

    @inline(__always)
    private func sameKey(_ a: KeySpan, _ b: KeySpan) -> Bool {
        guard a.end - a.start == b.end - b.start || !(a.plain && b.plain) else { return false }
        if a.plain && b.plain {
            var k = 1
            while k < a.end - a.start - 1 {
                if bytes[a.start + k] != bytes[b.start + k] { return false }
                k += 1
            }
            return true
        }
        return JSONSlice.decodeString(bytes, a.start..<a.end) == JSONSlice.decodeString(bytes, b.start..<b.end)
    }

    private func skipArray(_ index: Int, depth: Int, top: Int) throws(JSONParseError) -> Int {
        guard depth <= Self.maximumDepth else { throw JSONParseError(.tooDeep, at: index) }
        var i = skipWhitespace(index + 1)
        guard i < bytes.count else { throw JSONParseError(.unexpectedEnd, at: i) }
        if bytes[i] == UInt8(ascii: "]") { return i + 1 }
        while true {
            i = skipWhitespace(try skipValue(i, depth: depth, top: top))
            guard i < bytes.count else { throw JSONParseError(.unexpectedEnd, at: i) }
            switch bytes[i] {
            case UInt8(ascii: ","): i = skipWhitespace(i + 1)
            case UInt8(ascii: "]"): return i + 1
            default: throw JSONParseError(.unexpectedByte, at: i)
            }
        }
    }

    private func skipNumber(_ index: Int) throws(JSONParseError) -> Int {
        var i = index
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count else { throw JSONParseError(.invalidNumber, at: i) }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else if isDigit(bytes[i]) {
            while i < bytes.count && isDigit(bytes[i]) { i += 1 }
        } else {
            throw JSONParseError(.invalidNumber, at: i)
        }
        if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard i < bytes.count && isDigit(bytes[i]) else { throw JSONParseError(.invalidNumber, at: i) }
            while i < bytes.count && isDigit(bytes[i]) { i += 1 }
        }
        if i < bytes.count && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            guard i < bytes.count && isDigit(bytes[i]) else { throw JSONParseError(.invalidNumber, at: i) }
            while i < bytes.count && isDigit(bytes[i]) { i += 1 }
        }
        return i
    }

    @inline(__always)
    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
}
