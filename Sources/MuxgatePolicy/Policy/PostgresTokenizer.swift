import MuxgateConfig
import MuxgateWire

/// PostgreSQL's lexer, rule for rule where it matters: `src/backend/parser/scan.l` and the
/// `UESCAPE` look-ahead of `parser.c`.
///
/// - Whitespace `[ \t\n\r\f\v]`; `--` comments end at `\n` **or `\r`**; `/* */` comments nest and
///   must be closed.
/// - Identifiers: `[A-Za-z_\x80-\xFF]` then also digits and `$` (so `a$$b$$` is one identifier);
///   `"…"` with `""` (never empty); `U&"…"` decoded (`\XXXX`, `\+XXXXXX`, `\\`, or the character
///   a following `UESCAPE '…'` names).
/// - Strings: `'…'` (`''`; a `\'` is refused: whether it ends the string depends on
///   `standard_conforming_strings`), `E'…'` (backslash escapes), `N'…'`, `B'…'` and `X'…'` (no
///   doubling), `U&'…'` (decoded like `U&"…"`), dollar quotes `$tag$…$tag$`. Literals separated by
///   whitespace that holds a newline concatenate and the continuation is read in the first part's
///   mode (`quotecontinue`).
/// - `$1` is a parameter; `$1x`, and a `$` that starts neither a parameter nor a dollar quote, are
///   refused.
/// - Numbers: decimal with `_` separators, `0x`/`0o`/`0b` forms, `.5`, `1.`, exponents; a number
///   running into an identifier is refused (PostgreSQL ≥ 15 refuses it too: "trailing junk").
/// - Operators: the longest run of `~!@#^&|`?+-*/%<>=`, cut before `--` or `/*`, and a trailing `+`
///   or `-` dropped unless the run holds one of `~!@#^&|`?%`; `!=` is `<>`. `::`, `:=`, `:` and `..`
///   are operators too; `,` `;` `(` `)` `[` `]` `.` punctuation; anything else (`{`, `\`, …) is refused.
package struct PostgresTokenizer {
    package let z: [UInt8]
    private var i = 0
    /// Where the comments are (and the whitespace of string continuations), for `withoutComments`.
    private(set) var comments: [Range<Int>] = []

    package init(_ bytes: [UInt8]) { z = bytes }

    private func at(_ index: Int) -> UInt8 { index < z.count ? z[index] : 0 }

    package static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (0x09...0x0D).contains(c) }
    package static func isNewline(_ c: UInt8) -> Bool { c == 0x0A || c == 0x0D }
    package static func isDigit(_ c: UInt8) -> Bool { (0x30...0x39).contains(c) }
    package static func isIdentifierStart(_ c: UInt8) -> Bool {
        (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || c == 0x5F || c >= 0x80
    }
    package static func isIdentifierPart(_ c: UInt8) -> Bool { isIdentifierStart(c) || isDigit(c) || c == 0x24 }
    package static let operatorCharacters = Set("~!@#^&|`?+-*/%<>=".utf8)
    package static let operatorCharactersKeepingSign = Set("~!@#^&|`?%".utf8)

    package mutating func tokens() throws(SQLProblem) -> [SQLToken] {
        var list: [SQLToken] = []
        while let token = try next() { list.append(token) }
        return list
    }

    private func text(_ range: Range<Int>) -> String { String(decoding: z[range], as: UTF8.self) }

    private func refuse(_ start: Int, _ why: String) -> SQLProblem {
        SQLProblem("PostgreSQL cannot read '\(excerpt(z[start..<min(start + 24, z.count)]))': \(why)")
    }

    /// Skips whitespace and comments.
    private mutating func skipSpace() throws(SQLProblem) {
        while i < z.count {
            let c = z[i]
            if Self.isSpace(c) {
                i += 1
            } else if c == UInt8(ascii: "-"), at(i + 1) == UInt8(ascii: "-") {
                let start = i
                while i < z.count, !Self.isNewline(z[i]) { i += 1 }
                comments.append(start..<i)
            } else if c == UInt8(ascii: "/"), at(i + 1) == UInt8(ascii: "*") {
                let start = i
                var depth = 0
                repeat {
                    if at(i) == UInt8(ascii: "/"), at(i + 1) == UInt8(ascii: "*") {
                        depth += 1
                        i += 2
                    } else if at(i) == UInt8(ascii: "*"), at(i + 1) == UInt8(ascii: "/") {
                        depth -= 1
                        i += 2
                    } else if i >= z.count {
                        throw refuse(start, "a /* comment is never closed")
                    } else {
                        i += 1
                    }
                } while depth > 0
                comments.append(start..<i)
            } else {
                return
            }
        }
    }

    /// The next token, or nil at the end.
    private mutating func next() throws(SQLProblem) -> SQLToken? {
        try skipSpace()
        guard i < z.count else { return nil }
        let start = i
        let c = z[i]
        let quote = UInt8(ascii: "'")
        func single(_ kind: SQLToken.Kind, _ length: Int = 1) -> SQLToken {
            i += length
            return SQLToken(kind, text(start..<i), at: start)
        }
        let lower = c | 0x20
        if lower == UInt8(ascii: "u"), at(i + 1) == UInt8(ascii: "&"), at(i + 2) == UInt8(ascii: "\"") {
            i += 2
            let raw = try delimitedIdentifier()
            return SQLToken(.quotedIdentifier, try unicodeEscaped(raw, start: start), at: start)
        }
        if lower == UInt8(ascii: "u"), at(i + 1) == UInt8(ascii: "&"), at(i + 2) == quote {
            i += 2
            let raw = try literal(.unicode)
            return SQLToken(.string, try unicodeEscaped(raw, start: start), at: start)
        }
        if c >= 0x41, at(i + 1) == quote {
            switch lower {
            case UInt8(ascii: "e"):
                i += 1
                return SQLToken(.string, try literal(.escaped), at: start)
            case UInt8(ascii: "n"):
                i += 1
                return SQLToken(.string, try literal(.plain), at: start)
            case UInt8(ascii: "b"), UInt8(ascii: "x"):
                i += 1
                return SQLToken(.blob, try literal(.bits), at: start)
            default:
                break
            }
        }
        switch c {
        case quote:
            return SQLToken(.string, try literal(.plain), at: start)
        case UInt8(ascii: "\""):
            return SQLToken(.quotedIdentifier, try delimitedIdentifier(), at: start)
        case UInt8(ascii: "$"):
            return try dollar()
        case UInt8(ascii: "("): return single(.open)
        case UInt8(ascii: ")"): return single(.close)
        case UInt8(ascii: "["): return single(.openBracket)
        case UInt8(ascii: "]"): return single(.closeBracket)
        case UInt8(ascii: ","): return single(.comma)
        case UInt8(ascii: ";"): return single(.semicolon)
        case UInt8(ascii: ":"):
            let second = at(i + 1)
            return single(.op, second == UInt8(ascii: ":") || second == UInt8(ascii: "=") ? 2 : 1)
        case UInt8(ascii: "."):
            if at(i + 1) == UInt8(ascii: ".") { return single(.op, 2) }
            if Self.isDigit(at(i + 1)) { return try number() }
            return single(.dot)
        default:
            break
        }
        if Self.isDigit(c) { return try number() }
        if Self.isIdentifierStart(c) {
            i += 1
            while Self.isIdentifierPart(at(i)) { i += 1 }
            return SQLToken(.word, text(start..<i), at: start)
        }
        if Self.operatorCharacters.contains(c) { return operatorToken() }
        throw refuse(start, "PostgreSQL has no token that starts with this character")
    }

    /// scan.l's `{operator}` rule: the longest run, cut at a comment start, a trailing sign dropped.
    private mutating func operatorToken() -> SQLToken {
        let start = i
        var end = i
        while end < z.count, Self.operatorCharacters.contains(z[end]) { end += 1 }
        var length = end - start
        for k in start..<max(start, end - 1) {
            let pair = (z[k], z[k + 1])
            if pair == (UInt8(ascii: "/"), UInt8(ascii: "*")) || pair == (UInt8(ascii: "-"), UInt8(ascii: "-")) {
                length = k - start
                break
            }
        }
        func isSign(_ c: UInt8) -> Bool { c == UInt8(ascii: "+") || c == UInt8(ascii: "-") }
        if length > 1, isSign(z[start + length - 1]),
            !z[start..<(start + length - 1)].contains(where: Self.operatorCharactersKeepingSign.contains)
        {
            repeat { length -= 1 } while length > 1 && isSign(z[start + length - 1])
        }
        i = start + length
        let symbol = text(start..<i)
        return SQLToken(.op, symbol == "!=" ? "<>" : symbol, at: start)
    }

    /// `"…"` with `""`; `i` at the opening quote. Returns the name (not yet truncated).
    private mutating func delimitedIdentifier() throws(SQLProblem) -> String {
        let start = i
        i += 1
        var content: [UInt8] = []
        while true {
            guard i < z.count else { throw refuse(start, "a quoted identifier is never closed") }
            if z[i] == UInt8(ascii: "\"") {
                if at(i + 1) == UInt8(ascii: "\"") {
                    content.append(z[i])
                    i += 2
                    continue
                }
                i += 1
                break
            }
            content.append(z[i])
            i += 1
        }
        guard !content.isEmpty else { throw refuse(start, "a zero-length quoted identifier (\"\")") }
        return String(decoding: content, as: UTF8.self)
    }

    /// The kinds of quoted string and how each reads its inside.
    package enum LiteralMode {
        /// `'…'` and `N'…'`: `''` is a quote; `\'` refused (it depends on standard_conforming_strings).
        case plain
        /// `E'…'`: backslash escapes.
        case escaped
        /// `U&'…'`: `''` is a quote, backslashes kept for the Unicode decoding.
        case unicode
        /// `B'…'`, `X'…'`: no doubling, no escapes.
        case bits
    }

    /// A quoted string in `mode`, `i` at its opening quote, with any continuations; returns the content.
    private mutating func literal(_ mode: LiteralMode) throws(SQLProblem) -> String {
        let start = i
        let quote = UInt8(ascii: "'")
        let backslash = UInt8(ascii: "\\")
        var content: [UInt8] = []
        while true {
            i += 1  // the opening quote
            while true {
                guard i < z.count else { throw refuse(start, "a string literal is never closed") }
                let c = z[i]
                if c == quote {
                    if mode != .bits, at(i + 1) == quote {
                        content.append(quote)
                        i += 2
                        continue
                    }
                    i += 1
                    break
                }
                if c == backslash {
                    if mode == .plain, at(i + 1) == quote {
                        throw refuse(
                            start,
                            "a string literal has \\' in it, which ends the string or not depending on "
                                + "standard_conforming_strings; write '' for a quote, or E'…' with \\'"
                        )
                    }
                    if mode == .escaped {
                        guard i + 1 < z.count else { throw refuse(start, "a string literal is never closed") }
                        content.append(z[i + 1])
                        i += 2
                        continue
                    }
                }
                content.append(c)
                i += 1
            }
            guard let next = continuation(after: i) else { break }
            comments.append(i..<next)
            i = next
        }
        return String(decoding: content, as: UTF8.self)
    }

    /// scan.l's `quotecontinue`: where the quote that continues a literal ending before `index` is —
    /// whitespace holding a newline (`--` comments allowed, each ending at a newline) then `'`.
    private func continuation(after index: Int) -> Int? {
        var k = index
        func skipComment() { while k < z.count, !Self.isNewline(z[k]) { k += 1 } }
        func atComment() -> Bool { at(k) == UInt8(ascii: "-") && at(k + 1) == UInt8(ascii: "-") }
        while [0x20, 0x09, 0x0C].contains(at(k)) || atComment() {
            if atComment() { skipComment() } else { k += 1 }
        }
        guard Self.isNewline(at(k)) else { return nil }
        k += 1
        while true {
            if Self.isSpace(at(k)) {
                k += 1
            } else if atComment() {
                skipComment()
                guard Self.isNewline(at(k)) else { return nil }
                k += 1
            } else {
                break
            }
        }
        return at(k) == UInt8(ascii: "'") ? k : nil
    }

    /// Decodes a `U&` literal's `raw` inside, with `\\` or the character a following
    /// `UESCAPE '…'` names (which is consumed), as `parser.c` and `str_udeescape` do.
    private mutating func unicodeEscaped(_ raw: String, start: Int) throws(SQLProblem) -> String {
        var escape = UInt8(ascii: "\\")
        let resume = i
        try skipSpace()
        if i + 7 <= z.count, asciiLowercased(text(i..<(i + 7))) == "uescape", !Self.isIdentifierPart(at(i + 7)) {
            i += 7
            try skipSpace()
            let literalStart = i
            let content: String
            if at(i) == UInt8(ascii: "'") {
                content = try literal(.plain)
            } else if at(i) | 0x20 == UInt8(ascii: "e"), at(i + 1) == UInt8(ascii: "'") {
                i += 1
                content = try literal(.escaped)
            } else if at(i) == UInt8(ascii: "$"), case let token = try dollar(), token.kind == .string {
                content = token.text
            } else {
                throw refuse(literalStart, "UESCAPE must be followed by a simple string literal")
            }
            let bytes = Array(content.utf8)
            guard bytes.count == 1, let character = bytes.first,
                !Self.isSpace(character), !"0123456789abcdefABCDEF+'\"".utf8.contains(character)
            else { throw refuse(literalStart, "an invalid Unicode escape character for UESCAPE") }
            escape = character
        } else {
            i = resume
        }
        guard let decoded = Self.decodeUnicode(Array(raw.utf8), escape: escape) else {
            throw refuse(start, "an invalid Unicode escape in a U& literal")
        }
        return decoded
    }

    /// `$1`, or a dollar-quoted string `$tag$…$tag$`.
    private mutating func dollar() throws(SQLProblem) -> SQLToken {
        let start = i
        if Self.isDigit(at(i + 1)) {
            i += 1
            while Self.isDigit(at(i)) { i += 1 }
            if Self.isIdentifierStart(at(i)) { throw refuse(start, "a parameter runs into an identifier") }
            return SQLToken(.parameter, text(start..<i), at: start)
        }
        var end = i + 1
        if Self.isIdentifierStart(at(end)) {
            end += 1
            while Self.isIdentifierStart(at(end)) || Self.isDigit(at(end)) { end += 1 }
        }
        guard at(end) == UInt8(ascii: "$") else {
            throw refuse(start, "a '$' that starts neither a parameter ($1) nor a dollar-quoted string")
        }
        let tag = Array(z[start...end])
        let body = end + 1
        var k = body
        while k + tag.count <= z.count {
            if z[k] == UInt8(ascii: "$"), z[k..<(k + tag.count)].elementsEqual(tag) {
                i = k + tag.count
                return SQLToken(.string, text(body..<k), at: start)
            }
            k += 1
        }
        throw refuse(start, "a dollar-quoted string \(String(decoding: tag, as: UTF8.self)) is never closed")
    }

    /// A numeric literal (PostgreSQL 16's forms); a letter right after it is refused.
    private mutating func number() throws(SQLProblem) -> SQLToken {
        let start = i
        func digits(_ accept: (UInt8) -> Bool) -> Bool {
            guard accept(at(i)) else { return false }
            while accept(at(i)) || (at(i) == UInt8(ascii: "_") && accept(at(i + 1))) { i += 1 }
            return true
        }
        let prefix = at(i + 1) | 0x20
        if at(i) == UInt8(ascii: "0"), [UInt8(ascii: "x"), UInt8(ascii: "o"), UInt8(ascii: "b")].contains(prefix) {
            i += 2
            if at(i) == UInt8(ascii: "_") { i += 1 }
            let accept: (UInt8) -> Bool =
                switch prefix {
                case UInt8(ascii: "x"): { Self.isDigit($0) || (0x61...0x66).contains($0 | 0x20) }
                case UInt8(ascii: "o"): { (0x30...0x37).contains($0) }
                default: { $0 == 0x30 || $0 == 0x31 }
                }
            guard digits(accept) else { throw refuse(start, "a numeric literal has no digits after its prefix") }
        } else {
            _ = digits(Self.isDigit)
            if at(i) == UInt8(ascii: "."), at(i + 1) != UInt8(ascii: ".") {
                i += 1
                _ = digits(Self.isDigit)
            }
            if at(i) | 0x20 == UInt8(ascii: "e") {
                let sign = at(i + 1) == UInt8(ascii: "+") || at(i + 1) == UInt8(ascii: "-")
                if Self.isDigit(at(i + (sign ? 2 : 1))) {
                    i += sign ? 2 : 1
                    _ = digits(Self.isDigit)
                } else if sign {
                    throw refuse(start, "an exponent has no digits")
                }
            }
        }
        if Self.isIdentifierStart(at(i)) { throw refuse(start, "trailing junk after a numeric literal") }
        return SQLToken(.number, text(start..<i), at: start)
    }
}
