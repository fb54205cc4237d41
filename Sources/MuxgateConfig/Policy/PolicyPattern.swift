import MuxgateWire

/// A regular expression from the configuration, compiled once at load.
///
/// Matching searches the value (`firstMatch`), so anchor with `^…$` to constrain the whole value.
/// `Regex` is not annotated `Sendable`, but it is immutable and its lazily compiled program is
/// initialized atomically, so sharing it across tasks is safe.
package struct PolicyPattern: @unchecked Sendable, CustomStringConvertible {
    package let pattern: String
    private let regex: Regex<AnyRegexOutput>

    /// Compiles `pattern`; throws the regex parser's error when it is invalid.
    package init(_ pattern: String) throws {
        self.pattern = pattern
        self.regex = try Regex(pattern)
    }

    package var description: String { pattern }

    /// True when the pattern matches somewhere in `text`; nil when matching failed (callers fail closed).
    package func matches(_ text: String) -> Bool? {
        do {
            return try regex.firstMatch(in: text) != nil
        } catch {
            return nil
        }
    }
}
