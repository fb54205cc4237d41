import Foundation
import MuxgateTesting
import Testing

@testable import MuxgateAudit
@testable import MuxgateCLI
@testable import MuxgateChildren
@testable import MuxgateConfig
@testable import MuxgatePolicy
@testable import MuxgateRouting
@testable import MuxgateWire

/// `discovery:` as the operator writes it, the per-client listing rule, and `muxgate check`'s advice.
@Suite("Discovery: the configuration, the listing rule, check's advice")
struct DiscoveryConfigTests {
    let loader = ConfigLoader(environment: [:], currentDirectory: "/work")

    func load(_ discovery: String, policy: String = "") throws(ConfigError) -> MuxgateConfig {
        try loader.parse("servers: { a: { command: x } }\n\(policy)discovery:\n\(discovery)", file: "/etc/muxgate.yaml")
    }

    func failure(_ discovery: String, policy: String = "") -> ConfigError? {
        do {
            _ = try load(discovery, policy: policy)
            return nil
        } catch {
            return error
        }
    }

    @Test("off unless asked; a profile's override inherits what it does not set")
    func decodes() throws {
        #expect(try loader.parse("servers: { a: { command: x } }", file: "/m.yaml").discovery.isUsed == false)
        let config = try load(
            """
              mode: auto
              always_load: ["git_*", time_get_current_time]
              tool_budget: 30
              limit: 5
              model: models/m.mxemb
              cache: false
              profiles:
                readonly: { mode: search }
                developer: { mode: "off", limit: 3 }
            """
        )
        let discovery = config.discovery
        #expect(discovery.isUsed)
        #expect(discovery.settings.mode == .auto)
        #expect(discovery.settings.alwaysLoad.map(\.pattern) == ["git_*", "time_get_current_time"])
        #expect(discovery.settings.toolBudget == 30 && discovery.settings.limit == 5)
        #expect(discovery.settings.deferClients == ["claude-code"])
        #expect(discovery.model == "models/m.mxemb" && discovery.cache == false)
        let readonly = discovery.settings(profile: "readonly")
        #expect(readonly.mode == .search && readonly.limit == 5 && readonly.alwaysLoad.count == 2)
        #expect(discovery.settings(profile: "developer").mode == .off)
        #expect(discovery.settings(profile: "developer").limit == 3)
        #expect(discovery.settings(profile: "full") == discovery.settings, "no override: the section's")
        #expect(discovery.settings(profile: nil) == discovery.settings)
        #expect(
            ToolDiscovery.modelCandidates(config) == [URL(fileURLWithPath: "/etc/models/m.mxemb")],
            "relative to the configuration's directory"
        )
    }

    @Test("mistakes name the key and the line: a mode, a limit, a budget, a glob, a profile, a key")
    func mistakes() throws {
        let mode = try #require(failure("  mode: sometimes\n"))
        #expect(mode.code == .invalidValue && mode.path == "discovery.mode" && mode.line == 3, "\(mode)")
        #expect(mode.message.contains("off, search or auto"))
        let limit = try #require(failure("  limit: 500\n"))
        #expect(limit.path == "discovery.limit" && limit.message.contains("between 1 and 50"), "\(limit)")
        let budget = try #require(failure("  tool_budget: 0\n"))
        #expect(budget.path == "discovery.tool_budget", "\(budget)")
        let glob = try #require(failure("  always_load: [\"[\"]\n"))
        #expect(glob.path.hasPrefix("discovery.always_load"), "\(glob)")
        let profile = try #require(failure("  profiles: { readonyl: { mode: search } }\n"))
        #expect(profile.path == "discovery.profiles.readonyl", "\(profile)")
        #expect(profile.message.contains("did you mean 'readonly'"), "\(profile)")
        let key = try #require(failure("  profiles: { readonly: { model: x } }\n"))
        #expect(key.code == .unknownKey && key.path == "discovery.profiles.readonly.model", "\(key)")
        let typo = try #require(failure("  always_loaded: [x]\n"))
        #expect(typo.code == .unknownKey && typo.message.contains("always_load"), "\(typo)")
        // A configured profile may have its own settings.
        let custom = try load(
            "  profiles: { reviewer: { mode: search } }\n",
            policy: "policy: { profile: full, profiles: { reviewer: { allow: [read] } } }\n"
        )
        #expect(custom.discovery.settings(profile: "reviewer").mode == .search)
    }

    @Test("the per-client rule: search lists the meta-tools, auto defers to a deferring client or to the budget")
    func rule() throws {
        var settings = DiscoveryConfig.Settings(mode: .off)
        func listing(_ client: String?, _ tools: Int) -> DiscoveryListing {
            DiscoveryListing.of(settings, clientName: client, tools: tools, budget: 40)
        }
        #expect(listing("claude-code", 500) == DiscoveryListing(kind: .full, marksAlwaysLoad: false))
        settings.mode = .search
        #expect(listing("cursor", 3) == DiscoveryListing(kind: .search, marksAlwaysLoad: false))
        #expect(listing("claude-code", 3) == DiscoveryListing(kind: .search, marksAlwaysLoad: true))
        settings.mode = .auto
        #expect(listing("claude-code", 500) == DiscoveryListing(kind: .full, marksAlwaysLoad: true))
        #expect(listing("cursor", 41) == DiscoveryListing(kind: .search, marksAlwaysLoad: false))
        #expect(listing("cursor", 40) == DiscoveryListing(kind: .full, marksAlwaysLoad: false))
        #expect(listing(nil, 41) == DiscoveryListing(kind: .search, marksAlwaysLoad: false))
        settings.deferClients = ["my-agent"]
        #expect(listing("claude-code", 41).kind == .search, "the operator's list replaces the default")
        #expect(listing("my-agent", 41) == DiscoveryListing(kind: .full, marksAlwaysLoad: true))
    }

    @Test("marking a definition keeps its bytes and its other _meta keys")
    func marking() throws {
        let plain = Array(#"{"name":"a","inputSchema":{"type":"object"}}"#.utf8)
        #expect(
            String(decoding: DiscoveryListing.markedAlwaysLoad(plain), as: UTF8.self)
                == #"{"name":"a","inputSchema":{"type":"object"},"_meta":{"anthropic/alwaysLoad":true}}"#
        )
        let meta = Array(#"{"name":"a", "_meta":{"x":1}}"#.utf8)
        #expect(
            String(decoding: DiscoveryListing.markedAlwaysLoad(meta), as: UTF8.self)
                == #"{"name":"a", "_meta":{"x":1,"anthropic/alwaysLoad":true}}"#
        )
        let both =
            MetaTools.searchDefinition(standard: 8, maximum: 50, marked: true)
            + MetaTools.callDefinition(
                marked: true
            )
        #expect(both.count < 2048, "the search listing stays under 2 KB: \(both.count) bytes")
        let search = try JSONSlice.parse(MetaTools.searchDefinition(standard: 8, maximum: 50, marked: true))
        #expect(search["_meta"]?["anthropic/alwaysLoad"]?.bool == true)
        #expect(try JSONSlice.parse(MetaTools.callDefinition(marked: false))["name"]?.string == "call_tool")
    }

    /// A catalogue of `counts[server]` tools per server.
    static func listed(_ counts: [String: Int]) throws -> [NamedCatalogue.Entry] {
        let sources = try counts.keys.sorted().map { server in
            NamedCatalogue.Source(
                server: server,
                shaper: ToolShaper(server: server, config: ToolShapingConfig()),
                tools: try (0..<counts[server]!).map {
                    try JSONSlice.parse(#"{"name":"t\#($0)","inputSchema":{"type":"object"}}"#)
                }
            )
        }
        return NamedCatalogue(naming: Naming(entry: "muxgate"), sources: sources).entries
    }

    @Test(
        "check's advice is never impossible: one server's filter only when it can suffice, else several, else discovery"
    )
    func advice() throws {
        let config = try loader.parse("servers: { a: { command: x } }", file: "/m.yaml")
        // 527 tools, the biggest server 35: no one filter can bring it within 40.
        var counts = ["ppt": 35]
        for index in 0..<80 where counts.values.reduce(0, +) < 527 {
            counts["s\(index)"] = min(7, 527 - counts.values.reduce(0, +))
        }
        let many = try #require(CheckCommand.budgetWarning(config, listed: try Self.listed(counts)))
        let text = many.joined(separator: "\n")
        #expect(text.contains("527 tools"))
        #expect(!text.contains("keeping 0 or fewer"), "\(text)")
        #expect(!text.contains("filter ppt's"), "\(text)")
        #expect(text.contains("discovery: { mode: auto }"), "\(text)")
        #expect(text.contains("discovery is the way"), "\(text)")
        // 50 tools, the biggest 30: filtering it to 20 is enough, and said so.
        let one = try #require(CheckCommand.budgetWarning(config, listed: try Self.listed(["big": 30, "small": 20])))
        #expect(one.joined(separator: "\n").contains("filter big's 30 tools"), "\(one)")
        #expect(one.joined(separator: "\n").contains("keeping 20 or fewer"), "\(one)")
        // 70 tools, 30 over, the biggest 25: two servers, keeping 20 of their 50.
        let two = try #require(
            CheckCommand.budgetWarning(config, listed: try Self.listed(["p": 25, "q": 25, "r": 20]))
        )
        #expect(two.joined(separator: "\n").contains("filter p (25), q (25)"), "\(two)")
        #expect(two.joined(separator: "\n").contains("keeping 20 or fewer of their 50 tools"), "\(two)")
        // With discovery on, the count is what search lists.
        let searching = try loader.parse(
            "servers: { a: { command: x } }\ndiscovery: { mode: search, always_load: [\"big_*\"] }",
            file: "/m.yaml"
        )
        #expect(CheckCommand.budgetWarning(searching, listed: try Self.listed(["small": 500])) == nil)
        let heavy = try #require(CheckCommand.budgetWarning(searching, listed: try Self.listed(["big": 45])))
        #expect(heavy.first?.contains("always_load picks 45 tools") == true, "\(heavy)")
    }
}
