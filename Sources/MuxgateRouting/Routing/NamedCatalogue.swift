import MuxgateAudit
import MuxgateChildren
package import MuxgateConfig
package import MuxgatePolicy
import MuxgateTelemetry
package import MuxgateWire

/// The tools (or prompts) the IDE sees: every child's items, shaped and under their exposed names.
///
/// Built from the children's definitions as they sent them. Each server's `ToolShaper` filters,
/// renames and rewrites; `Naming` then namespaces. An exposed definition is the child's bytes with
/// only those edits spliced in, so every other field passes unchanged.
package struct NamedCatalogue: Sendable {
    /// A class: every call looks one up and carries it to its completion, and copying a struct
    /// of this many strings and arrays retained each of them.
    package final class Entry: Sendable {
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
        /// What the tool may do, and who said so (operator, the child's annotations, the default).
        package let scope: Scope
        package let scopeSource: ScopeSource
        /// SHA-256 of the child's whole definition, canonical (`tool_sha256` in the audit trail).
        package let definitionSHA256: String
        /// SHA-256 of the pinned part of the definition (`muxgate.lock`).
        package let pinSHA256: String
        /// The argument names its `inputSchema` declares (for keys that differ only by case).
        package let argumentNames: ArgumentNames
        /// The child's `annotations.openWorldHint` is `true` (read once: the guards ask on every call).
        package let openWorldHint: Bool

        package init(
            exposedName: String,
            server: String,
            originalName: String,
            definition: [UInt8],
            childDefinition: JSONSlice,
            isShortened: Bool,
            scope: Scope,
            scopeSource: ScopeSource,
            definitionSHA256: String,
            pinSHA256: String,
            readArguments: [String] = []
        ) {
            self.exposedName = exposedName
            self.server = server
            self.originalName = originalName
            self.definition = definition
            self.childDefinition = childDefinition
            self.isShortened = isShortened
            self.scope = scope
            self.scopeSource = scopeSource
            self.definitionSHA256 = definitionSHA256
            self.pinSHA256 = pinSHA256
            argumentNames = ArgumentNames(schema: childDefinition["inputSchema"], also: readArguments)
            openWorldHint = childDefinition["annotations"]?["openWorldHint"]?.bool == true
        }
    }

    /// One server's input to the catalogue.
    package struct Source: Sendable {
        package let server: String
        package let shaper: ToolShaper
        package let tools: [JSONSlice]
        /// The operator's scopes for this server, and whether its annotations are trusted.
        package let scopes: ScopesConfig?
        package let trustAnnotations: Bool

        package init(
            server: String,
            shaper: ToolShaper,
            tools: [JSONSlice],
            scopes: ScopesConfig? = nil,
            trustAnnotations: Bool = true
        ) {
            self.server = server
            self.shaper = shaper
            self.tools = tools
            self.scopes = scopes
            self.trustAnnotations = trustAnnotations
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
    ///   - rules: The policy's argument rules: the arguments they read count as names a tool reads.
    package init(
        naming: Naming,
        sources: [Source],
        rules: [PolicyRule] = [],
        skipped: (String, String) -> Void = { _, _ in }
    ) {
        var items: [(item: Naming.Item, childName: String, shaped: [UInt8], tool: JSONSlice, source: Source)] = []
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
                items.append(
                    (Naming.Item(server: source.server, name: shaped.name), name, shaped.definition, tool, source)
                )
            }
        }
        let names = naming.assign(items.map(\.item))
        for (item, childName, shaped, tool, source) in items {
            let exposed = names[item]!
            var definition = shaped
            if exposed != item.name, let parsed = try? JSONSlice.parse(shaped), let nameValue = parsed["name"] {
                var splice = JSONSplice()
                splice.replace(nameValue.range, with: JSONValue.quoted(exposed))
                definition = splice.apply(to: parsed.buffer)
            }
            let natural = Naming.sanitize(item.name)
            let shortened = exposed != natural && exposed != item.server + naming.separator + natural
            let (scope, scopeSource) = ScopeClassifier.classify(
                childToolName: childName,
                annotations: tool["annotations"],
                scopes: source.scopes,
                trustAnnotations: source.trustAnnotations
            )
            index[exposed] = entries.count
            entries.append(
                Entry(
                    exposedName: exposed,
                    server: item.server,
                    originalName: childName,
                    definition: definition,
                    childDefinition: tool,
                    isShortened: shortened,
                    scope: scope,
                    scopeSource: scopeSource,
                    definitionSHA256: AuditCanonical.sha256(of: tool),
                    pinSHA256: ToolPin.sha256(tool),
                    readArguments: rules.filter { $0.tool.matches(exposed) }.map(\.argument)
                        + source.shaper.config.argumentRules(for: childName).keys
                )
            )
        }
    }

    package subscript(exposedName: String) -> Entry? {
        index[exposedName].map { entries[$0] }
    }

    /// The definitions the IDE sees, of the entries `visible` keeps.
    package func items(where visible: (Entry) -> Bool = { _ in true }) -> [JSONValue] {
        entries.filter(visible).map { .raw($0.definition[...]) }
    }

    /// A whole list result: `{"<key>":[…]}` (`tools` or `prompts`), with the entries `visible` keeps.
    package func listResult(key: String, where visible: (Entry) -> Bool = { _ in true }) -> JSONValue {
        .object([(key, .array(items(where: visible)))])
    }

    /// True when the IDE would see a different list (names or definitions) of the `visible` entries.
    package func differs(from other: NamedCatalogue, visible: (Entry) -> Bool = { _ in true }) -> Bool {
        let mine = entries.filter(visible)
        let theirs = other.entries.filter(visible)
        return mine.count != theirs.count
            || zip(mine, theirs).contains { $0.exposedName != $1.exposedName || $0.definition != $1.definition }
    }
}
