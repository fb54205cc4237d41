import MuxgateWire

/// One limit of the `limits:` section: which calls it counts (servers, tool globs, callers,
/// profiles) and what it allows each caller (a rate with a burst, calls in flight, a quota).
///
/// ```yaml
/// limits:
///   git-writes:                 # the limit's name: in refusals, the audit trail and `explain`
///     server: git               # only this server's tools (default: any)
///     tools: [git_commit, git_add*]   # exposed-name globs (default: every tool)
///     clients: [alice, bob]     # only these callers (team mode; default: every caller)
///     profiles: [dev]           # only callers under these profiles (default: every profile)
///     rate: 10/minute           # a token bucket: N per second, minute or hour…
///     burst: 5                  # …holding at most this many (default N)
///     concurrency: 2            # calls in flight
///     quota: 200/day            # N per UTC day (or hour); with costs, cost units
///     costs: { git_commit: 5 }  # what a call costs against the quota (default 1)
/// ```
///
/// Each caller has its own counters for each limit: one caller's burst never spends another's.
package struct LimitRule: Sendable, Equatable, Decodable {
    /// The limit's name (its key in `limits:`).
    package var name = "" { didSet { nameHash = name.hashValue } }
    /// `name`'s hash, computed once (the limiter's counters are looked up by it on every call).
    package private(set) var nameHash = "".hashValue
    package var server: String?
    /// Exposed-name globs; empty means every tool.
    package var tools: [Glob] = []
    /// Caller names (`clients.NAME`, or `local` for the stdio front's user); empty means every one.
    package var clients: [String] = []
    /// Profiles; empty means every one.
    package var profiles: [String] = []
    package var rate: LimitRate?
    package var burst: Int?
    package var concurrency: Int?
    package var quota: LimitRate?
    /// Cost per call against the quota, by exposed-name glob, first match in order; default 1.
    package var costs: [(tool: Glob, cost: Int)] = []

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case server, tools, clients, profiles, rate, burst, concurrency, quota, costs
    }

    package init(name: String) {
        self.name = name
        nameHash = name.hashValue
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let path = ConfigIssue.keyPath(decoder.codingPath)
        func issue(_ key: CodingKeys, _ message: String) -> ConfigIssue {
            ConfigIssue(code: .invalidValue, path: path + [key.rawValue], message: message)
        }
        server = try container.decodeIfPresent(String.self, forKey: .server)
        tools = try Self.list(Glob.self, container, .tools)
        clients = try Self.list(String.self, container, .clients)
        profiles = try Self.list(String.self, container, .profiles)
        if let text = try container.decodeIfPresent(String.self, forKey: .rate) {
            guard let rate = LimitRate(text, allowed: [.second, .minute, .hour]) else {
                throw issue(.rate, "'\(text)' is not a rate: write N/second, N/minute or N/hour with N ≥ 1")
            }
            self.rate = rate
        }
        burst = try container.decodeIfPresent(Int.self, forKey: .burst)
        if let burst {
            guard rate != nil else { throw issue(.burst, "a burst needs a rate: add rate: N/minute (or remove burst)") }
            guard burst >= 1 else { throw issue(.burst, "\(burst) is not a burst: at least 1 call") }
        }
        concurrency = try container.decodeIfPresent(Int.self, forKey: .concurrency)
        if let concurrency, concurrency < 1 {
            throw issue(.concurrency, "\(concurrency) is not a concurrency: at least 1 call in flight")
        }
        if let text = try container.decodeIfPresent(String.self, forKey: .quota) {
            guard let quota = LimitRate(text, allowed: [.hour, .day]) else {
                throw issue(.quota, "'\(text)' is not a quota: write N/day or N/hour with N ≥ 1")
            }
            self.quota = quota
        }
        if let table = try container.decodeIfPresent([String: Int].self, forKey: .costs) {
            guard quota != nil else { throw issue(.costs, "costs count against a quota: add quota: N/day") }
            // The most specific glob first, so `web_search: 5` wins over `web_*: 1`.
            costs = try table.keys.sorted().map { pattern in
                let glob = try Glob(pattern, at: path + ["costs", pattern])
                let cost = table[pattern]!
                guard cost >= 0 else {
                    throw ConfigIssue(
                        code: .invalidValue,
                        path: path + ["costs", pattern],
                        message: "\(cost) is not a cost: 0 or more units"
                    )
                }
                return (glob, cost)
            }.sorted { Glob.generalFirst($1.tool, $0.tool) }
        }
        guard rate != nil || concurrency != nil || quota != nil else {
            throw ConfigIssue(
                code: .missingKey,
                path: path,
                message: "the limit limits nothing: give it a rate, a concurrency or a quota"
            )
        }
    }

    /// One value or a list of them, as the section allows for each selector. A value that is
    /// one but malformed (a bad glob) keeps its own error.
    private static func list<T: Decodable>(
        _ type: T.Type,
        _ container: KeyedDecodingContainer<CodingKeys>,
        _ key: CodingKeys
    ) throws -> [T] {
        guard container.contains(key) else { return [] }
        do {
            return [try container.decode(T.self, forKey: key)]
        } catch let issue as ConfigIssue {
            throw issue
        } catch {
            return try container.decode([T].self, forKey: key)
        }
    }

    /// The most calls the rate's bucket holds.
    package var capacity: Int? { rate.map { burst ?? $0.count } }

    /// Whether the limit counts `tool` of `server` for `caller` under `profile`.
    package func applies(tool: String, server: String, caller: String, profile: String) -> Bool {
        (self.server == nil || self.server == server)
            && (tools.isEmpty || tools.contains { $0.matches(tool) })
            && (clients.isEmpty || clients.contains(caller))
            && (profiles.isEmpty || profiles.contains(profile))
    }

    /// What a call to `tool` costs against the quota.
    package func cost(of tool: String) -> Int {
        costs.first { $0.tool.matches(tool) }?.cost ?? 1
    }

    /// `10/minute (burst 5), 2 in flight, 200/day`: what the limit allows, for people.
    package var allowance: String {
        var parts: [String] = []
        if let rate { parts.append("\(rate)" + (burst.map { " (burst \($0))" } ?? "")) }
        if let concurrency { parts.append("\(concurrency) in flight") }
        if let quota {
            parts.append("\(quota) (UTC)" + (costs.isEmpty ? "" : " in cost units"))
        }
        return parts.joined(separator: ", ")
    }

    package static func == (lhs: LimitRule, rhs: LimitRule) -> Bool {
        lhs.name == rhs.name && lhs.server == rhs.server && lhs.tools == rhs.tools && lhs.clients == rhs.clients
            && lhs.profiles == rhs.profiles && lhs.rate == rhs.rate && lhs.burst == rhs.burst
            && lhs.concurrency == rhs.concurrency && lhs.quota == rhs.quota
            && lhs.costs.map(\.tool) == rhs.costs.map(\.tool) && lhs.costs.map(\.cost) == rhs.costs.map(\.cost)
    }
}
