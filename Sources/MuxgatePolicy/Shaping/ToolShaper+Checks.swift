import MuxgateConfig
package import MuxgateWire

extension ToolShaper {
    /// One line for each rule that has no effect on the child's tools, for `muxgate check` and start-up.
    ///
    /// Reports allow/deny globs that match no tool, and rename, describe and arguments keys that
    /// match no tool or only tools that allow/deny filter out.
    package func unmatchedRules(childToolNames names: [String]) -> [String] {
        var lines = config.filter.unmatchedRules(section: "tools", server: server, names: names)
        func check(_ section: String, _ glob: Glob) {
            let matched = names.filter(glob.matches)
            if matched.isEmpty {
                lines.append("tools.\(section): '\(glob.pattern)' matched no tool of server '\(server)'")
            } else if !matched.contains(where: admits) {
                lines.append(
                    "tools.\(section): '\(glob.pattern)' matched only tools of server '\(server)' "
                        + "that allow/deny filter out"
                )
            }
        }
        for child in config.rename.keys.sorted() {
            // A rename key is a name, not a pattern: escape it so `*` or `?` in it stays literal.
            let escaped = child.unicodeScalars.map { "*?[]\\".unicodeScalars.contains($0) ? "\\\($0)" : "\($0)" }
            if let glob = try? Glob(escaped.joined()) { check("rename", glob) }
        }
        for rule in config.describe.sorted(by: { $0.glob.pattern < $1.glob.pattern }) { check("describe", rule.glob) }
        for rules in config.arguments.sorted(by: { $0.glob.pattern < $1.glob.pattern }) {
            check("arguments", rules.glob)
        }
        return lines
    }

    /// `unmatchedRules(childToolNames:)`, plus argument rules under a literal tool name that name
    /// an argument missing from that tool's `inputSchema.properties`.
    package func unmatchedRules(childTools tools: [JSONSlice]) -> [String] {
        var lines = unmatchedRules(childToolNames: tools.compactMap { $0["name"]?.string })
        for rules in config.arguments.sorted(by: { $0.glob.pattern < $1.glob.pattern }) {
            guard let name = rules.glob.literal, admits(name),
                let tool = tools.last(where: { $0["name"]?.string == name })
            else { continue }
            let properties = tool["inputSchema"]?["properties"]
            for (argument, rule) in rules.arguments.sorted(by: { $0.key < $1.key }) where properties?[argument] == nil {
                let effect =
                    switch rule {
                    case .hidden: "muxgate still injects it"
                    case .defaulted: "muxgate adds it to the schema"
                    }
                lines.append(
                    "tools.arguments.\(rules.glob.pattern).\(argument): tool '\(name)' of server '\(server)' "
                        + "has no argument '\(argument)' (\(effect))"
                )
            }
        }
        return lines
    }

    /// One line for each exposed name that more than one of the child's admitted tools would get after `rename`.
    package func renameCollisions(childToolNames names: [String]) -> [String] {
        let groups = Dictionary(grouping: names.filter(admits), by: exposedName)
        return groups.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }.map { exposed, children in
            let list = children.sorted().map { "'\($0)'" }.joined(separator: ", ")
            return "tools.rename: \(list) of server '\(server)' would all be exposed as '\(exposed)'"
        }
    }

    /// Warnings about a child's tool description, for `muxgate check`.
    ///
    /// Looks at the description and every `description` inside `inputSchema`. Warns when one
    /// carries invisible or bidi control characters (naming their code points, and the text that
    /// tag characters spell), or reads like instructions hidden from the user: a tag from
    /// `suspiciousTags` (`<IMPORTANT>`, `</system>`, …) or a phrase from `suspiciousPhrases`,
    /// compared case-insensitively with runs of whitespace collapsed. A heuristic: it flags, the
    /// operator decides.
    package func descriptionWarnings(_ tool: JSONSlice) -> [String] {
        let name = tool["name"]?.string ?? "?"
        var texts: [(path: String, text: String)] = []
        if let description = tool["description"]?.string { texts.append(("description", description)) }
        if let schema = tool["inputSchema"] { Self.collectDescriptions(schema, path: "inputSchema", into: &texts) }
        var lines: [String] = []
        for (path, text) in texts {
            let subject = "tool '\(name)' of server '\(server)': \(path)"
            let invisible = DescriptionText.invisibleCodePoints(text)
            if !invisible.isEmpty {
                var line =
                    "\(subject) contains invisible or bidi control characters \(invisible.joined(separator: ", "))"
                let hidden = DescriptionText.hiddenTagText(text)
                if !hidden.isEmpty { line += "; its tag characters spell '\(hidden)'" }
                lines.append(line + " (muxgate removes them)")
            }
            let findings = Self.suspiciousFindings(DescriptionText.stripInvisible(text))
            if !findings.isEmpty {
                let list = findings.map { "'\($0)'" }.joined(separator: ", ")
                lines.append("\(subject) reads like hidden instructions: \(list)")
            }
        }
        return lines
    }

    /// Tag names that mark text addressed to the model rather than the user (tool-poisoning examples).
    package static let suspiciousTags = ["important", "system", "instructions", "instruction", "hidden", "secret"]

    /// Phrases that tell a model to override its instructions or keep something from the user.
    package static let suspiciousPhrases = [
        "ignore previous instructions", "ignore all previous", "ignore the previous", "ignore any previous",
        "disregard previous", "disregard all previous", "forget previous instructions",
        "do not tell the user", "don't tell the user", "do not inform the user", "do not mention this",
        "without telling the user", "without informing the user", "the user must not know",
    ]

    /// The suspicious tags (as found) and phrases in a text.
    package static func suspiciousFindings(_ text: String) -> [String] {
        let folded = String(text.lowercased().map { $0 == "\u{2019}" ? "'" : $0 })
        let normalised = folded.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        var findings: [String] = []
        for tag in suspiciousTags {
            for opening in ["<" + tag, "</" + tag] {
                for ending in [">", " ", "/"] where normalised.contains(opening + ending) {
                    if !findings.contains("<\(tag)>") { findings.append("<\(tag)>") }
                }
            }
        }
        findings += suspiciousPhrases.filter { normalised.contains($0) }
        return findings
    }

    /// Collects the `description` strings nested in a schema, with their dotted paths.
    private static func collectDescriptions(
        _ value: JSONSlice,
        path: String,
        into texts: inout [(path: String, text: String)]
    ) {
        switch value.kind {
        case .object:
            for member in value.members where !["default", "const", "enum", "examples"].contains(member.key) {
                if member.key == "description", let text = member.value.string {
                    texts.append((path + ".description", text))
                } else {
                    collectDescriptions(member.value, path: path + "." + member.key, into: &texts)
                }
            }
        case .array:
            for (index, element) in value.elements.enumerated() {
                collectDescriptions(element, path: path + "[\(index)]", into: &texts)
            }
        default:
            break
        }
    }
}
