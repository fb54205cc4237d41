/// A JSON text that could not be read, with the byte offset where reading stopped.
package struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong.
    package enum Reason: String, Sendable {
        case unexpectedEnd = "unexpected end of input"
        case unexpectedByte = "unexpected character"
        case invalidLiteral = "invalid literal"
        case invalidNumber = "invalid number"
        case invalidEscape = "invalid escape sequence"
        case invalidUnicode = "invalid UTF-8 or unpaired surrogate"
        case controlCharacter = "unescaped control character in string"
        case tooDeep = "nesting too deep"
        case trailingData = "data after the JSON value"
        /// Only when asked for (`JSONSlice.parse(_:distinctKeys:)`): an object repeats a key.
        case duplicateKey = "an object repeats a key"
    }

    package let reason: Reason
    package let offset: Int

    package init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    package var description: String { "\(reason.rawValue) at byte \(offset)" }
}
