/// The tools the IDE sees: every child's tools under their exposed names.
///
/// Built from the children's definitions as they sent them; an exposed definition is the child's
/// bytes with only the `name` value replaced, so every other field passes unchanged.
package struct ToolCatalogue: Sendable {
    package struct Entry: Sendable {
        package let exposedName: String
        package let server: String
        package let originalName: String
        /// The definition the IDE sees (the child's bytes, renamed).
        package let definition: [UInt8]
    }

    package private(set) var entries: [Entry] = []
    private var index: [String: Int] = [:]

    package init() {}

    /// Builds the catalogue from each server's tool definitions, in server order.
    ///
    /// - Parameters:
    ///   - naming: The naming rules (entry name, separator, budget).
    ///   - servers: Each server's name and its tools as the child listed them.
    ///   - skipped: Called for each definition that has no usable name.
    package init(
        naming: Naming,
        servers: [(name: String, tools: [JSONSlice])],
        skipped: (String, String) -> Void = { _, _ in }
    ) {
        var items: [(Naming.Item, JSONSlice)] = []
        for (server, tools) in servers {
            var seen: Set<String> = []
            for tool in tools {
                guard tool.kind == .object, let name = tool["name"]?.string, !name.isEmpty else {
                    skipped(server, "a tool without a name: \(tool.text.prefix(120))")
                    continue
                }
                guard seen.insert(name).inserted else {
                    skipped(server, "a second tool named '\(name)'")
                    continue
                }
                items.append((Naming.Item(server: server, name: name), tool))
            }
        }
        let names = naming.assign(items.map(\.0))
        for (item, tool) in items {
            let exposed = names[item]!
            var definition = Array(tool.bytes)
            if exposed != item.name, let nameValue = tool["name"] {
                var splice = JSONSplice()
                splice.replace(
                    (nameValue.range.lowerBound - tool.range.lowerBound)..<(nameValue.range.upperBound
                        - tool.range.lowerBound),
                    with: JSONValue.quoted(exposed)
                )
                definition = splice.apply(to: definition)
            }
            index[exposed] = entries.count
            entries.append(
                Entry(exposedName: exposed, server: item.server, originalName: item.name, definition: definition)
            )
        }
    }

    package subscript(exposedName: String) -> Entry? {
        index[exposedName].map { entries[$0] }
    }

    /// The `tools/list` result: `{"tools":[…]}`.
    package var listResult: JSONValue {
        .object([("tools", .array(entries.map { .raw($0.definition[...]) }))])
    }

    /// True when the IDE would see a different list (names or definitions).
    package func differs(from other: ToolCatalogue) -> Bool {
        entries.count != other.entries.count
            || zip(entries, other.entries).contains {
                $0.exposedName != $1.exposedName || $0.definition != $1.definition
            }
    }
}
