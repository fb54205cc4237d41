package import MuxgateConfig
import MuxgateWire

/// One token of a SQL text, as the dialect's own tokenizer would produce it.
///
/// Whitespace and comments are dropped. A literal's `text` is its content with quotes removed and
/// escapes undone where that matters (quoted identifiers, PostgreSQL's `U&"…"`); an operator's is
/// the operator as the server reads it.
package struct SQLToken: Equatable, Sendable {
    package enum Kind: Equatable, Sendable {
        /// A keyword or bare identifier, as written (case kept).
        case word
        /// A quoted identifier (`"…"`, `` `…` ``, `[…]`, `U&"…"`): `text` is the name.
        case quotedIdentifier
        /// A string literal of any form (`'…'`, `E'…'`, `$$…$$`, `U&'…'`, `N'…'`).
        case string
        /// A blob or bit-string literal (`X'…'`, PostgreSQL's `B'…'`).
        case blob
        case number
        /// A bound parameter (`?`, `?1`, `:a`, `@a`, `$a`, `#a`, `$a(…)`; PostgreSQL `$1`).
        case parameter
        case semicolon, open, close, comma, dot
        /// `[` and `]` (PostgreSQL array subscripts).
        case openBracket, closeBracket
        /// An operator or other punctuation (`=`, `||`, `->>`, `::`, `@>`, …): `text` is it.
        case op
    }

    package let kind: Kind
    package let text: String
    /// Where the token starts in the text's UTF-8 bytes.
    package let offset: Int

    package init(_ kind: Kind, _ text: String, at offset: Int) {
        self.kind = kind
        self.text = text
        self.offset = offset
    }

    /// The text upper-cased (ASCII) for a word, else "" (keywords are ASCII letters and `_`).
    package var keyword: String { kind == .word ? asciiUppercased(text) : "" }
}

/// Why a text could not be tokenized the way its dialect's server would, so muxgate refuses it.
package struct SQLProblem: Error, Equatable, Sendable {
    package let message: String

    package init(_ message: String) { self.message = message }
}

/// Splits a text into `SQLToken`s the way the dialect's server does (`SQLiteTokenizer`,
/// `PostgresTokenizer`).
package enum SQLTokenizer {
    /// Tokenizes `sql`, dropping whitespace and comments; anything the server would not read as
    /// we do, or would reject, is a `SQLProblem`.
    package static func tokenize(_ sql: String, dialect: SQLDialect) -> Result<[SQLToken], SQLProblem> {
        let bytes = Array(sql.utf8)
        if bytes.contains(0) { return .failure(SQLProblem("the text contains a NUL byte")) }
        do throws(SQLProblem) {
            switch dialect {
            case .sqlite:
                var lexer = SQLiteTokenizer(bytes)
                return .success(try lexer.tokens())
            case .postgres:
                var lexer = PostgresTokenizer(bytes)
                return .success(try lexer.tokens())
            }
        } catch {
            return .failure(error)
        }
    }
}

/// `text` with ASCII `A`–`Z` lower-cased and nothing else changed.
package func asciiLowercased(_ text: String) -> String {
    String(decoding: text.utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }, as: UTF8.self)
}

/// A short, printable excerpt of `bytes` for a message.
package func excerpt(_ bytes: ArraySlice<UInt8>, limit: Int = 24) -> String {
    let shown = String(decoding: bytes.prefix(limit), as: UTF8.self)
    let escaped = shown.unicodeScalars.map { scalar -> String in
        scalar.value < 0x20 || scalar.value == 0x7F ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
    }.joined()
    return bytes.count > limit ? escaped + "…" : escaped
}
