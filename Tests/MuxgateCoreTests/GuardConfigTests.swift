import Testing

@testable import MuxgateConfig
@testable import MuxgatePolicy
@testable import MuxgateWire

/// `guards:` as the operator writes it: defaults, layering (section, server, tool globs from the
/// most general to the most specific), and mistakes reported at their key path.
@Suite("Result guards: the guards: section")
struct GuardConfigTests {
    let loader = ConfigLoader(environment: [:], currentDirectory: "/work")

    func load(_ guards: String) throws(ConfigError) -> MuxgateConfig {
        try loader.parse("servers: { git: { command: x }, web: { command: y } }\nguards:\n\(guards)", file: "/m.yaml")
    }

    func failure(_ guards: String) -> ConfigError? {
        do {
            _ = try load(guards)
            return nil
        } catch {
            return error
        }
    }

    @Test("with no section, secrets are redacted and hygiene is on; nothing is capped or open-world")
    func defaults() throws {
        let config = try loader.parse("servers: { git: { command: x } }", file: "/m.yaml")
        let settings = config.guards.settings(server: "git", tool: "git_log")
        #expect(settings.secrets == .redact && settings.hygiene && !settings.spotlight)
        #expect(settings.openWorld == nil && settings.maxResult == nil)
        #expect(!config.guards.capsResults)
        #expect(settings.action(of: "jwt") == .redact)
    }

    @Test("a server's entry, then tool globs from the most general to the most specific")
    func layering() throws {
        let config = try load(
            """
              secrets: block
              rules: { jwt: redact }
              max_result: "25000 tokens"
              patterns:
                - { name: acme-key, regex: "ACME-[0-9]{8}", action: block }
              servers:
                web: { open_world: true, spotlight: true, secrets: redact }
              tools:
                "git_*": { secrets: off, max_result: 64KiB }
                git_log: { secrets: redact, rules: { private-key: off } }
            """
        )
        let git = config.guards.settings(server: "git", tool: "git_status")
        #expect(git.secrets == .off && git.maxResult == .bytes(64 << 10))
        let log = config.guards.settings(server: "git", tool: "git_log")
        #expect(log.secrets == .redact && log.action(of: "private-key") == .off && log.action(of: "jwt") == .redact)
        #expect(log.action(of: "acme-key") == .block, "a pattern's own action")
        let web = config.guards.settings(server: "web", tool: "web_fetch")
        #expect(web.openWorld == true && web.spotlight && web.maxResult == .tokens(25000))
        #expect(web.maxResult?.bytes == 100_000)
        #expect(config.guards.capsResults)
        #expect(config.guards.patterns.first?.prefix == "ACME-")
    }

    @Test("mistakes name their key path: an action, a rule, a pattern, a cap, a glob, an unknown key")
    func mistakes() throws {
        let action = try #require(failure("  secrets: hide\n"))
        #expect(action.path == "guards.secrets" && action.message.contains("redact, block or off"), "\(action)")
        let rule = try #require(failure("  tools: { git_log: { rules: { jwtt: block } } }\n"))
        #expect(rule.path == "guards.tools.git_log.rules.jwtt" && rule.message.contains("not a secret rule"), "\(rule)")
        let unanchored = try #require(failure("  patterns: [{ name: x, regex: \"[A-Z]{20}\" }]\n"))
        #expect(unanchored.path.hasSuffix("regex") && unanchored.message.contains("literal start"), "\(unanchored)")
        let broken = try #require(failure("  patterns: [{ name: x, regex: \"ACME-(\" }]\n"))
        #expect(broken.path.hasSuffix("regex") && broken.message.contains("not a regular expression"), "\(broken)")
        let builtin = try #require(failure("  patterns: [{ name: jwt, regex: \"ACME-1\" }]\n"))
        #expect(builtin.path.hasSuffix("name"), "\(builtin)")
        let cap = try #require(failure("  max_result: 12\n"))
        #expect(cap.path == "guards.max_result" && cap.message.contains("too small"), "\(cap)")
        let tokens = try #require(failure("  max_result: \"many tokens\"\n"))
        #expect(tokens.path == "guards.max_result", "\(tokens)")
        let glob = try #require(failure("  tools: { \"[\": { secrets: off } }\n"))
        #expect(glob.path.hasPrefix("guards.tools"), "\(glob)")
        let unknown = try #require(failure("  tools: { x: { secret: off } }\n"))
        #expect(unknown.code == .unknownKey && unknown.path == "guards.tools.x.secret", "\(unknown)")
        let top = try #require(failure("  open_world: true\n"))
        #expect(top.code == .unknownKey, "open_world is per server or tool: \(top)")
    }
}
