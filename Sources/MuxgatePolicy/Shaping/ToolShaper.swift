package import MuxgateConfig
package import MuxgateWire

/// Applies one child's `tools:` shaping to its tool definitions and to calls of them.
///
/// Definitions are rewritten by splicing: only the name (when renamed), the description (when a
/// rule applies or it carries invisible characters) and the affected parts of `inputSchema`
/// change; every other byte is the child's. A definition that needs no change comes back as
/// the child's exact bytes.
package struct ToolShaper: Sendable {
    package let server: String
    package let config: ToolShapingConfig

    package init(server: String, config: ToolShapingConfig) {
        self.server = server
        self.config = config
    }

    /// True when the child's tool passes `allow` and `deny`.
    package func admits(_ childName: String) -> Bool {
        config.filter.admits(childName)
    }

    /// The name a tool is exposed under before namespacing.
    package func exposedName(_ childName: String) -> String {
        config.rename[childName] ?? childName
    }

    /// The tool as exposed, or nil when it is filtered out (or has no string `name`).
    ///
    /// Invisible and bidi control characters are removed from the description and from every
    /// `description` string inside `inputSchema` (except inside `default`, `const`, `enum` and
    /// `examples`, which are data), whether or not any rule applies.
    package func shape(_ tool: JSONSlice) -> ShapedTool? {
        guard tool.kind == .object, let nameSlice = tool["name"], let childName = nameSlice.string,
            admits(childName)
        else { return nil }
        let name = exposedName(childName)
        var edits = JSONSplice()
        if name != childName {
            edits.replace(nameSlice.range, with: JSONValue.quoted(name))
        }
        let schema = tool["inputSchema"]
        if let schema, schema.kind == .object {
            editSchema(schema, rules: config.argumentRules(for: childName), into: &edits)
        }
        let descriptionSlice = tool["description"]
        let original = descriptionSlice?.string
        let rewritten = DescriptionText.rewrite(
            original,
            rules: config.describeRules(for: childName),
            server: server,
            tool: childName
        )
        if let text = (rewritten ?? original).map(DescriptionText.stripInvisible),
            original.map({ !$0.unicodeScalars.elementsEqual(text.unicodeScalars) }) ?? true
        {
            if let descriptionSlice {
                edits.replace(descriptionSlice.range, with: JSONValue.quoted(text))
            } else if let last = tool.members.last {
                let end = last.value.range.upperBound
                edits.replace(end..<end, with: Array(",\"description\":".utf8) + JSONValue.quoted(text))
            }
        }
        if let schema {
            stripDescriptions(in: schema, into: &edits)
        }
        let definition = edits.isEmpty ? Array(tool.bytes) : edits.apply(to: tool.buffer, within: tool.range)
        return ShapedTool(childName: childName, name: name, definition: definition)
    }

    /// Removes hidden arguments from `properties` and `required`, documents defaults and drops
    /// them from `required`.
    private func editSchema(
        _ schema: JSONSlice,
        rules: [String: ToolShapingConfig.ArgumentRule],
        into edits: inout JSONSplice
    ) {
        guard !rules.isEmpty else { return }
        var hidden: Set<String> = []
        var defaults: [(key: String, value: [UInt8])] = []
        for (name, rule) in rules.sorted(by: { $0.key < $1.key }) {
            switch rule {
            case .hidden: hidden.insert(name)
            case .defaulted(let value): defaults.append((name, value.encoded))
            }
        }
        var schemaAdditions: [(key: String, value: [UInt8])] = []
        var removeRequired = false
        if let properties = schema["properties"], properties.kind == .object {
            var added: [(key: String, value: [UInt8])] = []
            for (name, value) in defaults {
                if let property = properties[name] {
                    if property.kind == .object {
                        edits.setMember("default", to: value, in: property)
                    }
                } else {
                    added.append((name, Array("{\"default\":".utf8) + value + [UInt8(ascii: "}")]))
                }
            }
            if !hidden.isEmpty || !added.isEmpty {
                edits.editMembers(of: properties, removing: { hidden.contains($0.key) }, appending: added)
            }
        } else if schema["properties"] == nil, !defaults.isEmpty {
            let properties = JSONValue.object(defaults.map { ($0.key, .object([("default", .raw($0.value[...]))])) })
            schemaAdditions.append(("properties", properties.encoded))
        }
        if let required = schema["required"], required.kind == .array {
            let dropped = hidden.union(defaults.map(\.key))
            let drops = required.elements.map { $0.string.map(dropped.contains) ?? false }
            if drops.allSatisfy({ $0 }) {
                removeRequired = !drops.isEmpty
            } else if drops.contains(true) {
                edits.removeElements(of: required) { $0.string.map(dropped.contains) ?? false }
            }
        }
        if removeRequired || !schemaAdditions.isEmpty {
            edits.editMembers(
                of: schema,
                removing: { removeRequired && $0.key == "required" },
                appending: schemaAdditions
            )
        }
    }

    /// Keys whose values are data, not schema: a `description` inside them is not shown as one.
    private static let dataKeywords: Set<String> = ["default", "const", "enum", "examples"]

    /// Strips invisible characters from `description` strings nested anywhere in a schema.
    private func stripDescriptions(in value: JSONSlice, into edits: inout JSONSplice) {
        switch value.kind {
        case .object:
            for member in value.members where !Self.dataKeywords.contains(member.key) {
                if member.key == "description", let text = member.value.string {
                    let stripped = DescriptionText.stripInvisible(text)
                    // A description inside a removed or replaced span is gone anyway.
                    if stripped.unicodeScalars.count != text.unicodeScalars.count
                        && !edits.conflicts(member.value.range)
                    {
                        edits.replace(member.value.range, with: JSONValue.quoted(stripped))
                    }
                } else {
                    stripDescriptions(in: member.value, into: &edits)
                }
            }
        case .array:
            for element in value.elements { stripDescriptions(in: element, into: &edits) }
        default:
            break
        }
    }
}
