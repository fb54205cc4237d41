import MuxgateWire

/// The `discovery:` section: whether an IDE sees every tool, or a few plus a search for the rest.
///
/// ```yaml
/// discovery:
///   mode: auto              # off (default) | search | auto
///   always_load: [git_*]    # exposed-name globs listed up front in every mode
///   tool_budget: 40         # auto: search past this many tools (default client.tool_budget)
///   limit: 8                # search_tools' default number of matches (at most 50)
///   defer_clients: [claude-code]   # auto: clients that defer tools themselves get the full list
///   model: path/to/all-MiniLM-L6-v2.q8.mxemb   # default: beside the binary
///   vector_wait: 1s         # a search waits at most this for tools' vectors still being computed
///   profiles:
///     readonly: { mode: search }   # a caller profile's own settings (team mode)
/// ```
package struct DiscoveryConfig: Sendable, Equatable, Decodable {
    /// How an IDE's tool list is made.
    package enum Mode: String, Sendable, Equatable, CaseIterable {
        /// Every tool the profile lists (muxgate before discovery).
        case off
        /// The always-loaded tools plus `search_tools` and `call_tool`.
        case search
        /// Per client: the full list for a client that defers tools itself (its always-loaded tools
        /// marked `_meta["anthropic/alwaysLoad"]`), search past the tool budget, else the full list.
        case auto
    }

    /// What one caller gets: the section's values with its profile's overrides applied.
    package struct Settings: Sendable, Equatable {
        package var mode: Mode = .off
        /// Exposed-name globs of tools listed in every mode (and marked for deferring clients).
        package var alwaysLoad: [Glob] = []
        /// Auto: a session that would see more tools than this searches instead; nil: `client.tool_budget`.
        package var toolBudget: Int?
        /// `search_tools`' number of matches when the caller gives no `limit`.
        package var limit = 8
        /// Auto: `clientInfo.name` values of clients that defer MCP tools behind their own search.
        package var deferClients: [String] = ["claude-code"]

        package init(mode: Mode = .off, alwaysLoad: [Glob] = []) {
            self.mode = mode
            self.alwaysLoad = alwaysLoad
        }
    }

    /// The most matches one search returns.
    package static let maximumLimit = 50

    package var settings = Settings()
    /// Overrides by policy profile name (the loader checks each profile exists).
    package var profiles: [String: Settings] = [:]
    /// The model file (relative to the configuration's directory); nil: beside the binary.
    package var model: String?
    /// Keep tool vectors between runs in muxgate's state directory (default true).
    package var cache = true
    /// How long a search waits for vectors still being computed (the first start, new tools) before
    /// ranking the tools without one by words alone.
    package var vectorWait: Duration = .seconds(1)

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case mode
        case alwaysLoad = "always_load"
        case toolBudget = "tool_budget"
        case limit
        case deferClients = "defer_clients"
        case model, cache, profiles
        case vectorWait = "vector_wait"
    }

    /// The keys a profile's override may set.
    private enum ProfileKeys: String, CodingKey, CaseIterable {
        case mode
        case alwaysLoad = "always_load"
        case toolBudget = "tool_budget"
        case limit
        case deferClients = "defer_clients"
    }

    package init(settings: Settings = Settings(), profiles: [String: Settings] = [:]) {
        self.settings = settings
        self.profiles = profiles
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        settings = try Self.settings(decoder, over: Settings())
        model = try container.decodeIfPresent(String.self, forKey: .model)
        if let model, model.isEmpty {
            throw ConfigIssue(.invalidValue, at: decoder.codingPath, key: "model", message: "the model path is empty")
        }
        cache = try container.decodeIfPresent(Bool.self, forKey: .cache) ?? true
        vectorWait = try container.decodeIfPresent(ConfigDuration.self, forKey: .vectorWait)?.duration ?? vectorWait
        if container.contains(.profiles) {
            let nested = try container.superDecoder(forKey: .profiles)
            let names = try nested.container(keyedBy: AnyCodingKey.self)
            for key in names.allKeys {
                profiles[key.stringValue] = try Self.settings(try names.superDecoder(forKey: key), over: settings)
            }
        }
    }

    /// One mapping of settings (the section's own, or a profile's), over `base`.
    private static func settings(_ decoder: any Decoder, over base: Settings) throws -> Settings {
        let isProfile = decoder.codingPath.count > 2
        if isProfile { try decoder.rejectUnknownKeys(ProfileKeys.self) }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var settings = base
        if let text = try container.decodeIfPresent(String.self, forKey: .mode) {
            guard let mode = Mode(rawValue: text) else {
                throw ConfigIssue(
                    .invalidValue,
                    at: decoder.codingPath,
                    key: "mode",
                    message: "'\(text)' is not off, search or auto"
                )
            }
            settings.mode = mode
        }
        settings.alwaysLoad = try container.decodeIfPresent([Glob].self, forKey: .alwaysLoad) ?? settings.alwaysLoad
        if let budget = try container.decodeIfPresent(Int.self, forKey: .toolBudget) {
            guard budget > 0 else {
                throw ConfigIssue(
                    .invalidValue,
                    at: decoder.codingPath,
                    key: "tool_budget",
                    message: "\(budget) is not a tool budget (a positive number of tools)"
                )
            }
            settings.toolBudget = budget
        }
        if let limit = try container.decodeIfPresent(Int.self, forKey: .limit) {
            guard (1...maximumLimit).contains(limit) else {
                throw ConfigIssue(
                    .invalidValue,
                    at: decoder.codingPath,
                    key: "limit",
                    message: "\(limit) matches: the default limit is between 1 and \(maximumLimit)"
                )
            }
            settings.limit = limit
        }
        if let clients = try container.decodeIfPresent([String].self, forKey: .deferClients) {
            if let empty = clients.firstIndex(where: \.isEmpty) {
                throw ConfigIssue(
                    .invalidValue,
                    at: decoder.codingPath + [AnyCodingKey(stringValue: "defer_clients"), AnyCodingKey(index: empty)],
                    message: "a client name (clientInfo.name, e.g. claude-code) is empty"
                )
            }
            settings.deferClients = clients
        }
        return settings
    }

    /// The settings a caller of `profile` gets (nil or a profile without overrides: the section's).
    package func settings(profile: String?) -> Settings {
        profile.flatMap { profiles[$0] } ?? settings
    }

    /// Whether any caller can get discovery (the model is loaded only then).
    package var isUsed: Bool {
        settings.mode != .off || profiles.values.contains { $0.mode != .off }
    }
}
