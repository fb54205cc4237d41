import MuxgateWire

/// A shell-style pattern matched against a whole name or URI.
///
/// `*` matches any run of characters (including none), `?` exactly one, `[abc]`, `[a-z]` and
/// `[!x]` (or `[^x]`) one character in or not in a class, and `\` makes the next character
/// literal. A `]` written first in a class is literal, as is a `-` written first or last.
/// Characters are Unicode scalars. Matching is iterative and runs in O(pattern × text): a
/// failure after a `*` only ever retries from the latest `*`, never from earlier ones.
package struct Glob: Sendable, Hashable, CustomStringConvertible {
    package enum Token: Sendable, Hashable {
        case scalar(Unicode.Scalar)
        case any
        case star
        case set([ClosedRange<UInt32>], negated: Bool)

        package func matches(_ scalar: Unicode.Scalar) -> Bool {
            switch self {
            case .scalar(let expected): return expected == scalar
            case .any: return true
            case .star: return false
            case .set(let ranges, let negated): return ranges.contains { $0.contains(scalar.value) } != negated
            }
        }
    }

    /// The pattern exactly as written.
    package let pattern: String
    package let tokens: [Token]

    /// Compiles a pattern.
    ///
    /// - Throws: `GlobError` for an empty pattern, an unterminated or reversed class, or a
    ///   trailing backslash.
    package init(_ pattern: String) throws(GlobError) {
        guard !pattern.isEmpty else {
            throw GlobError(
                .empty,
                pattern: pattern,
                message: "a pattern must not be empty (use '*' to match everything)"
            )
        }
        self.pattern = pattern
        self.tokens = try Self.compile(Array(pattern.unicodeScalars), pattern)
        self.literal = Self.literal(of: tokens)
    }

    /// True when the pattern has no wildcard or class, so it matches exactly one text.
    package var isLiteral: Bool { literal != nil }

    /// The one text a literal pattern matches (escapes removed); nil for other patterns.
    package let literal: String?

    private static func literal(of tokens: [Token]) -> String? {
        var scalars = String.UnicodeScalarView()
        for token in tokens {
            guard case .scalar(let scalar) = token else { return nil }
            scalars.append(scalar)
        }
        return String(scalars)
    }

    /// How many tokens match one fixed character: a rough measure of how specific the pattern is.
    package var literalCount: Int {
        tokens.count(where: { if case .scalar = $0 { true } else { false } })
    }

    package var description: String { pattern }

    /// Orders patterns from the most general to the most specific, deterministically.
    ///
    /// Wildcard patterns come first, fewest literal characters first; literal names come last.
    /// Ties, and literals among themselves, are ordered by the pattern text. Rules applied in
    /// this order let the specific win.
    package static func generalFirst(_ a: Glob, _ b: Glob) -> Bool {
        func key(_ glob: Glob) -> (Int, Int, String) {
            glob.isLiteral ? (1, 0, glob.pattern) : (0, glob.literalCount, glob.pattern)
        }
        return key(a) < key(b)
    }

    /// True when the pattern matches all of `text`.
    package func matches(_ text: String) -> Bool {
        if let literal { return literal.unicodeScalars.elementsEqual(text.unicodeScalars) }
        return matches(scalars: Array(text.unicodeScalars))
    }

    /// True when the pattern matches all of `text` (its scalars, for a text matched against many
    /// patterns).
    package func matches(scalars text: [Unicode.Scalar]) -> Bool {
        var p = 0
        var t = 0
        var star: (pattern: Int, text: Int)?
        while t < text.count {
            if p < tokens.count, tokens[p] == .star {
                star = (p, t)
                p += 1
            } else if p < tokens.count, tokens[p].matches(text[t]) {
                p += 1
                t += 1
            } else if let last = star {
                // Let the latest `*` swallow one more character and retry after it.
                star = (last.pattern, last.text + 1)
                p = last.pattern + 1
                t = last.text + 1
            } else {
                return false
            }
        }
        while p < tokens.count, tokens[p] == .star { p += 1 }
        return p == tokens.count
    }

    private static func compile(_ scalars: [Unicode.Scalar], _ pattern: String) throws(GlobError) -> [Token] {
        var tokens: [Token] = []
        var i = 0
        while i < scalars.count {
            let scalar = scalars[i]
            switch scalar {
            case "*":
                if tokens.last != .star { tokens.append(.star) }
                i += 1
            case "?":
                tokens.append(.any)
                i += 1
            case "\\":
                guard i + 1 < scalars.count else {
                    throw GlobError(
                        .danglingEscape,
                        pattern: pattern,
                        message: "'\\' at the end escapes nothing (write '\\\\')"
                    )
                }
                tokens.append(.scalar(scalars[i + 1]))
                i += 2
            case "[":
                let (token, next) = try compileClass(scalars, from: i, pattern)
                tokens.append(token)
                i = next
            default:
                tokens.append(.scalar(scalar))
                i += 1
            }
        }
        return tokens
    }

    /// Compiles the class that opens at `start`; returns it and the index after its `]`.
    private static func compileClass(
        _ scalars: [Unicode.Scalar],
        from start: Int,
        _ pattern: String
    ) throws(GlobError) -> (Token, Int) {
        var i = start + 1
        let negated = i < scalars.count && (scalars[i] == "!" || scalars[i] == "^")
        if negated { i += 1 }
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        while i < scalars.count {
            var low = scalars[i]
            if low == "]" && !first { return (.set(ranges, negated: negated), i + 1) }
            first = false
            if low == "\\" {
                guard i + 1 < scalars.count else { break }
                i += 1
                low = scalars[i]
            }
            i += 1
            // A range `a-z`, unless the `-` is the last character of the class.
            if i + 1 < scalars.count, scalars[i] == "-", scalars[i + 1] != "]" {
                var high = scalars[i + 1]
                i += 2
                if high == "\\" {
                    guard i < scalars.count else { break }
                    high = scalars[i]
                    i += 1
                }
                guard low.value <= high.value else {
                    throw GlobError(
                        .reversedRange,
                        pattern: pattern,
                        message: "the range '\(low)-\(high)' is empty (write '\(high)-\(low)')"
                    )
                }
                ranges.append(low.value...high.value)
            } else {
                ranges.append(low.value...low.value)
            }
        }
        throw GlobError(
            .unterminatedClass,
            pattern: pattern,
            message: "'[' opens a class that is never closed with ']' (write '\\[' for a literal '[')"
        )
    }
}
