package import MuxgateWire

/// How muxgate reshapes one child's tools (`servers.NAME.tools`).
///
/// `allow`/`deny` filter by the child's own names (deny wins), `rename` maps a child's name to
/// the name exposed before namespacing, `describe` rewrites descriptions and `arguments` pins
/// (hides and injects) or documents default arguments. Keys of `describe` and `arguments` are
/// globs over the child's names; when several match one tool their rules apply general-first
/// (see `Glob.generalFirst`), so a literal name's rule wins over `"*"`.
package struct ToolShapingConfig: Sendable, Decodable {
    /// A description rewrite: `replace`, then `prepend`, then `append`; each may use `{server}`,
    /// `{tool}` (the child's name) and `{description}` (the child's original description).
    package struct DescribeRule: Sendable {
        package var glob: Glob
        package var replace: String?
        package var prepend: String?
        package var append: String?

        package init(_ glob: Glob, replace: String? = nil, prepend: String? = nil, append: String? = nil) {
            self.glob = glob
            self.replace = replace
            self.prepend = prepend
            self.append = append
        }
    }

    /// What muxgate does with one argument of a tool.
    package enum ArgumentRule: Sendable, Decodable {
        /// `{ value: V, hide: true }`: removed from the schema, always set to `V`, refused from the model.
        case hidden(JSONValue)
        /// `{ default: V }`: documented in the schema, no longer required, set to `V` when absent.
        case defaulted(JSONValue)

        package enum CodingKeys: String, CodingKey, CaseIterable {
            case value, hide
            case defaultValue = "default"
        }

        package init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let path = ConfigIssue.keyPath(decoder.codingPath)
            let hide = try container.decodeIfPresent(Bool.self, forKey: .hide) ?? false
            // `contains` rather than `decodeIfPresent`, so that `value: null` is a value.
            let value = try container.contains(.value) ? container.decode(ConfigJSONValue.self, forKey: .value) : nil
            let fallback =
                try container.contains(.defaultValue)
                ? container.decode(ConfigJSONValue.self, forKey: .defaultValue) : nil
            switch (value, fallback, hide) {
            case (let value?, nil, true):
                self = .hidden(value.value)
            case (nil, let fallback?, false):
                self = .defaulted(fallback.value)
            case (nil, _, true):
                throw ConfigIssue(
                    code: .missingKey,
                    path: path,
                    message: "'hide: true' needs a 'value:' for muxgate to inject"
                )
            case (_?, _?, _):
                throw ConfigIssue(
                    code: .invalidValue,
                    path: path,
                    message: "an argument has either 'value' (with 'hide: true') or 'default', not both"
                )
            case (_?, nil, false):
                throw ConfigIssue(
                    code: .invalidValue,
                    path: path + ["value"],
                    message:
                        "'value' pins an argument and needs 'hide: true'; "
                        + "to suggest a value the model may change, use 'default'"
                )
            case (nil, nil, false):
                throw ConfigIssue(
                    code: .missingKey,
                    path: path,
                    message: "an argument rule needs 'value' with 'hide: true', or 'default'"
                )
            }
        }
    }

    /// The arguments rules of one glob over tool names.
    package struct ArgumentRules: Sendable {
        package var glob: Glob
        /// Argument name → rule.
        package var arguments: [String: ArgumentRule]

        package init(_ glob: Glob, _ arguments: [String: ArgumentRule]) {
            self.glob = glob
            self.arguments = arguments
        }
    }

    /// `allow` and `deny`.
    package var filter: ListFilterConfig
    /// Child name → exposed name (before namespacing).
    package var rename: [String: String]
    /// Sorted general-first.
    package var describe: [DescribeRule]
    /// Sorted general-first.
    package var arguments: [ArgumentRules]

    package enum CodingKeys: String, CodingKey, CaseIterable { case allow, deny, rename, describe, arguments }

    private struct DescribeText: Decodable {
        package var replace: String?
        package var prepend: String?
        package var append: String?

        package enum CodingKeys: String, CodingKey, CaseIterable { case replace, prepend, append }

        package init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            replace = try container.decodeIfPresent(String.self, forKey: .replace)
            prepend = try container.decodeIfPresent(String.self, forKey: .prepend)
            append = try container.decodeIfPresent(String.self, forKey: .append)
            guard replace != nil || prepend != nil || append != nil else {
                throw ConfigIssue(
                    code: .missingKey,
                    path: ConfigIssue.keyPath(decoder.codingPath),
                    message: "a describe rule needs at least one of 'replace', 'prepend' or 'append'"
                )
            }
        }
    }

    /// A configuration that changes nothing.
    package init() {
        self.init(filter: ListFilterConfig())
    }

    package init(
        filter: ListFilterConfig,
        rename: [String: String] = [:],
        describe: [DescribeRule] = [],
        arguments: [ArgumentRules] = []
    ) {
        self.filter = filter
        self.rename = rename
        self.describe = describe.sorted { Glob.generalFirst($0.glob, $1.glob) }
        self.arguments = arguments.sorted { Glob.generalFirst($0.glob, $1.glob) }
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let path = ConfigIssue.keyPath(decoder.codingPath)
        let filter = ListFilterConfig(
            allow: try container.decodeIfPresent([Glob].self, forKey: .allow),
            deny: try container.decodeIfPresent([Glob].self, forKey: .deny) ?? []
        )
        let rename = try container.decodeIfPresent([String: String].self, forKey: .rename) ?? [:]
        try Self.validate(rename: rename, at: path + ["rename"])
        let texts = try container.decodeIfPresent([String: DescribeText].self, forKey: .describe) ?? [:]
        let describe = try texts.map { key, text throws(ConfigIssue) in
            DescribeRule(
                try Glob(key, at: path + ["describe", key]),
                replace: text.replace,
                prepend: text.prepend,
                append: text.append
            )
        }
        let rules = try container.decodeIfPresent([String: [String: ArgumentRule]].self, forKey: .arguments) ?? [:]
        let arguments = try rules.map { key, rules throws(ConfigIssue) in
            for name in rules.keys where name.isEmpty {
                throw ConfigIssue(
                    code: .invalidValue,
                    path: path + ["arguments", key],
                    message: "an argument name must not be empty"
                )
            }
            return ArgumentRules(try Glob(key, at: path + ["arguments", key]), rules)
        }
        self.init(filter: filter, rename: rename, describe: describe, arguments: arguments)
    }

    private static func validate(rename: [String: String], at path: [String]) throws(ConfigIssue) {
        var seen: [String: String] = [:]
        for (child, exposed) in rename.sorted(by: { $0.key < $1.key }) {
            guard !child.isEmpty else {
                throw ConfigIssue(code: .invalidValue, path: path, message: "a tool name to rename must not be empty")
            }
            guard !exposed.isEmpty, exposed.allSatisfy(Naming.isAllowed) else {
                throw ConfigIssue(
                    code: .invalidValue,
                    path: path + [child],
                    message: "'\(exposed)' may only use letters, digits, '_' and '-'"
                )
            }
            if let other = seen[exposed] {
                throw ConfigIssue(
                    code: .duplicateKey,
                    path: path + [child],
                    message: "'\(child)' and '\(other)' are both renamed to '\(exposed)'; exposed names must be unique"
                )
            }
            seen[exposed] = child
        }
    }

    /// The describe rules that apply to a tool, general-first.
    package func describeRules(for childName: String) -> [DescribeRule] {
        describe.filter { $0.glob.matches(childName) }
    }

    /// The argument rules that apply to a tool; for one argument, the most specific glob's rule wins.
    package func argumentRules(for childName: String) -> [String: ArgumentRule] {
        var merged: [String: ArgumentRule] = [:]
        for rules in arguments where rules.glob.matches(childName) {
            merged.merge(rules.arguments) { _, specific in specific }
        }
        return merged
    }
}
