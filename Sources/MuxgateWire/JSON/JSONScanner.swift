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

    /// Validates a string starting at its opening quote; returns the index after the closing quote.
    package func skipString(_ index: Int) throws(JSONParseError) -> Int {
        var plain = true
        return try skipString(index, plain: &plain)
    }

    /// `skipString`, also saying whether the string's bytes are its text (ASCII, no escape).
    @inline(__always)
    package func skipString(_ index: Int, plain: inout Bool) throws(JSONParseError) -> Int {
        var i = index + 1
        // Most strings end within 16 bytes; a longer one goes on out of line.
        let short = index + 17
        while i < bytes.count {
            if i >= short { return try skipLongString(i, plain: &plain) }
            if try stringByte(&i, plain: &plain) { return i }
        }
        throw JSONParseError(.unexpectedEnd, at: i)
    }

    /// The rest of a long string: eight bytes of printable ASCII at a time; a word that holds
    /// anything else byte by byte. Out of line, so the short strings' loop stays small.
    @inline(never)
    private func skipLongString(_ start: Int, plain: inout Bool) throws(JSONParseError) -> Int {
        var i = start
        var wordwise = i
        while i < bytes.count {
            if i >= wordwise, i + 8 <= bytes.count {
                if ByteWord.isPlainText(ByteWord.load(bytes, i)) {
                    i += 8
                    continue
                }
                wordwise = i + 8
            }
            if try stringByte(&i, plain: &plain) { return i }
        }
        throw JSONParseError(.unexpectedEnd, at: i)
    }

    /// One step through a string at `i`: past the closing quote (true), or past one character.
    @inline(__always)
    private func stringByte(_ i: inout Int, plain: inout Bool) throws(JSONParseError) -> Bool {
        let b = bytes[i]
        if b == UInt8(ascii: "\"") {
            i += 1
            return true
        }
        if b == UInt8(ascii: "\\") {
            plain = false
            i = try skipEscape(i)
        } else if b < 0x20 {
            throw JSONParseError(.controlCharacter, at: i)
        } else if b < 0x80 {
            i += 1
        } else {
            plain = false
            i = try skipUTF8(i)
        }
        return false
    }

    private func skipEscape(_ index: Int) throws(JSONParseError) -> Int {
        guard index + 1 < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index + 1) }
        switch bytes[index + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return index + 2
        case UInt8(ascii: "u"):
            let unit = try hex4(index + 2)
            if (0xD800...0xDBFF).contains(unit) {
                // A high surrogate must be followed by an escaped low surrogate.
                let next = index + 6
                guard next + 1 < bytes.count, bytes[next] == UInt8(ascii: "\\"), bytes[next + 1] == UInt8(ascii: "u")
                else { throw JSONParseError(.invalidUnicode, at: index) }
                let low = try hex4(next + 2)
                guard (0xDC00...0xDFFF).contains(low) else { throw JSONParseError(.invalidUnicode, at: next) }
                return next + 6
            }
            guard !(0xDC00...0xDFFF).contains(unit) else { throw JSONParseError(.invalidUnicode, at: index) }
            return index + 6
        default:
            throw JSONParseError(.invalidEscape, at: index)
        }
    }

    package func hex4(_ index: Int) throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw JSONParseError(.unexpectedEnd, at: bytes.count) }
        var value: UInt32 = 0
        for k in 0..<4 {
            let c = bytes[index + k]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw JSONParseError(.invalidEscape, at: index + k)
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Validates one multi-byte UTF-8 sequence (no overlongs, no surrogates, at most U+10FFFF).
    private func skipUTF8(_ index: Int) throws(JSONParseError) -> Int {
        let b0 = bytes[index]
        let length: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            upper = 0x9F
        case 0xF0:
            length = 4
            lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            upper = 0x8F
        default: throw JSONParseError(.invalidUnicode, at: index)
        }
        guard index + length <= bytes.count else { throw JSONParseError(.invalidUnicode, at: index) }
        let b1 = bytes[index + 1]
        guard b1 >= lower && b1 <= upper else { throw JSONParseError(.invalidUnicode, at: index) }
        for k in 2..<max(2, length) where bytes[index + k] & 0xC0 != 0x80 {
            throw JSONParseError(.invalidUnicode, at: index)
        }
        return index + length
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
