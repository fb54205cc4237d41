import MuxgateWire

/// A glob pattern that cannot be compiled: which pattern, what is wrong with it, and how to write it.
package struct GlobError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable {
        case empty = "empty pattern"
        case unterminatedClass = "unterminated character class"
        case reversedRange = "reversed range"
        case danglingEscape = "dangling escape"
    }

    package let code: Code
    package let pattern: String
    package let message: String

    package init(_ code: Code, pattern: String, message: String) {
        self.code = code
        self.pattern = pattern
        self.message = message
    }

    package var description: String { "\(code.rawValue) in '\(pattern)': \(message)" }
}
