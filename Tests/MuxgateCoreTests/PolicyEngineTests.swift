import Testing

@testable import MuxgateAudit
@testable import MuxgateCLI
@testable import MuxgateChildren
@testable import MuxgateCommands
@testable import MuxgateConfig
@testable import MuxgatePolicy
@testable import MuxgateRemote
@testable import MuxgateRouting
@testable import MuxgateTeam
@testable import MuxgateTelemetry
@testable import MuxgateWire

@Suite("Policy engine")
struct PolicyEngineTests {
    func engine(_ yaml: String?, override: String? = nil) throws -> PolicyEngine {
        let config = try yaml.map { try PolicyYAML.decode(PolicyConfig.self, $0) }
        return try PolicyEngine(config: config, profileOverride: override)
    }

    /// The error choosing the profile raises; nil (and a recorded issue) when there is none.
    func choiceIssue(_ yaml: String?, override: String? = nil) throws -> ConfigIssue? {
        let config = try yaml.map { try PolicyYAML.decode(PolicyConfig.self, $0) }
        do throws(ConfigIssue) {
            _ = try PolicyEngine(config: config, profileOverride: override)
            Issue.record("expected an error")
            return nil
        } catch {
            return error
        }
    }

    func arguments(_ json: String) throws -> JSONSlice { try JSONSlice.parse(json) }

    // MARK: profiles

    @Test("no policy section runs profile full: everything allowed, unrestricted")
    func noPolicy() throws {
        let engine = try engine(nil)
        #expect(engine.profileName == "full")
        #expect(engine.isUnrestricted)
        #expect(!engine.isConfigured)
        for scope in Scope.allCases {
            #expect(engine.decide(tool: "x_y", scope: scope, arguments: nil).effect == .allow)
        }
    }

    @Test(
        "built-in profiles decide by scope",
        arguments: [
            ("readonly", Scope.read, PolicyEffect.allow, "profile readonly: allow read"),
            ("readonly", .write, .deny, "profile readonly: default deny"),
            ("readonly", .destructive, .deny, "profile readonly: default deny"),
            ("developer", .read, .allow, "profile developer: allow read"),
            ("developer", .write, .allow, "profile developer: allow write"),
            ("developer", .destructive, .ask, "profile developer: ask destructive"),
            ("full", .read, .allow, "profile full: allow read"),
            ("full", .write, .allow, "profile full: allow write"),
            ("full", .destructive, .allow, "profile full: allow destructive"),
        ]
    )
    func builtIns(profile: String, scope: Scope, effect: PolicyEffect, rule: String) throws {
        let engine = try engine(nil, override: profile)
        let decision = engine.decide(tool: "git_commit", scope: scope, arguments: nil)
        #expect(decision.effect == effect)
        #expect(decision.rule == rule)
        #expect(engine.listingEffect(tool: "git_commit", scope: scope) == effect)
        #expect(decision.reason.contains("'git_commit'"))
        #expect(decision.reason.contains("profile '\(profile)'"))
    }

    @Test("a tool's profile decision is worked out once, per scope: the same tool under another scope decides anew")
    func rememberedPerScope() throws {
        let engine = try engine(nil, override: "readonly")
        let read = engine.decide(tool: "git_log", scope: .read, arguments: nil)
        #expect(read.effect == .allow)
        #expect(engine.decide(tool: "git_log", scope: .read, arguments: nil) == read)
        // A relist may rescope a tool (a changed annotation): the remembered read must not answer.
        let write = engine.decide(tool: "git_log", scope: .write, arguments: nil)
        #expect(write.effect == .deny)
        #expect(write.reason.contains("(scope write)"))
    }

    @Test("a default deny says which tool, which profile and why")
    func defaultDenyReason() throws {
        let decision = try engine("profile: readonly").decide(tool: "git_commit", scope: .write, arguments: nil)
        #expect(decision.effect == .deny)
        #expect(
            decision.reason
                == "tool 'git_commit' (scope write) is denied by profile 'readonly': nothing in it allows this tool, "
                + "and whatever a profile does not allow is denied"
        )
    }

    @Test(
        "inside a profile a tool glob beats a scope, and deny > ask > allow among equals; the rest is denied",
        arguments: [
            // ci-bot: allow [read, db_write_query], deny [git_*]
            ("ci-bot", "db_write_query", Scope.destructive, PolicyEffect.allow, "profile ci-bot: allow db_write_query"),
            ("ci-bot", "git_status", .read, .deny, "profile ci-bot: deny git_*"),
            ("ci-bot", "db_read_query", .read, .allow, "profile ci-bot: allow read"),
            ("ci-bot", "fs_write", .write, .deny, "profile ci-bot: default deny"),
            // glob-vs-scope: deny [read], allow [git_status]
            ("pinned", "git_status", .read, .allow, "profile pinned: allow git_status"),
            ("pinned", "git_log", .read, .deny, "profile pinned: deny read"),
            // equals: globs in all three lists; scopes in two
            ("layered", "git_status", .read, .deny, "profile layered: deny git_status"),
            ("layered", "git_show", .read, .ask, "profile layered: ask git_s*"),
            ("layered", "git_log", .read, .allow, "profile layered: allow git_*"),
            ("layered", "db_query", .read, .deny, "profile layered: deny read"),
            ("layered", "db_insert", .write, .ask, "profile layered: ask write"),
            ("layered", "db_drop", .destructive, .deny, "profile layered: default deny"),
            ("empty", "anything", .read, .deny, "profile empty: default deny"),
        ]
    )
    func precedence(profile: String, tool: String, scope: Scope, effect: PolicyEffect, rule: String) throws {
        let yaml = """
            profile: \(profile)
            profiles:
              ci-bot: { allow: [read, "db_write_query"], deny: ["git_*"] }
              pinned: { deny: [read], allow: [git_status] }
              layered: { allow: ["git_*", read, write], ask: ["git_s*", write], deny: [git_status, read] }
              empty: {}
            """
        let decision = try engine(yaml).decide(tool: tool, scope: scope, arguments: nil)
        #expect(decision.effect == effect)
        #expect(decision.rule == rule)
    }

    @Test("a configured profile with a built-in's name replaces the built-in")
    func replacedBuiltIn() throws {
        let engine = try engine("{profile: readonly, profiles: {readonly: {allow: [read, write]}}}")
        #expect(engine.decide(tool: "t", scope: .write, arguments: nil).effect == .allow)
        #expect(engine.decide(tool: "t", scope: .destructive, arguments: nil).effect == .deny)
    }

    // MARK: choosing the profile

    @Test("--profile / MUXGATE_PROFILE override the configured profile; empty counts as unset")
    func override() throws {
        #expect(try engine("profile: developer", override: "readonly").profileName == "readonly")
        #expect(try engine("profile: developer", override: "").profileName == "developer")
        #expect(try engine(nil, override: "developer").profileName == "developer")
        #expect(try engine("{profiles: {bot: {allow: [read]}}}", override: "bot").profileName == "bot")
    }

    @Test("an unknown override is an error naming the known profiles")
    func unknownOverride() throws {
        let error = try #require(try choiceIssue("profile: developer", override: "readonly2"))
        #expect(error.code == .invalidValue)
        #expect(error.path == ["policy", "profile"])
        #expect(error.message.contains("did you mean 'readonly'"))
        #expect(error.message.contains("known profiles: developer, full, readonly"))
        #expect(error.message.contains("--profile"))
        #expect(
            try choiceIssue(nil, override: "custom")?.message.contains("known profiles: developer, full, readonly")
                == true
        )
    }

    @Test("a policy section that names no profile needs one: it never falls back to full silently")
    func noProfileNamed() throws {
        let error = try #require(try choiceIssue("rules: [{tool: a, argument: b, sql: read_only}]"))
        #expect(error.code == .missingKey)
        #expect(error.message.contains("names no active profile"))
        #expect(try engine("hide_denied: false", override: "full").profileName == "full")
    }

    @Test("unrestricted means a profile allowing every scope and no rules")
    func unrestricted() throws {
        #expect(try engine("profile: full").isUnrestricted)
        #expect(try !engine("profile: developer").isUnrestricted)
        #expect(try !engine("{profile: full, rules: [{tool: a, argument: b, sql: read_only}]}").isUnrestricted)
        #expect(try engine("{profile: all, profiles: {all: {allow: [destructive, read, write]}}}").isUnrestricted)
        #expect(try !engine("{profile: full, profiles: {full: {allow: [read]}}}").isUnrestricted)
        #expect(try engine("profile: full").isConfigured)
    }

    @Test("hide_denied is carried; the listing effect ignores argument rules")
    func listing() throws {
        let engine = try engine(
            "{profile: developer, hide_denied: false, rules: [{tool: 'ci_*', argument: p, must_match: '^lint$'}]}"
        )
        #expect(!engine.hideDenied)
        #expect(engine.listingEffect(tool: "ci_run", scope: .write) == .allow)
        #expect(engine.decide(tool: "ci_run", scope: .write, arguments: nil).effect == .deny)
    }
}
