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

@Suite("Policy argument rules")
struct PolicyRuleTests {
    let engine: PolicyEngine

    init() throws {
        // The issue's example policy: profile developer and one rule of each kind.
        engine = try PolicyEngine(
            config: PolicyYAML.decode(PolicyConfig.self, PolicyConfigTests.example),
            profileOverride: nil
        )
    }

    /// Decides as for a child whose working directory is the rule's base (relative paths resolve there).
    func decide(_ tool: String, _ json: String?, scope: Scope = .write, cwd: String? = "/srv/app") throws
        -> PolicyDecision
    {
        engine.decide(tool: tool, scope: scope, arguments: try json.map { try JSONSlice.parse($0) }) { cwd }
    }

    @Test("a relative path is judged where the child resolves it; a remote child's is refused")
    func relativePaths() throws {
        #expect(try decide("fs_read", #"{"path": "src/x"}"#, cwd: "/srv").effect == .deny)
        #expect(try decide("fs_read", #"{"path": "app/src/x"}"#, cwd: "/srv").effect == .allow)
        let remote = try decide("fs_read", #"{"path": "src/x"}"#, cwd: nil)
        #expect(remote.effect == .deny && remote.reason.contains("give an absolute path"), "\(remote.reason)")
        #expect(try decide("fs_read", #"{"path": "/srv/app/src/x"}"#, cwd: nil).effect == .allow)
    }

    @Test("a value with a NUL character is refused by every check: C stops at it, Python does not")
    func nul() throws {
        let decision = try decide("git_checkout", #"{"branch_name": "main\u0000x"}"#)
        #expect(decision.effect == .ask && decision.reason.contains("NUL"), "\(decision.reason)")
    }

    @Test(
        "each kind of rule lets good arguments through and stops bad ones",
        arguments: [
            (
                "db_read_query", #"{"query": "SELECT * FROM users"}"# as String?, PolicyEffect.allow,
                "profile developer: allow write"
            ),
            ("db_read_query", #"{"query": "DELETE FROM users"}"#, .deny, "rules[0]"),
            ("db_read_query", #"{"query": "SELECT 1; DROP TABLE x"}"#, .deny, "rules[0]"),
            ("db_read_query", #"{}"#, .deny, "rules[0]"),
            ("db_read_query", nil, .deny, "rules[0]"),
            ("ci_run", #"{"pipeline": "lint"}"#, .allow, "profile developer: allow write"),
            ("ci_run", #"{"pipeline": "test"}"#, .allow, "profile developer: allow write"),
            ("ci_run", #"{"pipeline": "deploy"}"#, .deny, "rules[1]"),
            ("ci_run", #"{"pipeline": "lint; deploy"}"#, .deny, "rules[1]"),
            ("ci_run", #"{"pipeline": 7}"#, .deny, "rules[1]"),
            ("ci_run", #"{"pipeline": null}"#, .deny, "rules[1]"),
            ("ci_run", #"["lint"]"#, .deny, "rules[1]"),
            ("git_checkout", #"{"branch_name": "feature/x"}"#, .allow, "profile developer: allow write"),
            ("git_checkout", #"{"branch_name": "main"}"#, .ask, "rules[2]"),
            ("git_checkout", #"{"branch_name": "master"}"#, .ask, "rules[2]"),
            ("git_checkout", #"{"branch_name": "mainline"}"#, .allow, "profile developer: allow write"),
            ("git_checkout", #"{"branch_name": null}"#, .allow, "profile developer: allow write"),
            ("git_checkout", #"{}"#, .allow, "profile developer: allow write"),
            ("git_checkout", #"{"branch_name": ["main"]}"#, .ask, "rules[2]"),
            ("fs_read", #"{"path": "/srv/app/src/main.swift"}"#, .allow, "profile developer: allow write"),
            ("fs_read", #"{"path": "src/main.swift"}"#, .allow, "profile developer: allow write"),
            ("fs_read", #"{"path": "/srv/app/../app2/x"}"#, .deny, "rules[3]"),
            ("fs_read", #"{"path": "/etc/passwd"}"#, .deny, "rules[3]"),
            ("fs_read", #"{"path": "~/.ssh/id_rsa"}"#, .deny, "rules[3]"),
            ("fs_read", #"{"other": "/srv/app"}"#, .deny, "rules[3]"),
            ("git_status", #"{"query": "DELETE FROM t", "path": "/etc"}"#, .allow, "profile developer: allow write"),
        ]
    )
    func rules(tool: String, json: String?, effect: PolicyEffect, rule: String) throws {
        let decision = try decide(tool, json)
        #expect(decision.effect == effect, "\(decision.reason)")
        #expect(decision.rule == rule)
    }

    @Test("a refusal names the tool, the rule, its check, why, and the operator's reason")
    func reason() throws {
        let decision = try decide("db_read_query", #"{"query": "SELECT 1; DROP TABLE x"}"#)
        #expect(
            decision.reason
                == "tool 'db_read_query' (scope write) is denied by rules[0] (tool 'db_read_query', sql: read_only): "
                + "argument 'query' is not a read-only SQL query: stacked statements: 2 statements, the second "
                + "starting with 'DROP'; reason: read queries only"
        )
        let ask = try decide("git_checkout", #"{"branch_name": "main"}"#)
        #expect(ask.reason.contains("needs approval under rules[2]"))
        #expect(ask.reason.contains("argument 'branch_name' 'main' matches '^(main|master)$'"))
        let path = try decide("fs_read", #"{"path": "/srv/app/../app2/x"}"#)
        #expect(path.reason.contains("resolves to /srv/app2/x, which is not under /srv/app"))
        let missing = try decide("ci_run", #"{}"#)
        #expect(missing.reason.contains("argument 'pipeline' is missing"))
    }

    @Test("a profile deny is final: rules are not consulted and the profile is named")
    func profileDenyIsFinal() throws {
        let engine = try PolicyEngine(
            config: PolicyYAML.decode(PolicyConfig.self, PolicyConfigTests.example),
            profileOverride: "readonly"
        )
        let decision = engine.decide(
            tool: "git_checkout",
            scope: .write,
            arguments: try JSONSlice.parse(#"{"branch_name": "main"}"#)
        )
        #expect(decision.effect == .deny)
        #expect(decision.rule == "profile readonly: default deny")
    }

    @Test("deny wins over ask whatever the rule order; the first ask is reported otherwise")
    func denyBeatsAsk() throws {
        let yaml = """
            profile: full
            rules:
              - { tool: "run_*", argument: cmd, must_not_match: 'sudo', effect: ask }
              - { tool: "run_*", argument: cmd, must_not_match: 'rm ', effect: ask }
              - { tool: "run_*", argument: cmd, must_not_match: 'rm -rf' }
            """
        let engine = try PolicyEngine(config: PolicyYAML.decode(PolicyConfig.self, yaml), profileOverride: nil)
        func decide(_ command: String) throws -> PolicyDecision {
            engine.decide(
                tool: "run_shell",
                scope: .destructive,
                arguments: try JSONSlice.parse(#"{"cmd": "\#(command)"}"#)
            )
        }
        #expect(try decide("sudo rm -rf /").effect == .deny)
        #expect(try decide("sudo rm -rf /").rule == "rules[2]")
        #expect(try decide("sudo rm x").rule == "rules[0]")
        #expect(try decide("sudo rm x").effect == .ask)
        #expect(try decide("ls").effect == .allow)
    }

    @Test("an ask from the profile stays an ask when the rules pass, and a rule's ask wins over a profile allow")
    func askSources() throws {
        let destructive = try decide("git_checkout", #"{"branch_name": "dev"}"#, scope: .destructive)
        #expect(destructive.effect == .ask)
        #expect(destructive.rule == "profile developer: ask destructive")
        let both = try decide("git_checkout", #"{"branch_name": "main"}"#, scope: .destructive)
        #expect(both.effect == .ask)
        #expect(both.rule == "rules[2]")
        let ruleDenies = try decide("ci_run", #"{"pipeline": "deploy"}"#, scope: .destructive)
        #expect(ruleDenies.effect == .deny)
    }
}
