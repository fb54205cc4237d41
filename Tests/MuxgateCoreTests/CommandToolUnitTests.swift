import Foundation
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

    @Test("a leading '-' is allowed only with allow_dash: a literal '--' in run does not allow it")
    func dashes() throws {
        let afterEnd = try Self.tool("    run: [rm, --, \"{path}\"]\n    args:\n      path: { type: string }\n")
        #expect(throws: CommandTool.Refusal.self) { try afterEnd.argv(for: Self.arguments(#"{"path":"-rf"}"#)) }
        #expect(try afterEnd.argv(for: Self.arguments(#"{"path":"a-b"}"#)) == ["rm", "--", "a-b"])
        let allowed = try Self.tool(
            "    run: [git, log, \"{flag}\"]\n    args:\n      flag: { type: string, allow_dash: true, enum: [--oneline, --stat] }\n"
        )
        #expect(try allowed.argv(for: Self.arguments(#"{"flag":"--stat"}"#)) == ["git", "log", "--stat"])
    }

    @Test("no value puts '-' at the start of any argv element, wherever its placeholder sits")
    func dashInsideElements() throws {
        let range = try Self.tool(
            "    run: [git, log, \"{since}..HEAD\", \"--author={who}\", \"{a}{b}\", \"{c}-x\"]\n    args:\n"
                + "      since: { type: string }\n      who: { type: string, default: me }\n"
                + "      a: { type: string, default: \"\" }\n      b: { type: string, default: \"\" }\n"
                + "      c: { type: string, default: c }\n"
        )
        // The attack of the issue: git log --output=pwned..HEAD writes a file.
        #expect(throws: CommandTool.Refusal.self) {
            try range.argv(for: Self.arguments(#"{"since":"--output=pwned"}"#))
        }
        // The operator's own option may take a value that starts with '-'.
        #expect(
            try range.argv(for: Self.arguments(#"{"since":"v1","who":"-me"}"#)) == [
                "git", "log", "v1..HEAD", "--author=-me", "", "c-x",
            ]
        )
        // An empty value ahead of another's '-', or of the template's own '-'.
        #expect(throws: CommandTool.Refusal.self) {
            try range.argv(for: Self.arguments(#"{"since":"v1","b":"-x"}"#))
        }
        #expect(throws: CommandTool.Refusal.self) {
            try range.argv(for: Self.arguments(#"{"since":"v1","c":""}"#))
        }
        let shell = try Self.tool(
            "    run: \"git log {rev}\"\n    shell: true\n    args:\n      rev: { type: string }\n"
        )
        #expect(throws: CommandTool.Refusal.self) { try shell.argv(for: Self.arguments(#"{"rev":"-p"}"#)) }
        let arrays = try Self.tool("    run: [ls, \"{paths}\"]\n    args:\n      paths: { type: array }\n")
        #expect(throws: CommandTool.Refusal.self) {
            try arrays.argv(for: Self.arguments(#"{"paths":["a","--color=always"]}"#))
        }
    }

    @Test(
        "property: whatever the values and templates, an element starts with '-' only from the template or allow_dash"
    )
    func dashProperty() throws {
        var random = SeededGenerator(seed: 25)
        let pieces = ["{a}", "{b}", "x", "-", "..", "=", "{a}"]
        let values = ["", "-", "-x", "x", "--output=p", "a-b", " -x"]
        for _ in 0..<400 {
            let element = (0..<Int.random(in: 1...4, using: &random)).map { _ in pieces.randomElement(using: &random)! }
                .joined()
            let allowA = Bool.random(using: &random)
            let yaml =
                "    run: [prog, \(JSONValue.string(element).encodedString)]\n    args:\n"
                + "      a: { type: string, default: \"\", allow_dash: \(allowA) }\n      b: { type: string, default: \"\" }\n"
            let tool = try Self.tool(yaml)
            let a = values.randomElement(using: &random)!
            let b = values.randomElement(using: &random)!
            let arguments = try Self.arguments(JSONValue.object([("a", .string(a)), ("b", .string(b))]).encodedString)
            guard let argv = try? tool.argv(for: arguments) else { continue }
            let produced = argv[1]
            guard produced.hasPrefix("-"), !element.hasPrefix("-") else { continue }
            // Who put the '-' first: the first placeholder with a non-empty value (it must allow
            // it), or a literal that empty values moved there (all of them must).
            var rest = element[...]
            var chain: [String] = []
            var byValue = false
            while let name = ["a", "b"].first(where: { rest.hasPrefix("{\($0)}") }) {
                chain.append(name)
                if !(name == "a" ? a : b).isEmpty {
                    byValue = true
                    break
                }
                rest = rest.dropFirst(3)
            }
            let allows = { (name: String) in name == "a" && allowA }
            let permitted = byValue ? allows(chain.last!) : chain.allSatisfy(allows)
            #expect(permitted && !chain.isEmpty, "\(element) a=\(a) b=\(b) -> \(produced)")
        }
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
