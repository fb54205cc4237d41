/// The argument names a tool's input schema declares, to find keys that a reader matching names
/// without regard to case would take for one of them.
///
/// Go's `encoding/json` fills a struct field from any key equal to its name under Unicode case
/// folding (`BRANCH`, `Branch`, and with the Kelvin sign `K` for `k`). muxgate reads keys exactly.
/// So a call whose `arguments` hold `Branch` next to, or instead of, a declared `branch` is read
/// two ways: the policy judges one value (or none), the child runs another. Such a call is refused.
package struct ArgumentNames: Sendable {
    /// The declared names.
    private let exact: Set<String>
    /// Each declared name by its case-folded form.
    private let folded: [String: String]
    /// The names declared inside an object-valued (or array-of-objects) property.
    private let nested: [String: ArgumentNames]

    package static let none = ArgumentNames(exact: [], folded: [:], nested: [:])

    private init(exact: Set<String>, folded: [String: String], nested: [String: ArgumentNames]) {
        self.exact = exact
        self.folded = folded
        self.nested = nested
    }

    /// The names an `inputSchema` declares in `properties`, at every depth it describes.
    package init(schema: JSONSlice?, depth: Int = 0) {
        guard depth < 16, let properties = schema?["properties"], properties.kind == .object else {
            self = .none
            return
        }
        var exact: Set<String> = []
        var folded: [String: String] = [:]
        var nested: [String: ArgumentNames] = [:]
        for member in properties.members {
            exact.insert(member.key)
            folded[Self.fold(member.key)] = member.key
            let inner = member.value["properties"] != nil ? member.value : member.value["items"]
            let names = ArgumentNames(schema: inner, depth: depth + 1)
            if !names.exact.isEmpty { nested[member.key] = names }
        }
        self.init(exact: exact, folded: folded, nested: nested)
    }

    /// A key as a case-insensitive reader compares it: upper-cased then lower-cased, so `ſ` meets
    /// `s` and the Kelvin sign meets `k` (folding a little more than Go does only refuses more).
    package static func fold(_ name: String) -> String { name.uppercased().lowercased() }

    /// A key that differs from a declared name (or one of `also`, the names muxgate itself reads
    /// at the top level: rule arguments, operator-set arguments) only by case.
    ///
    /// - Returns: Why the arguments can be read two ways, or nil.
    ///   Worked out only when a key is not a declared name, so the common call pays nothing for it.
    package func caseConflict(in arguments: JSONSlice?, also: () -> [String] = { [] }) -> String? {
        guard let arguments, arguments.kind == .object else { return nil }
        var extra: [String: String]?
        return conflict(in: arguments, path: "arguments") {
            if let extra { return extra }
            var made: [String: String] = [:]
            for name in also() where !exact.contains(name) { made[Self.fold(name)] = name }
            extra = made
            return made
        }
    }

    private func conflict(in object: JSONSlice, path: String, extra: () -> [String: String]) -> String? {
        var found: String?
        object.forEachMember { member in
            let key = member.key
            if exact.contains(key) {
                if let inner = nested[key] {
                    for value in member.value.kind == .array ? member.value.elements : [member.value]
                    where value.kind == .object {
                        found = inner.conflict(in: value, path: path + "." + key) { [:] }
                        if found != nil { return false }
                    }
                }
                return true
            }
            let folding = Self.fold(key)
            guard let declared = folded[folding] ?? extra()[folding], declared != key else { return true }
            found =
                "\(path) has the key \"\(key)\", which differs only by case from \"\(declared)\", a name the "
                + "tool reads; a child that matches names without regard to case would take one for the other"
            return false
        }
        return found
    }
}
