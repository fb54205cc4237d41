/// A lexer for SQLite's SQL that is just precise enough to judge statements safely.
///
/// It follows SQLite's tokenizer (`tokenize.c`): whitespace is `\t \n \v \f \r` and space;
/// identifier characters are ASCII letters, digits, `_`, `$` and every byte ≥ 0x80. Comments
/// (`-- …` to the end of the line, `/* … */`) are dropped. String literals `'…'` (with `''`),
/// blobs `X'…'`, and quoted identifiers `"…"`, `` `…` `` and `[…]` become single tokens whose
/// contents are never read as keywords. Anything ambiguous is an error, never a guess: unterminated
/// literals, identifiers or block comments, and NUL bytes.
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
    private var i = 0

    /// Tokenizes `sql`, dropping whitespace and comments.
    static func tokenize(_ sql: String) -> Result<[Token], Problem> {
        var lexer = SQLTokenizer(bytes: Array(sql.utf8))
        var tokens: [Token] = []
        do {
            while let token = try lexer.next() { tokens.append(token) }
        } catch {
            return .failure(error)
        }
        return .success(tokens)
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

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
                i += 2
                while byte(0) != nil, !(byte(0) == UInt8(ascii: "*") && byte(1) == UInt8(ascii: "/")) { i += 1 }
                guard byte(0) != nil else { throw Problem(message: "a /* comment is never closed") }
                i += 2
            } else {
                return try token(b)
            }
        }
        return nil
    }

    private mutating func token(_ b: UInt8) throws(Problem) -> Token {
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

    /// Reads a literal opened by the byte at `i`; returns its content, quote doubling undone.
    private mutating func quoted(close: UInt8, doubling: Bool, what: String) throws(Problem) -> String {
        i += 1
        var content: [UInt8] = []
        while let c = byte(0) {
            if c == 0 { throw Problem(message: "the text contains a NUL byte") }
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
