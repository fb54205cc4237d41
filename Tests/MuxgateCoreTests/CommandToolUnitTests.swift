import Foundation
import Testing

@testable import MuxgateCore

@Suite("Command tools: config and argv")
struct CommandToolUnitTests {
    static func tool(_ yaml: String) throws -> CommandTool {
        let config = try ConfigLoader(environment: ["HOME": "/home/dev"]).parse(
            "commands:\n  t:\n" + yaml,
            file: "c.yaml"
        )
        guard case .commands(let tools) = config.servers.first?.transport else { throw CommandToolTestError() }
        return CommandTool(config: tools[0])
    }

    struct CommandToolTestError: Error {}

    static func arguments(_ json: String) throws -> JSONSlice { try JSONSlice.parse(json) }

    @Test("placeholders: whole elements (arrays spread), inside elements, optional ones left out, ${VAR} expanded")
    func expansion() throws {
        let tool = try Self.tool(
            """
                run: [grep, "--max-count={max}", "{pattern}", "{files}", "${HOME}/x"]
                args:
                  max: { type: integer, default: 3 }
                  pattern: { type: string }
                  files: { type: array, items: { pattern: "^[a-z./]+$" }, required: false }
            """
        )
        #expect(
            try tool.argv(for: Self.arguments(#"{"pattern":"foo","files":["a.txt","b/c"]}"#)) == [
                "grep", "--max-count=3", "foo", "a.txt", "b/c", "/home/dev/x",
            ]
        )
        #expect(
            try tool.argv(for: Self.arguments(#"{"pattern":"foo","max":7}"#)) == [
                "grep", "--max-count=7", "foo", "/home/dev/x",
            ]
        )
        #expect(throws: CommandTool.Refusal.self) {
            try tool.argv(for: Self.arguments(#"{"pattern":"foo","files":["UP"]}"#))
        }
        #expect(throws: CommandTool.Refusal.self) { try tool.argv(for: Self.arguments(#"{"pattern":"-e"}"#)) }
    }

    @Test("a leading '-' is allowed after a literal '--', or with allow_dash")
    func dashes() throws {
        let afterEnd = try Self.tool("    run: [rm, --, \"{path}\"]\n    args:\n      path: { type: string }\n")
        #expect(try afterEnd.argv(for: Self.arguments(#"{"path":"-rf"}"#)) == ["rm", "--", "-rf"])
        let allowed = try Self.tool(
            "    run: [git, log, \"{flag}\"]\n    args:\n      flag: { type: string, allow_dash: true, enum: [--oneline, --stat] }\n"
        )
        #expect(try allowed.argv(for: Self.arguments(#"{"flag":"--stat"}"#)) == ["git", "log", "--stat"])
    }

    @Test("shell: true passes arguments as quoted positional parameters, never spliced into the script")
    func shell() throws {
        let tool = try Self.tool(
            "    run: \"echo {a} && wc -c <<< {b}\"\n    shell: true\n    args:\n      a: { type: string }\n      b: { type: string }\n"
        )
        #expect(
            try tool.argv(for: Self.arguments(#"{"a":"$(reboot)","b":"x"}"#)) == [
                "/bin/sh", "-c", #"echo "$1" && wc -c <<< "$2""#, "muxgate-command", "$(reboot)", "x",
            ]
        )
    }

    @Test(
        "bad command configs are errors naming the key",
        arguments: [
            ("    run: [\"{x}\"]\n    args:\n      x: { type: string }\n", "the program itself"),
            ("    run: [ls, \"{y}\"]\n", "{y} names no argument"),
            ("    run: [ls]\n    scope: admin\n", "not a scope"),
            (
                "    run: [ls, \"{x}\"]\n    args:\n      x: { type: string, pattern: \"([\" }\n",
                "not a regular expression"
            ),
            ("    run: []\n", "run needs a program"),
        ]
    )
    func errors(yaml: String, expected: String) {
        do {
            _ = try Self.tool(yaml)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test("commands make a server named cmd (or commands_server), scoped as each command says")
    func server() throws {
        let config = try ConfigLoader(environment: [:]).parse(
            "commands_server: ops\ncommands:\n  look:\n    run: [ls]\n    scope: read\n  push:\n    run: [git, push]\n",
            file: "c.yaml"
        )
        let server = try #require(config.servers.first)
        #expect(server.name == "ops")
        #expect(server.scopes?.scope(for: "look") == .read && server.scopes?.scope(for: "push") == .destructive)
        #expect(throws: ConfigError.self) {
            _ = try ConfigLoader(environment: [:]).parse(
                "servers:\n  cmd:\n    command: x\ncommands:\n  look:\n    run: [ls]\n",
                file: "c.yaml"
            )
        }
    }
}
