/// The SQL a `sql: read_only` rule reads: how its text is split into tokens differs.
package enum SQLDialect: String, Sendable, CaseIterable {
    case sqlite
    case postgres
}

/// A lexer for SQLite's or PostgreSQL's SQL that is just precise enough to judge statements safely.
///
/// SQLite (`tokenize.c`): whitespace is `\t \n \v \f \r` and space; identifier characters are
/// ASCII letters, digits, `_`, `$` and every byte ≥ 0x80. Comments (`-- …` to the end of the line,
/// `/* … */`) are dropped. String literals `'…'` (with `''`), blobs `X'…'`, and quoted identifiers
/// `"…"`, `` `…` `` and `[…]` become single tokens whose contents are never read as keywords.
///
/// PostgreSQL (`scan.l`): the same identifiers and `"…"`; block comments nest; `E'…'` strings take
/// backslash escapes; dollar-quoted strings `$tag$…$tag$`; `$1` is a parameter; `` ` ``, `[`, `]`,
/// `:` and `@` are operator characters, so what follows them is read as code. A `\'` inside a plain
/// `'…'` string is refused: whether it ends the string depends on the server's
/// `standard_conforming_strings`.
///
/// Anything ambiguous is an error, never a guess: unterminated literals, identifiers or block
/// comments, and NUL bytes.
struct SQLTokenizer {
    struct Token: Equatable {
        enum Kind: Equatable {
            /// A keyword or bare identifier.
            case word
            /// A quoted identifier; `text` is its content without quotes.
            case quotedIdentifier
            case string, blob, number, parameter
            case semicolon, open, close
            case symbol
        }

        let kind: Kind
        let text: String

        /// The text upper-cased (ASCII), for keyword comparison.
        var keyword: String { kind == .word ? text.uppercased() : "" }
    }

    /// Why the text could not be tokenized.
    struct Problem: Error, Equatable {
        let message: String
    }

    private let bytes: [UInt8]
    private let dialect: SQLDialect
    private var i = 0

    /// Tokenizes `sql`, dropping whitespace and comments.
    static func tokenize(_ sql: String, dialect: SQLDialect = .sqlite) -> Result<[Token], Problem> {
        var lexer = SQLTokenizer(bytes: Array(sql.utf8), dialect: dialect)
        var tokens: [Token] = []
        do {
            while let token = try lexer.next() { tokens.append(token) }
        } catch {
            return .failure(error)
        }
        return .success(tokens)
    }

    private init(bytes: [UInt8], dialect: SQLDialect) {
        self.bytes = bytes
        self.dialect = dialect
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
    private static func isDigit(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) }
    private static func isIdentifierStart(_ b: UInt8) -> Bool {
        (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == 0x5F || b >= 0x80
    }
    private static func isIdentifierPart(_ b: UInt8) -> Bool { isIdentifierStart(b) || isDigit(b) || b == 0x24 }

    private func byte(_ offset: Int) -> UInt8? { i + offset < bytes.count ? bytes[i + offset] : nil }

    private func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

    private mutating func next() throws(Problem) -> Token? {
        while let b = byte(0) {
            if b == 0 { throw Problem(message: "the text contains a NUL byte") }
            if Self.isSpace(b) {
                i += 1
            } else if b == UInt8(ascii: "-"), byte(1) == UInt8(ascii: "-") {
                while let c = byte(0), c != UInt8(ascii: "\n") { i += 1 }
            } else if b == UInt8(ascii: "/"), byte(1) == UInt8(ascii: "*") {
                try blockComment()
            } else {
                return try token(b)
            }
        }
        return nil
    }

    /// Skips a `/* … */` comment; PostgreSQL's nest.
    private mutating func blockComment() throws(Problem) {
        i += 2
        var depth = 1
        while let c = byte(0) {
            if c == 0 { throw Problem(message: "the text contains a NUL byte") }
            if c == UInt8(ascii: "*"), byte(1) == UInt8(ascii: "/") {
                i += 2
                depth -= 1
                if depth == 0 { return }
            } else if dialect == .postgres, c == UInt8(ascii: "/"), byte(1) == UInt8(ascii: "*") {
                i += 2
                depth += 1
            } else {
                i += 1
            }
        }
        throw Problem(message: "a /* comment is never closed")
    }

    private mutating func token(_ b: UInt8) throws(Problem) -> Token {
        if dialect == .postgres, let token = try postgresToken(b) { return token }
        let start = i
        if b == UInt8(ascii: "x") || b == UInt8(ascii: "X"), byte(1) == UInt8(ascii: "'") {
            i += 1
            return Token(kind: .blob, text: try quoted(close: UInt8(ascii: "'"), doubling: false, what: "blob literal"))
        }
        switch b {
        case UInt8(ascii: "'"):
            return Token(kind: .string, text: try quoted(close: b, doubling: true, what: "string literal"))
        case UInt8(ascii: "\""), UInt8(ascii: "`"):
            return Token(kind: .quotedIdentifier, text: try quoted(close: b, doubling: true, what: "quoted identifier"))
        case UInt8(ascii: "["):
            return Token(
                kind: .quotedIdentifier,
                text: try quoted(close: UInt8(ascii: "]"), doubling: false, what: "[identifier]")
            )
        case UInt8(ascii: ";"):
            i += 1
            return Token(kind: .semicolon, text: ";")
        case UInt8(ascii: "("):
            i += 1
            return Token(kind: .open, text: "(")
        case UInt8(ascii: ")"):
            i += 1
            return Token(kind: .close, text: ")")
        case UInt8(ascii: "?"):
            i += 1
            while let c = byte(0), Self.isDigit(c) { i += 1 }
            return Token(kind: .parameter, text: text(start..<i))
        case UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "$"):
            i += 1
            while let c = byte(0), Self.isIdentifierPart(c) { i += 1 }
            return Token(kind: i - start > 1 ? .parameter : .symbol, text: text(start..<i))
        default:
            break
        }
        if Self.isDigit(b) || (b == UInt8(ascii: ".") && byte(1).map(Self.isDigit) == true) {
            while let c = byte(0), Self.isIdentifierPart(c) || c == UInt8(ascii: ".") { i += 1 }
            return Token(kind: .number, text: text(start..<i))
        }
        if Self.isIdentifierStart(b) {
            while let c = byte(0), Self.isIdentifierPart(c) { i += 1 }
            return Token(kind: .word, text: text(start..<i))
        }
        i += 1
        return Token(kind: .symbol, text: text(start..<i))
    }

    /// The tokens PostgreSQL reads differently from SQLite, or nil for the shared ones.
    private mutating func postgresToken(_ b: UInt8) throws(Problem) -> Token? {
        let quote = UInt8(ascii: "'")
        switch b {
        case UInt8(ascii: "e"), UInt8(ascii: "E"):
            guard byte(1) == quote else { return nil }
            i += 1
            return Token(
                kind: .string,
                text: try quoted(close: quote, doubling: true, backslash: .escapes, what: "string literal E'…'")
            )
        case quote:
            // Whether \' ends the string depends on the server's standard_conforming_strings.
            return Token(
                kind: .string,
                text: try quoted(close: quote, doubling: true, backslash: .refusedBeforeClose, what: "string literal")
            )
        case UInt8(ascii: "$"):
            return try dollar()
        case UInt8(ascii: "`"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: ":"), UInt8(ascii: "@"):
            i += 1
            return Token(kind: .symbol, text: String(decoding: [b], as: UTF8.self))
        default:
            return nil
        }
    }

    /// `$1` (a parameter) or a dollar-quoted string `$tag$…$tag$`.
    private mutating func dollar() throws(Problem) -> Token {
        let start = i
        if let next = byte(1), Self.isDigit(next) {
            i += 1
            while let c = byte(0), Self.isDigit(c) { i += 1 }
            return Token(kind: .parameter, text: text(start..<i))
        }
        var end = i + 1
        if end < bytes.count, Self.isIdentifierStart(bytes[end]) {
            while end < bytes.count, Self.isIdentifierStart(bytes[end]) || Self.isDigit(bytes[end]) { end += 1 }
        }
        guard end < bytes.count, bytes[end] == UInt8(ascii: "$") else {
            throw Problem(message: "a '$' that starts neither a parameter ($1) nor a dollar-quoted string")
        }
        let tag = Array(bytes[start...end])
        i = end + 1
        let contentStart = i
        while i + tag.count <= bytes.count {
            if bytes[i] == 0 { throw Problem(message: "the text contains a NUL byte") }
            if bytes[i] == UInt8(ascii: "$"), Array(bytes[i..<(i + tag.count)]) == tag {
                let content = text(contentStart..<i)
                i += tag.count
                return Token(kind: .string, text: content)
            }
            i += 1
        }
        throw Problem(message: "a dollar-quoted string \(String(decoding: tag, as: UTF8.self)) is never closed")
    }

    /// What a backslash means inside a literal.
    private enum Backslash {
        /// Nothing: it is a character like any other (SQLite; PostgreSQL's identifiers).
        case literal
        /// It escapes the next byte (PostgreSQL's `E'…'`).
        case escapes
        /// Right before the closing quote it is refused: readers disagree on whether it escapes it.
        case refusedBeforeClose
    }

    /// Reads a literal opened by the byte at `i`; returns its content, quote doubling and
    /// backslash escapes undone.
    private mutating func quoted(
        close: UInt8,
        doubling: Bool,
        backslash: Backslash = .literal,
        what: String
    ) throws(Problem) -> String {
        i += 1
        var content: [UInt8] = []
        while let c = byte(0) {
            if c == 0 { throw Problem(message: "the text contains a NUL byte") }
            if c == UInt8(ascii: "\\") {
                switch backslash {
                case .literal: break
                case .escapes:
                    guard let escaped = byte(1) else { throw Problem(message: "a \(what) is never closed") }
                    content.append(escaped)
                    i += 2
                    continue
                case .refusedBeforeClose:
                    guard byte(1) != close else {
                        throw Problem(
                            message: "a string literal has \\' in it, which ends the string or not depending on "
                                + "standard_conforming_strings; write '' for a quote, or E'…' with \\'"
                        )
                    }
                }
            }
            if c == close {
                if doubling, byte(1) == close {
                    content.append(c)
                    i += 2
                    continue
                }
                i += 1
                return String(decoding: content, as: UTF8.self)
            }
            content.append(c)
            i += 1
        }
        throw Problem(message: "a \(what) is never closed")
    }
}
