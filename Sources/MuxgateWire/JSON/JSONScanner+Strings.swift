/// Strings: a validated JSON string (UTF-8 checked, escapes and surrogate pairs paired) and the
/// escapes and multi-byte sequences inside it.
extension JSONScanner {
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
}
