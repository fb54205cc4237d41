/// A case-insensitive glob over names: `*` matches any run of characters, `?` exactly one.
package struct AuditGlob: Sendable, Hashable, CustomStringConvertible {
    package let pattern: String
    private let characters: [Character]

    package init(_ pattern: String) {
        self.pattern = pattern
        self.characters = Array(pattern.lowercased())
    }

    package var description: String { pattern }

    /// True when `name` matches the whole pattern (case ignored).
    package func matches(_ name: String) -> Bool {
        let text = Array(name.lowercased())
        var p = 0
        var t = 0
        var star: Int?
        var resume = 0
        while t < text.count {
            if p < characters.count, characters[p] == "*" {
                star = p
                resume = t
                p += 1
            } else if p < characters.count, characters[p] == "?" || characters[p] == text[t] {
                p += 1
                t += 1
            } else if let star {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < characters.count, characters[p] == "*" { p += 1 }
        return p == characters.count
    }
}
