package import MuxgateConfig
import MuxgateWire

/// Text operations on the descriptions muxgate shows to a model.
package enum DescriptionText {
    /// True for characters a reader cannot see but a model reads: zero-width and joiner characters,
    /// bidi embeddings, overrides and isolates, word joiner and invisible operators, the BOM, the
    /// soft hyphen, the Mongolian vowel separator, and Unicode tag characters (U+E0000–U+E007F,
    /// which can spell out hidden ASCII text).
    package static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x200B...0x200F, 0x202A...0x202E, 0x2060...0x2064, 0x2066...0x2069, 0xFEFF, 0x00AD, 0x180E,
            0xE0000...0xE007F:
            true
        default:
            false
        }
    }

    /// The text without invisible characters.
    package static func stripInvisible(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isInvisible) else { return text }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: text.unicodeScalars.lazy.filter { !isInvisible($0) })
        return String(scalars)
    }

    /// The distinct invisible characters in the text, in order of first appearance, as `U+XXXX`.
    package static func invisibleCodePoints(_ text: String) -> [String] {
        var seen: [String] = []
        for scalar in text.unicodeScalars where isInvisible(scalar) {
            let hex = String(scalar.value, radix: 16, uppercase: true)
            let name = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            if !seen.contains(name) { seen.append(name) }
        }
        return seen
    }

    /// The ASCII text spelled by tag characters (U+E0020–U+E007E), if any.
    package static func hiddenTagText(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars where (0xE0020...0xE007E).contains(scalar.value) {
            out.unicodeScalars.append(Unicode.Scalar(UInt8(scalar.value - 0xE0000)))
        }
        return out
    }

    /// Replaces `{server}`, `{tool}` and `{description}` in one pass; other braces stay as written.
    ///
    /// One pass, so a tool name or description that itself contains a placeholder is not expanded again.
    package static func substitute(_ template: String, server: String, tool: String, description: String) -> String {
        guard template.contains("{") else { return template }
        let values = ["{server}": server, "{tool}": tool, "{description}": description]
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            rest = rest[open...]
            if let (placeholder, value) = values.first(where: { rest.hasPrefix($0.key) }) {
                out += value
                rest = rest.dropFirst(placeholder.count)
            } else {
                out += "{"
                rest = rest.dropFirst()
            }
        }
        return out + rest
    }

    /// Applies describe rules to a description: every `replace` (the last one wins), then every
    /// `prepend` (each goes in front, so the most specific ends up first), then every `append`.
    ///
    /// - Returns: the new text, or nil when no rule applies (the description stays as the child wrote it).
    package static func rewrite(
        _ original: String?,
        rules: [ToolShapingConfig.DescribeRule],
        server: String,
        tool: String
    ) -> String? {
        guard !rules.isEmpty else { return nil }
        let description = original ?? ""
        func expand(_ template: String) -> String {
            substitute(template, server: server, tool: tool, description: description)
        }
        var text = rules.last(where: { $0.replace != nil })?.replace.map(expand) ?? description
        for rule in rules {
            if let prepend = rule.prepend { text = expand(prepend) + text }
        }
        for rule in rules {
            if let append = rule.append { text += expand(append) }
        }
        return text
    }
}
