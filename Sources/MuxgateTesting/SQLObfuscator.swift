import Foundation
import MuxgateAudit
import MuxgateConfig
import MuxgatePolicy
import MuxgateWire

/// A deterministic source of randomness for generated tests (SplitMix64): the same seed gives the
/// same corpus on every machine.
package struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// True with probability `p`.
    package mutating func chance(_ p: Double) -> Bool { Double(next() % 10_000) < p * 10_000 }

    package mutating func pick<T>(_ options: [T]) -> T { options[Int(next() % UInt64(options.count))] }
}

/// Rewrites a SQL statement into an equivalent one the engine reads the same way: keyword case,
/// identifier and function-name quoting (PostgreSQL's `U&"…"` with and without `UESCAPE`,
/// `pg_catalog.` qualification), string forms (`E'…'`, dollar quotes, `U&'…'`, continuation across a
/// newline, SQLite's `||`), and whitespace and comments between tokens.
///
/// Statements it reads follow one convention: keywords in UPPER case, names in lower case, a
/// function name directly followed by `(`, strings in plain `'…'`.
package struct SQLObfuscator {
    package enum Dialect: Sendable { case sqlite, postgres }

    package let dialect: Dialect
    package var random: SeededRandom
    /// Function names that live in `pg_catalog` (so `pg_catalog.name` still names them).
    package var catalogFunctions: Set<String> = []

    package init(_ dialect: Dialect, seed: UInt64) {
        self.dialect = dialect
        self.random = SeededRandom(seed: seed)
    }

    private enum Piece {
        case space
        case word(String)
        case string(String)
        case other(String)
    }

    /// The base statement cut into words, strings, whitespace and other text; quoted names, prefixed
    /// literals (`E'…'`, `x'…'`, `U&"…"`) and SQLite's parameters stay as written.
    private func pieces(_ sql: String) -> [Piece] {
        var pieces: [Piece] = []
        let chars = Array(sql)
        var i = 0
        /// The index after a literal opened by `chars[start]`, closed by `close`; backslashes escape if asked.
        func closing(_ start: Int, _ close: Character, backslash: Bool = false) -> Int {
            var j = start + 1
            while j < chars.count {
                if backslash, chars[j] == "\\" {
                    j += 2
                    continue
                }
                if chars[j] == close {
                    if close != "]", j + 1 < chars.count, chars[j + 1] == close {
                        j += 2
                        continue
                    }
                    return j + 1
                }
                j += 1
            }
            return chars.count
        }
        func isNamePart(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "$" }
        while i < chars.count {
            let c = chars[i]
            let next: Character? = i + 1 < chars.count ? chars[i + 1] : nil
            let afterNext: Character? = i + 2 < chars.count ? chars[i + 2] : nil
            let startsWord = i == 0 || !isNamePart(chars[i - 1])
            if c == "\"" || (dialect == .sqlite && (c == "`" || c == "[")) {
                let end = closing(i, c == "[" ? "]" : c)
                pieces.append(.other(String(chars[i..<end])))
                i = end
            } else if startsWord, "EeBbXxNn".contains(c), next == "'" {
                let end = closing(i + 1, "'", backslash: c == "E" || c == "e")
                pieces.append(.other(String(chars[i..<end])))
                i = end
            } else if startsWord, c == "U" || c == "u", next == "&", afterNext == "'" || afterNext == "\"" {
                let end = closing(i + 2, afterNext!)
                pieces.append(.other(String(chars[i..<end])))
                i = end
            } else if dialect == .sqlite, "$:@#?".contains(c), let next, isNamePart(next) {
                var j = i + 1
                while j < chars.count, isNamePart(chars[j]) { j += 1 }
                pieces.append(.other(String(chars[i..<j])))
                i = j
            } else if c.isWhitespace {
                while i < chars.count, chars[i].isWhitespace { i += 1 }
                pieces.append(.space)
            } else if c.isLetter || c == "_" {
                var j = i
                while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
                pieces.append(.word(String(chars[i..<j])))
                i = j
            } else if c == "'" {
                var j = i + 1
                var content = ""
                while j < chars.count {
                    if chars[j] == "'" {
                        if j + 1 < chars.count, chars[j + 1] == "'" {
                            content.append("'")
                            j += 2
                            continue
                        }
                        break
                    }
                    content.append(chars[j])
                    j += 1
                }
                pieces.append(.string(content))
                i = j + 1
            } else if c == "$" {
                // A dollar-quoted body or a parameter stays as written.
                var j = i + 1
                while j < chars.count, chars[j] != "$", !chars[j].isWhitespace { j += 1 }
                if j < chars.count, chars[j] == "$" {
                    let tag = String(chars[i...j])
                    var k = j + 1
                    while k + tag.count <= chars.count, String(chars[k..<(k + tag.count)]) != tag { k += 1 }
                    let end = min(chars.count, k + tag.count)
                    pieces.append(.other(String(chars[i..<end])))
                    i = end
                } else {
                    pieces.append(.other(String(chars[i..<j])))
                    i = j
                }
            } else {
                var j = i + 1
                let operatorCharacters = Set("+-*/<>=~!@#%^&|`?:")
                if operatorCharacters.contains(c) {
                    while j < chars.count, operatorCharacters.contains(chars[j]) { j += 1 }
                } else if c.isNumber {
                    while j < chars.count, chars[j].isNumber || chars[j] == "." { j += 1 }
                }
                pieces.append(.other(String(chars[i..<j])))
                i = j
            }
        }
        return pieces
    }

    /// An equivalent form of `sql`.
    package mutating func variant(of sql: String) -> String {
        let pieces = pieces(sql)
        var out = ""
        for (index, piece) in pieces.enumerated() {
            let following = pieces[(index + 1)...].first { if case .space = $0 { false } else { true } }
            let calls = if case .other(let text) = following, text.hasPrefix("(") { true } else { false }
            let previous = index > 0 ? pieces[index - 1] : nil
            let qualified = if case .other(".") = previous { true } else { false }
            switch piece {
            case .space:
                out += separator()
            case .word(let word) where word == word.uppercased() && word.contains(where: \.isLetter):
                out += String(word.map { random.chance(0.5) ? Character($0.lowercased()) : $0 })
            case .word(let word) where calls:
                out += function(word, qualified: qualified)
                if random.chance(0.3) { out += separator() }
            case .word(let word)
            where Self.afterKeyword(pieces, index, "OVER") || Self.afterKeyword(pieces, index, "WINDOW"):
                // SQLite compares window names as written: a quoted one matches no bare reference.
                out += caseFlipped(word)
            case .word(let word):
                out += identifier(word)
            case .string(let content):
                out += string(content, previous: previous)
            case .other(let text):
                out += text
                if text == "(" || text == ",", random.chance(0.2) { out += separator() }
            }
        }
        return out
    }

    /// Whether the word before `index` (past whitespace) is `keyword`.
    private static func afterKeyword(_ pieces: [Piece], _ index: Int, _ keyword: String) -> Bool {
        for piece in pieces[..<index].reversed() {
            switch piece {
            case .space: continue
            case .word(let word): return word.uppercased() == keyword
            default: return false
            }
        }
        return false
    }

    /// Whitespace or a comment that the dialect reads as a token separator.
    package mutating func separator() -> String {
        switch dialect {
        case .sqlite:
            random.pick([" ", "  ", "\t", "\n", "\r\n", "\u{0C}", " /* c */ ", "/**/", " -- c\n", "\n\t", " \u{0B}"])
        case .postgres:
            random.pick([
                " ", "\t", "\n", "\r\n", "\u{0C}", " /* c */ ", "/* a /* b */ c */", " -- c\n", " -- c\r", "\n ",
            ])
        }
    }

    private mutating func caseFlipped(_ word: String) -> String {
        String(word.map { random.chance(0.5) ? Character($0.uppercased()) : $0 })
    }

    private mutating func identifier(_ word: String) -> String {
        switch random.next() % 4 {
        case 0: return word
        case 1: return caseFlipped(word)
        default: return quoted(word)
        }
    }

    /// `word` quoted so the dialect still resolves it to `word`.
    private mutating func quoted(_ word: String) -> String {
        switch dialect {
        case .sqlite:
            let form = random.pick(["\"#\"", "[#]", "`#`"])
            return form.replacingOccurrences(of: "#", with: random.chance(0.5) ? caseFlipped(word) : word)
        case .postgres:
            switch random.next() % 3 {
            case 0: return "\"\(word)\""
            case 1: return "U&\"" + unicodeEscaped(word, escape: "\\") + "\""
            default:
                let escape = random.pick(["!", "#", "*", "=", "^"])
                return "U&\"" + unicodeEscaped(word, escape: escape) + "\"" + separator() + caseFlipped("uescape")
                    + separator() + "'\(escape)'"
            }
        }
    }

    private mutating func unicodeEscaped(_ text: String, escape: String) -> String {
        text.unicodeScalars.map { scalar in
            guard random.chance(0.6) else { return String(scalar) }
            let hex = String(scalar.value, radix: 16, uppercase: random.chance(0.5))
            return random.chance(0.7)
                ? escape + String(repeating: "0", count: 4 - hex.count) + hex
                : escape + "+" + String(repeating: "0", count: 6 - hex.count) + hex
        }.joined()
    }

    private mutating func function(_ word: String, qualified: Bool) -> String {
        let name = random.chance(0.3) ? caseFlipped(word) : random.chance(0.5) ? quoted(word) : word
        guard dialect == .postgres, !qualified, catalogFunctions.contains(word), random.chance(0.4) else { return name }
        let schema = random.pick(["pg_catalog", "PG_CATALOG", "\"pg_catalog\"", "Pg_Catalog"])
        return schema + (random.chance(0.5) ? "." : separator() + "." + separator()) + name
    }

    private mutating func string(_ content: String, previous: Piece?) -> String {
        let plain = "'" + content.replacingOccurrences(of: "'", with: "''") + "'"
        switch dialect {
        case .sqlite:
            let inExpression = if case .other(let text) = previous, text == "(" || text == "," { true } else { false }
            guard inExpression, content.count > 1, random.chance(0.5) else { return plain }
            let cut = content.index(content.startIndex, offsetBy: content.count / 2)
            func literal(_ part: Substring) -> String { "'" + part.replacingOccurrences(of: "'", with: "''") + "'" }
            return literal(content[..<cut]) + " || " + literal(content[cut...])
        case .postgres:
            switch random.next() % 6 {
            case 0: return plain
            case 1:
                return "E'"
                    + content.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
                    + "'"
            case 2 where !content.contains("$"): return "$$" + content + "$$"
            case 3 where !content.contains("$"): return "$q$" + content + "$q$"
            case 4 where !content.contains("\\") && !content.contains("'"):
                return "U&'" + unicodeEscaped(content, escape: "\\") + "'"
            case 5 where content.count > 1 && !content.contains("'"):
                let cut = content.index(content.startIndex, offsetBy: content.count / 2)
                return "'\(content[..<cut])'\n'\(content[cut...])'"
            default: return plain
            }
        }
    }
}
