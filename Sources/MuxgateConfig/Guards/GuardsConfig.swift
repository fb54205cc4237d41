import Foundation
import MuxgateWire

/// The `guards:` section: what muxgate checks in a tool's result before the model reads it, and in
/// the arguments of a tool that reaches the outside world ([guards.md](../../docs/guards.md)).
///
/// ```yaml
/// guards:
///   secrets: redact           # redact (default) | block | off
///   rules: { jwt: block }     # per rule (a built-in format or a pattern's name): redact | block | off
///   patterns:                 # the operator's own formats
///     - { name: acme-key, regex: "ACME-[0-9A-F]{32}", action: block }
///   hygiene: true             # strip invisible and bidi control characters (default true)
///   spotlight: false          # wrap open-world tools' text in an "untrusted content" envelope
///   max_result: 100KiB        # or "25000 tokens"; the rest is paged with read_result_page
///   page_cache: 64MiB         # what all sessions keep for paging at most (least recently read goes)
///   servers:
///     fetch: { open_world: true, spotlight: true }
///   tools:
///     "git_*": { secrets: off }
/// ```
package struct GuardsConfig: Sendable, Decodable {
    /// What a rule does with what it finds.
    package enum Action: String, Sendable, Equatable, CaseIterable {
        case redact, block, off
    }

    /// A result cap, as written.
    package enum ResultCap: Sendable, Equatable {
        case bytes(Int)
        case tokens(Int)

        /// The cap in bytes: a token is taken as 4 bytes (the estimate Claude Code's own uses).
        package var bytes: Int {
            switch self {
            case .bytes(let bytes): bytes
            case .tokens(let tokens): tokens * 4
            }
        }
    }

    /// An operator's own format: a literal prefix muxgate searches for, and a regular expression
    /// that must match from it.
    package struct Pattern: Sendable, Equatable {
        package let name: String
        package let prefix: String
        package let regex: String
        package let action: Action
    }

    /// What applies to one tool: the section's values with its server's and its tool globs' over them.
    package struct Settings: Sendable, Equatable {
        package var secrets: Action = .redact
        package var rules: [String: Action] = [:]
        package var hygiene = true
        package var spotlight = false
        /// The operator's word on whether the tool reaches the outside world; nil: its annotations.
        package var openWorld: Bool?
        package var maxResult: ResultCap?

        package init() {}

        /// The action of `rule` under these settings.
        package func action(of rule: String) -> Action {
            if secrets == .off { return .off }
            return rules[rule] ?? secrets
        }
    }

    /// What a server's or a tool glob's entry may set; nil keeps the value below it.
    package struct Override: Sendable, Equatable {
        var secrets: Action?
        var rules: [String: Action] = [:]
        var hygiene: Bool?
        var spotlight: Bool?
        var openWorld: Bool?
        var maxResult: ResultCap?

        func applied(to base: Settings) -> Settings {
            var settings = base
            if let secrets { settings.secrets = secrets }
            settings.rules.merge(rules) { $1 }
            if let hygiene { settings.hygiene = hygiene }
            if let spotlight { settings.spotlight = spotlight }
            if let openWorld { settings.openWorld = openWorld }
            if let maxResult { settings.maxResult = maxResult }
            return settings
        }
    }

    /// The names of the built-in secret formats (`SecretScanner`), for validating `rules:`.
    package static let builtinRules = [
        "aws-access-key", "gcp-api-key", "azure-storage-key", "github-token", "gitlab-token", "slack-token", "jwt",
        "private-key", "database-url", "muxgate-secret",
    ]

    package var base = Settings()
    package var patterns: [Pattern] = []
    package var servers: [String: Override] = [:]
    /// Tool globs (exposed names), most general first: the most specific is applied last.
    package var tools: [(glob: Glob, override: Override)] = []
    package var pageCache = 64 << 20

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case secrets, rules, patterns, hygiene, spotlight
        case maxResult = "max_result"
        case pageCache = "page_cache"
        case servers, tools
    }

    private enum OverrideKeys: String, CodingKey, CaseIterable {
        case secrets, rules, hygiene, spotlight
        case openWorld = "open_world"
        case maxResult = "max_result"
    }

    private enum PatternKeys: String, CodingKey, CaseIterable {
        case name, prefix, regex, action
    }

    package init() {}

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if container.contains(.patterns) {
            var list = try container.nestedUnkeyedContainer(forKey: .patterns)
            while !list.isAtEnd {
                patterns.append(try Self.pattern(try list.superDecoder()))
            }
        }
        let known = Set(Self.builtinRules + patterns.map(\.name))
        var defaults = Settings()
        for pattern in patterns { defaults.rules[pattern.name] = pattern.action }
        base = try Self.overrideFields(decoder, known: known, topLevel: true).applied(to: defaults)
        if let size = try container.decodeIfPresent(ConfigByteSize.self, forKey: .pageCache) { pageCache = size.bytes }
        if container.contains(.servers) {
            let nested = try container.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .servers)
            for key in nested.allKeys {
                servers[key.stringValue] = try Self.overrideFields(try nested.superDecoder(forKey: key), known: known)
            }
        }
        if container.contains(.tools) {
            let nested = try container.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .tools)
            for key in nested.allKeys {
                let path = ConfigIssue.keyPath(nested.codingPath) + [key.stringValue]
                let glob = try Glob(key.stringValue, at: path)
                tools.append((glob, try Self.overrideFields(try nested.superDecoder(forKey: key), known: known)))
            }
            tools.sort { Glob.generalFirst($0.glob, $1.glob) }
        }
    }

    /// The settings of `tool` (its exposed name) of `server`: the section's, then the server's,
    /// then every matching tool glob's from the most general to the most specific.
    package func settings(server: String, tool: String) -> Settings {
        // The common case (no per-server or per-tool entries) costs no lookup: it is on every call.
        if servers.isEmpty && tools.isEmpty { return base }
        var settings = base
        if let override = servers[server] { settings = override.applied(to: settings) }
        for (glob, override) in tools where glob.matches(tool) { settings = override.applied(to: settings) }
        return settings
    }

    /// Whether any tool may have a result cap (then `read_result_page` is listed).
    package var capsResults: Bool {
        base.maxResult != nil || servers.values.contains { $0.maxResult != nil }
            || tools.contains { $0.override.maxResult != nil }
    }

    private static func overrideFields(_ decoder: any Decoder, known: Set<String>, topLevel: Bool = false) throws
        -> Override
    {
        if !topLevel { try decoder.rejectUnknownKeys(OverrideKeys.self) }
        let container = try decoder.container(keyedBy: OverrideKeys.self)
        var override = Override()
        if let text = try container.decodeIfPresent(String.self, forKey: .secrets) {
            override.secrets = try action(text, decoder, key: "secrets")
        }
        if container.contains(.rules) {
            let rules = try container.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .rules)
            for key in rules.allKeys {
                guard known.contains(key.stringValue) else {
                    throw ConfigIssue(
                        .invalidValue,
                        at: rules.codingPath,
                        key: key.stringValue,
                        message: "'\(key.stringValue)' is not a secret rule: use one of "
                            + known.sorted().joined(separator: ", ") + " (or a pattern's name)"
                    )
                }
                let text = try rules.decode(String.self, forKey: key)
                override.rules[key.stringValue] = try action(text, decoder, key: "rules", key.stringValue)
            }
        }
        override.hygiene = try container.decodeIfPresent(Bool.self, forKey: .hygiene)
        override.spotlight = try container.decodeIfPresent(Bool.self, forKey: .spotlight)
        if !topLevel { override.openWorld = try container.decodeIfPresent(Bool.self, forKey: .openWorld) }
        if container.contains(.maxResult) {
            override.maxResult = try cap(try container.superDecoder(forKey: .maxResult))
        }
        return override
    }

    private static func action(_ text: String, _ decoder: any Decoder, key: String...) throws -> Action {
        guard let action = Action(rawValue: text) else {
            throw ConfigIssue(
                code: .invalidValue,
                path: ConfigIssue.keyPath(decoder.codingPath) + key,
                message: "'\(text)' is not redact, block or off"
            )
        }
        return action
    }

    /// `max_result`: a size (`100KiB`, a number of bytes) or `N tokens`.
    private static func cap(_ decoder: any Decoder) throws -> ResultCap {
        if let text = try? decoder.singleValueContainer().decode(String.self), text.hasSuffix("tokens") {
            let number = text.dropLast("tokens".count).trimmingCharacters(in: .whitespaces)
            guard let tokens = Int(number), tokens > 0 else {
                throw ConfigIssue(
                    code: .invalidValue,
                    path: ConfigIssue.keyPath(decoder.codingPath),
                    message: "'\(text)' is not a cap (write e.g. 100KiB, 65536 or '20000 tokens')"
                )
            }
            return .tokens(tokens)
        }
        let bytes = try ConfigByteSize(from: decoder).bytes
        guard bytes >= 1024 else {
            throw ConfigIssue(
                code: .invalidValue,
                path: ConfigIssue.keyPath(decoder.codingPath),
                message: "a result cap of \(bytes) bytes is too small to be useful (at least 1KiB)"
            )
        }
        return .bytes(bytes)
    }

    private static func pattern(_ decoder: any Decoder) throws -> Pattern {
        try decoder.rejectUnknownKeys(PatternKeys.self)
        let container = try decoder.container(keyedBy: PatternKeys.self)
        let path = ConfigIssue.keyPath(decoder.codingPath)
        let name = try container.decode(String.self, forKey: .name)
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }),
            !builtinRules.contains(name)
        else {
            throw ConfigIssue(
                code: .invalidValue,
                path: path + ["name"],
                message: "'\(name)' cannot name a pattern (letters, digits, '-' and '_', not a built-in rule's name)"
            )
        }
        let regex = try container.decode(String.self, forKey: .regex)
        let prefix = try container.decodeIfPresent(String.self, forKey: .prefix) ?? literalPrefix(of: regex)
        guard prefix.utf8.count >= 3, regex.hasPrefix(prefix) || container.contains(.prefix) else {
            throw ConfigIssue(
                code: .invalidValue,
                path: path + ["regex"],
                message: "pattern '\(name)' needs a literal start of at least 3 characters (muxgate searches "
                    + "for it first, so results without it cost nothing): begin the regex with one, or give 'prefix'"
            )
        }
        do {
            _ = try Regex(regex)
        } catch {
            throw ConfigIssue(
                code: .invalidValue,
                path: path + ["regex"],
                message: "pattern '\(name)' is not a regular expression: \(error)"
            )
        }
        let text = try container.decodeIfPresent(String.self, forKey: .action) ?? "redact"
        return Pattern(name: name, prefix: prefix, regex: regex, action: try action(text, decoder, key: "action"))
    }

    /// The characters a regex starts with that match only themselves.
    private static func literalPrefix(of regex: String) -> String {
        var out = ""
        for character in regex {
            guard character.isLetter || character.isNumber || "-_:=@/#".contains(character) else { break }
            out.append(character)
        }
        // A quantifier after the last literal makes it optional.
        if let next = regex.dropFirst(out.count).first, "?*{".contains(next) { out = String(out.dropLast()) }
        return out
    }
}
