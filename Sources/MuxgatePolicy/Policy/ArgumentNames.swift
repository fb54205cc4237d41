import MuxgateConfig
package import MuxgateWire

/// The argument names a tool's input schema declares, to find keys that a reader matching names
/// without regard to case would take for one of them.
///
/// Go's `encoding/json` fills a struct field from any key equal to its name under Unicode case
/// folding (`BRANCH`, `Branch`, and with the Kelvin sign `K` for `k`). muxgate reads keys exactly.
/// So a call whose `arguments` hold `Branch` next to, or instead of, a declared `branch` is read
/// two ways: the policy judges one value (or none), the child runs another. Such a call is refused.
package struct ArgumentNames: Sendable {
    /// The declared names (and those muxgate reads).
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

    /// The names an `inputSchema` declares in `properties`, at every depth it describes, and at
    /// the top level the names muxgate itself reads (`also`: rule arguments, operator-set ones).
    package init(schema: JSONSlice?, also: [String] = [], depth: Int = 0) {
        var exact: Set<String> = []
        var folded: [String: String] = [:]
        var nested: [String: ArgumentNames] = [:]
        if depth < 16, let properties = schema?["properties"], properties.kind == .object {
            for member in properties.members {
                exact.insert(member.key)
                folded[Self.fold(member.key)] = member.key
                let inner = member.value["properties"] != nil ? member.value : member.value["items"]
                let names = ArgumentNames(schema: inner, depth: depth + 1)
                if !names.folded.isEmpty { nested[member.key] = names }
            }
        }
        // Names muxgate reads that the schema does not declare: a key equal to one is fine (it
        // is read as written); one that differs only by case is not.
        for name in also where !exact.contains(name) {
            folded[Self.fold(name)] = name
            exact.insert(name)
        }
        self.init(exact: exact, folded: folded, nested: nested)
    }

    /// A key as a case-insensitive reader compares it: upper-cased then lower-cased, so `ſ` meets
    /// `s` and the Kelvin sign meets `k` (folding a little more than Go does only refuses more).
    package static func fold(_ name: String) -> String { name.uppercased().lowercased() }

    /// A key that differs from a declared name (or one muxgate reads) only by case.
    ///
    /// - Returns: Why the arguments can be read two ways, or nil. A tool that declares no name
    ///   and has none read by muxgate costs nothing here.
    package func caseConflict(in arguments: JSONSlice?) -> String? {
        guard !folded.isEmpty, let arguments, arguments.kind == .object else { return nil }
        return conflict(in: arguments, path: "arguments")
    }

    private func conflict(in object: JSONSlice, path: String) -> String? {
        var found: String?
        object.forEachMember { member in
            let key = member.key
            if exact.contains(key) {
                if let inner = nested[key] {
                    for value in member.value.kind == .array ? member.value.elements : [member.value]
                    where value.kind == .object {
                        found = inner.conflict(in: value, path: path + "." + key)
                        if found != nil { return false }
                    }
                }
                return true
            }
            guard let declared = folded[Self.fold(key)] else { return true }
            found =
                "\(path) has the key \"\(key)\", which differs only by case from \"\(declared)\", a name the "
                + "tool reads; a child that matches names without regard to case would take one for the other"
            return false
        }
        return found
    }
}
