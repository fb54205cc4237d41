import MuxgateConfig
import MuxgateWire

/// SQLite's tokenizer, rule for rule: a port of `sqlite3GetToken` in SQLite's `src/tokenize.c`.
///
/// - Whitespace is `\t \n \f \r` and space to start a run, which then also takes `\v`
///   (`sqlite3Isspace`); a `\v` that starts a token is illegal. A UTF-8 byte order mark is space.
/// - `--` comments end at `\n` only (a `\r` does not end them); a `/*` comment may run to the end of
///   the text (legal in SQLite), and `/*` as the very last two bytes is `/` then `*`.
/// - Identifier characters (`IdChar`): ASCII letters, digits, `_`, `$` and every byte ≥ 0x80.
/// - `'…'` is a string, `"…"` and `` `…` `` quoted identifiers (the delimiter doubled inside),
///   `[…]` a quoted identifier that ends at the first `]`; unterminated, each is illegal.
/// - Variables: `?NNN`; `$`, `@`, `:` and `#` followed by identifier characters, where `::` is part
///   of the name and, after at least one identifier character, `(` runs to the first whitespace or
///   `)` — so `$a(x'y)` is **one** token, quote and all (Tcl's array syntax); no name → illegal.
/// - Numbers: decimal, `0x` hex, `.5`, exponents, `_` digit separators (newer SQLite); a number
///   running straight into an identifier character is illegal (`1abc`, `0x`, `1e`).
/// - `X'…'` blobs: an even number of hex digits, else illegal.
/// - Operators: `-> ->> == = <= <> << < >= >> > != || | + - * / % & ~ , . ( ) ;`; a lone `!` and
///   every other byte (`\ ^ { } ]`, control characters) are illegal.
///
/// An illegal token is a `SQLProblem`: SQLite would refuse the statement, and muxgate does too.
package struct SQLiteTokenizer {
    private let z: [UInt8]
    private var i = 0

    package init(_ bytes: [UInt8]) { z = bytes }

    /// The byte at `index`, or 0 past the end (SQLite reads a NUL-terminated string).
    private func at(_ index: Int) -> UInt8 { index < z.count ? z[index] : 0 }

    package static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (0x09...0x0D).contains(c) }
    package static func isDigit(_ c: UInt8) -> Bool { (0x30...0x39).contains(c) }
    package static func isXDigit(_ c: UInt8) -> Bool {
        isDigit(c) || (0x41...0x46).contains(c) || (0x61...0x66).contains(c)
    }
    package static func isIdChar(_ c: UInt8) -> Bool {
        (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || isDigit(c) || c == 0x5F || c == 0x24 || c >= 0x80
    }

    package mutating func tokens() throws(SQLProblem) -> [SQLToken] {
        var list: [SQLToken] = []
        while i < z.count {
            if let token = try next() { list.append(token) }
        }
        return list
    }

    private func text(_ range: Range<Int>) -> String { String(decoding: z[range], as: UTF8.self) }

    private func illegal(_ start: Int, _ end: Int, _ why: String) -> SQLProblem {
        SQLProblem("SQLite cannot read '\(excerpt(z[start..<min(max(end, start + 1), z.count)]))': \(why)")
    }

    /// Reads one token at `i`; nil for whitespace and comments.
    private mutating func next() throws(SQLProblem) -> SQLToken? {
        let start = i
        let c = z[i]
        func single(_ kind: SQLToken.Kind, _ length: Int = 1) -> SQLToken {
            i += length
            return SQLToken(kind, text(start..<i), at: start)
        }
        switch c {
        case 0x09, 0x0A, 0x0C, 0x0D, 0x20:
            i += 1
            while Self.isSpace(at(i)) { i += 1 }
            return nil
        case UInt8(ascii: "-"):
            if at(i + 1) == UInt8(ascii: "-") {
                while i < z.count, z[i] != 0x0A { i += 1 }
                return nil
            }
            if at(i + 1) == UInt8(ascii: ">") { return single(.op, at(i + 2) == UInt8(ascii: ">") ? 3 : 2) }
            return single(.op)
        case UInt8(ascii: "("): return single(.open)
        case UInt8(ascii: ")"): return single(.close)
        case UInt8(ascii: ";"): return single(.semicolon)
        case UInt8(ascii: ","): return single(.comma)
        case UInt8(ascii: "+"), UInt8(ascii: "*"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "~"):
            return single(.op)
        case UInt8(ascii: "/"):
            guard at(i + 1) == UInt8(ascii: "*"), at(i + 2) != 0 else { return single(.op) }
            // As tokenize.c: the comment ends after "*/", or runs to the end of the text.
            var previous = at(i + 2)
            var j = i + 3
            while !(previous == UInt8(ascii: "*") && at(j) == UInt8(ascii: "/")), at(j) != 0 {
                previous = at(j)
                j += 1
            }
            i = at(j) == 0 ? j : j + 1
            return nil
        case UInt8(ascii: "="): return single(.op, at(i + 1) == UInt8(ascii: "=") ? 2 : 1)
        case UInt8(ascii: "<"):
            let second = at(i + 1)
            return single(.op, [UInt8(ascii: "="), UInt8(ascii: ">"), UInt8(ascii: "<")].contains(second) ? 2 : 1)
        case UInt8(ascii: ">"):
            let second = at(i + 1)
            return single(.op, second == UInt8(ascii: "=") || second == UInt8(ascii: ">") ? 2 : 1)
        case UInt8(ascii: "!"):
            guard at(i + 1) == UInt8(ascii: "=") else { throw illegal(i, i + 1, "a '!' not followed by '='") }
            return single(.op, 2)
        case UInt8(ascii: "|"): return single(.op, at(i + 1) == UInt8(ascii: "|") ? 2 : 1)
        case UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "`"):
            return try quoted(delimiter: c)
        case UInt8(ascii: "."):
            if !Self.isDigit(at(i + 1)) { return single(.dot) }
            return try number()
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try number()
        case UInt8(ascii: "["):
            var j = i + 1
            while at(j) != 0, at(j) != UInt8(ascii: "]") { j += 1 }
            guard at(j) == UInt8(ascii: "]") else { throw illegal(i, j, "a [identifier] is never closed") }
            i = j + 1
            return SQLToken(.quotedIdentifier, text((start + 1)..<j), at: start)
        case UInt8(ascii: "?"):
            i += 1
            while Self.isDigit(at(i)) { i += 1 }
            return SQLToken(.parameter, text(start..<i), at: start)
        case UInt8(ascii: "$"), UInt8(ascii: "@"), UInt8(ascii: ":"), UInt8(ascii: "#"):
            return try variable()
        case UInt8(ascii: "x"), UInt8(ascii: "X"):
            if at(i + 1) == UInt8(ascii: "'") { return try blob() }
            return word()
        case 0xEF where at(i + 1) == 0xBB && at(i + 2) == 0xBF:
            i += 3
            return nil
        default:
            if Self.isIdChar(c) { return word() }
            throw illegal(i, i + 1, "SQLite has no token that starts with this character")
        }
    }

    private mutating func word() -> SQLToken {
        let start = i
        i += 1
        while Self.isIdChar(at(i)) { i += 1 }
        return SQLToken(.word, text(start..<i), at: start)
    }

    /// `'…'` (a string) or `"…"` / `` `…` `` (an identifier), the delimiter doubled inside.
    private mutating func quoted(delimiter: UInt8) throws(SQLProblem) -> SQLToken {
        let start = i
        var content: [UInt8] = []
        var j = i + 1
        while true {
            let c = at(j)
            if c == 0 {
                let what = delimiter == UInt8(ascii: "'") ? "a string literal" : "a quoted identifier"
                throw illegal(start, j, "\(what) is never closed")
            }
            if c == delimiter {
                if at(j + 1) == delimiter {
                    content.append(c)
                    j += 2
                    continue
                }
                break
            }
            content.append(c)
            j += 1
        }
        i = j + 1
        let kind: SQLToken.Kind = delimiter == UInt8(ascii: "'") ? .string : .quotedIdentifier
        return SQLToken(kind, String(decoding: content, as: UTF8.self), at: start)
    }

    /// A numeric literal, as tokenize.c reads it (`_` separators included); identifier characters
    /// right after it make the whole run illegal.
    private mutating func number() throws(SQLProblem) -> SQLToken {
        let start = i
        func digits(_ accept: (UInt8) -> Bool) {
            while accept(at(i)) || at(i) == UInt8(ascii: "_") { i += 1 }
        }
        if at(i) == UInt8(ascii: "0"), at(i + 1) == UInt8(ascii: "x") || at(i + 1) == UInt8(ascii: "X"),
            Self.isXDigit(at(i + 2))
        {
            i += 3
            digits(Self.isXDigit)
        } else {
            digits(Self.isDigit)
            if at(i) == UInt8(ascii: ".") {
                i += 1
                digits(Self.isDigit)
            }
            let e = at(i)
            if e == UInt8(ascii: "e") || e == UInt8(ascii: "E"),
                Self.isDigit(at(i + 1))
                    || ((at(i + 1) == UInt8(ascii: "+") || at(i + 1) == UInt8(ascii: "-")) && Self.isDigit(at(i + 2)))
            {
                i += 2
                digits(Self.isDigit)
            }
        }
        if Self.isIdChar(at(i)) {
            var end = i
            while Self.isIdChar(at(end)) { end += 1 }
            throw illegal(start, end, "a number runs straight into identifier characters")
        }
        return SQLToken(.number, text(start..<i), at: start)
    }

    /// `$name`, `@name`, `:name`, `#name`, with Tcl's `::` and `(…)` forms (tokenize.c, CC_VARALPHA).
    private mutating func variable() throws(SQLProblem) -> SQLToken {
        let start = i
        var named = 0
        var j = i + 1
        scan: while true {
            let c = at(j)
            if c == 0 { break }
            if Self.isIdChar(c) {
                named += 1
            } else if c == UInt8(ascii: "("), named > 0 {
                repeat { j += 1 } while at(j) != 0 && !Self.isSpace(at(j)) && at(j) != UInt8(ascii: ")")
                guard at(j) == UInt8(ascii: ")") else {
                    throw illegal(start, j, "a variable's '(' is not closed before whitespace or the end")
                }
                j += 1
                break scan
            } else if c == UInt8(ascii: ":"), at(j + 1) == UInt8(ascii: ":") {
                j += 1
            } else {
                break
            }
            j += 1
        }
        guard named > 0 else { throw illegal(start, j, "a '\(Character(Unicode.Scalar(z[start])))' names no variable") }
        i = j
        return SQLToken(.parameter, text(start..<j), at: start)
    }

    /// `X'…'`: an even number of hex digits.
    private mutating func blob() throws(SQLProblem) -> SQLToken {
        let start = i
        var j = i + 2
        while Self.isXDigit(at(j)) { j += 1 }
        guard at(j) == UInt8(ascii: "'"), (j - start) % 2 == 0 else {
            while at(j) != 0, at(j) != UInt8(ascii: "'") { j += 1 }
            throw illegal(start, j + 1, "a blob literal needs an even number of hex digits and a closing quote")
        }
        i = j + 1
        return SQLToken(.blob, text((start + 2)..<j), at: start)
    }
}
