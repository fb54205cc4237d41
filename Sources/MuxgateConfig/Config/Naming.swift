import Crypto
import MuxgateWire

/// Turns child tool names into exposed names that are valid, unique, stable and fit Claude's budget.
///
/// Claude Code shows a tool as `mcp__<entry>__<name>` and the API accepts `^[a-zA-Z0-9_-]{1,64}$`,
/// so each exposed name has `64 - 7 - entry.count` characters. The rules, in order:
/// 1. characters outside `[A-Za-z0-9_-]` become `_`;
/// 2. the name is `<server><sep><tool>`, except that a tool already starting with `<server><sep>`
///    keeps its name (`git` + `git_status` → `git_status`) unless that collides;
/// 3. names that still collide, and names over the budget, are cut and end in `_` plus 8 hex
///    characters of SHA-256(server NUL tool): deterministic, so stable across restarts.
package struct Naming: Sendable {
    package let entry: String
    package let separator: String

    package init(entry: String, separator: String = "_") {
        self.entry = entry
        self.separator = separator
    }

    /// The longest exposed name that still fits with the IDE's prefix.
    package var budget: Int { 64 - "mcp____".count - entry.count }

    /// The smallest budget muxgate accepts (room for a short prefix and the hash).
    package static let minimumBudget = 16

    package static func isAllowed(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == "-")
    }

    package static func sanitize(_ name: String) -> String {
        let mapped = String(name.map { isAllowed($0) ? $0 : "_" })
        return mapped.isEmpty ? "_" : mapped
    }

    /// A child's item: the server that owns it and the name the child gave it.
    package struct Item: Hashable, Sendable {
        package let server: String
        package let name: String

        package init(server: String, name: String) {
            self.server = server
            self.name = name
        }
    }

    /// Assigns an exposed name to every item; the result depends only on the set of items.
    package func assign(_ items: some Sequence<Item>) -> [Item: String] {
        let items = Set(items).sorted { ($0.server, $0.name) < ($1.server, $1.name) }
        var full: [Item: String] = [:]
        var candidate: [Item: String] = [:]
        for item in items {
            let tool = Naming.sanitize(item.name)
            let prefix = item.server + separator
            full[item] = prefix + tool
            candidate[item] = tool.hasPrefix(prefix) && tool.count > prefix.count ? tool : prefix + tool
        }
        // A shortened (unprefixed) name that collides with anything goes back to its full form.
        var counts = Dictionary(candidate.values.map { ($0, 1) }, uniquingKeysWith: +)
        for item in items where candidate[item] != full[item] && counts[candidate[item]!]! > 1 {
            counts[candidate[item]!]! -= 1
            candidate[item] = full[item]
            counts[full[item]!, default: 0] += 1
        }
        var result: [Item: String] = [:]
        for item in items {
            let name = candidate[item]!
            let collides = counts[name]! > 1
            result[item] = collides || name.count > budget ? hashed(name, item, hexDigits: 8) : name
        }
        // A hashed name could in theory meet a natural one: widen the hash until all are distinct.
        var seen: [String: Item] = [:]
        for item in items {
            var name = result[item]!
            var digits = 8
            while let other = seen[name], other != item, digits < 32 {
                digits += 8
                name = hashed(candidate[item]!, item, hexDigits: digits)
            }
            result[item] = name
            seen[name] = item
        }
        return result
    }

    private func hashed(_ name: String, _ item: Item, hexDigits: Int) -> String {
        let digest = SHA256.hash(data: Array((item.server + "\u{0}" + item.name).utf8))
        let hex = digest.hexString.prefix(hexDigits)
        return String(name.prefix(max(1, budget - hexDigits - 1))) + "_" + hex
    }
}
