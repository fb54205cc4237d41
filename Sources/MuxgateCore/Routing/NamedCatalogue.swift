/// The tools (or prompts) the IDE sees: every child's items, shaped and under their exposed names.
///
/// Built from the children's definitions as they sent them. Each server's `ToolShaper` filters,
/// renames and rewrites; `Naming` then namespaces. An exposed definition is the child's bytes with
/// only those edits spliced in, so every other field passes unchanged.
package struct NamedCatalogue: Sendable {
    package struct Entry: Sendable {
        package let exposedName: String
        package let server: String
        /// The tool's name at the child: what a call is routed to.
        package let originalName: String
        /// The definition the IDE sees (the child's bytes, shaped and renamed).
        package let definition: [UInt8]
        /// The definition exactly as the child sent it.
        package let childDefinition: JSONSlice
        /// True when the name was cut and hashed (to fit the budget or resolve a collision).
        package let isShortened: Bool
    }

    /// One server's input to the catalogue.
    package struct Source: Sendable {
        package let server: String
        package let shaper: ToolShaper
        package let tools: [JSONSlice]

        package init(server: String, shaper: ToolShaper, tools: [JSONSlice]) {
            self.server = server
            self.shaper = shaper
            self.tools = tools
        }
    }

    package private(set) var entries: [Entry] = []
    private var index: [String: Int] = [:]

    package init() {}

    /// Builds the catalogue from each server's tool definitions, in server order.
    ///
    /// - Parameters:
    ///   - naming: The naming rules (entry name, separator, budget).
    ///   - sources: Each server's shaper and its tools as the child listed them.
    ///   - skipped: Called with the server and a description of each definition left out for a
    ///     defect (no name, a duplicate name, a rename that collides).
    package init(naming: Naming, sources: [Source], skipped: (String, String) -> Void = { _, _ in }) {
        var items: [(item: Naming.Item, childName: String, shaped: [UInt8], tool: JSONSlice)] = []
        for source in sources {
            var seen: Set<String> = []
            var exposedBases: Set<String> = []
            for tool in source.tools {
                guard tool.kind == .object, let name = tool["name"]?.string, !name.isEmpty else {
                    skipped(source.server, "a tool without a name: \(tool.text.prefix(120))")
                    continue
                }
                guard seen.insert(name).inserted else {
                    skipped(source.server, "a second tool named '\(name)'")
                    continue
                }
                guard let shaped = source.shaper.shape(tool) else { continue }
                guard exposedBases.insert(shaped.name).inserted else {
                    skipped(
                        source.server,
                        "tool '\(name)': its name '\(shaped.name)' is already taken (check tools.rename)"
                    )
                    continue
                }
                items.append((Naming.Item(server: source.server, name: shaped.name), name, shaped.definition, tool))
            }
        }
        let names = naming.assign(items.map(\.item))
        for (item, childName, shaped, tool) in items {
            let exposed = names[item]!
            var definition = shaped
            if exposed != item.name, let parsed = try? JSONSlice.parse(shaped), let nameValue = parsed["name"] {
                var splice = JSONSplice()
                splice.replace(nameValue.range, with: JSONValue.quoted(exposed))
                definition = splice.apply(to: parsed.buffer)
            }
            let natural = Naming.sanitize(item.name)
            let shortened = exposed != natural && exposed != item.server + naming.separator + natural
            index[exposed] = entries.count
            entries.append(
                Entry(
                    exposedName: exposed,
                    server: item.server,
                    originalName: childName,
                    definition: definition,
                    childDefinition: tool,
                    isShortened: shortened
                )
            )
        }
    }

    package subscript(exposedName: String) -> Entry? {
        index[exposedName].map { entries[$0] }
    }

    /// A list result: `{"<key>":[…]}` (`tools` or `prompts`).
    package func listResult(key: String) -> JSONValue {
        .object([(key, .array(entries.map { .raw($0.definition[...]) }))])
    }

    /// True when the IDE would see a different list (names or definitions).
    package func differs(from other: NamedCatalogue) -> Bool {
        entries.count != other.entries.count
            || zip(entries, other.entries).contains {
                $0.exposedName != $1.exposedName || $0.definition != $1.definition
            }
    }
}
