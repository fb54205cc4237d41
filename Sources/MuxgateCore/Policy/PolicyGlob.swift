/// A shell-style pattern over tool names: `*` (any run), `?` (one character), `[abc]`, `[a-z]`,
/// `[!abc]` or `[^abc]` (a set), `\x` (a literal `x`).
///
/// A pattern matches the whole name. Malformed patterns (empty, an unclosed `[`, a trailing `\`)
/// are configuration errors.
package struct PolicyGlob: Sendable, Hashable, Decodable, CustomStringConvertible {
    enum Token: Sendable, Hashable {
        case literal(Character)
        case one
        case star
        case set(negated: Bool, ranges: [ClosedRange<Character>])
    }

    /// The pattern as written.
    package let pattern: String
    private let tokens: [Token]

    /// Compiles a pattern; nil when it is malformed (see `problem(in:)`).
    package init?(_ pattern: String) {
        guard case .success(let tokens) = Self.compile(pattern) else { return nil }
        self.pattern = pattern
        self.tokens = tokens
    }

    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        switch Self.compile(text) {
        case .success(let tokens):
            pattern = text
            self.tokens = tokens
        case .failure(let problem):
            throw ConfigIssue(
                .invalidValue,
                at: decoder.codingPath,
                message: "'\(text)' is not a valid glob: \(problem.text)"
            )
        }
    }

    package var description: String { pattern }

    /// True when the pattern has no wildcard: it names exactly one tool.
    package var isLiteral: Bool {
        tokens.allSatisfy { if case .literal = $0 { true } else { false } }
    }

    /// Why `pattern` is malformed, or nil when it compiles.
    package static func problem(in pattern: String) -> String? {
        if case .failure(let problem) = compile(pattern) { return problem.text }
        return nil
    }

    /// True when the whole of `name` matches.
    package func matches(_ name: String) -> Bool {
        let text = Array(name)
        var p = 0
        var s = 0
        var starP = -1
        var starS = 0
        while s < text.count {
            if p < tokens.count, tokens[p] != .star, Self.token(tokens[p], accepts: text[s]) {
                p += 1
                s += 1
            } else if p < tokens.count, tokens[p] == .star {
                starP = p
                starS = s
                p += 1
            } else if starP >= 0 {
                p = starP + 1
                starS += 1
                s = starS
            } else {
                return false
            }
        }
        while p < tokens.count, tokens[p] == .star { p += 1 }
        return p == tokens.count
    }

    private static func token(_ token: Token, accepts character: Character) -> Bool {
        switch token {
        case .literal(let literal): literal == character
        case .one: true
        case .star: true
        case .set(let negated, let ranges): ranges.contains { $0.contains(character) } != negated
        }
    }

    struct Problem: Error {
        let text: String
    }

    private static func compile(_ pattern: String) -> Result<[Token], Problem> {
        guard !pattern.isEmpty else { return .failure(Problem(text: "it is empty")) }
        let characters = Array(pattern)
        var tokens: [Token] = []
        var i = 0
        while i < characters.count {
            let c = characters[i]
            i += 1
            switch c {
            case "*":
                if tokens.last != .star { tokens.append(.star) }
            case "?":
                tokens.append(.one)
            case "\\":
                guard i < characters.count else { return .failure(Problem(text: "it ends with a lone '\\'")) }
                tokens.append(.literal(characters[i]))
                i += 1
            case "[":
                var negated = false
                if i < characters.count, characters[i] == "!" || characters[i] == "^" {
                    negated = true
                    i += 1
                }
                var ranges: [ClosedRange<Character>] = []
                var first = true
                while i < characters.count, characters[i] != "]" || first {
                    first = false
                    let low = characters[i]
                    if i + 2 < characters.count, characters[i + 1] == "-", characters[i + 2] != "]" {
                        let high = characters[i + 2]
                        guard low <= high else {
                            return .failure(Problem(text: "the range '\(low)-\(high)' is reversed"))
                        }
                        ranges.append(low...high)
                        i += 3
                    } else {
                        ranges.append(low...low)
                        i += 1
                    }
                }
                guard i < characters.count else { return .failure(Problem(text: "a '[' is never closed")) }
                i += 1  // the closing ]
                tokens.append(.set(negated: negated, ranges: ranges))
            default:
                tokens.append(.literal(c))
            }
        }
        return .success(tokens)
    }
}
