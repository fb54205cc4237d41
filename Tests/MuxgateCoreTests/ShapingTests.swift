import Testing
import Yams

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

/// Tool definitions as mcp-server-git sends them, and helpers shared by the shaping suites.
enum ShapingFixtures {
    static let gitLog =
        #"{"name":"git_log","description":"Shows the commit logs","inputSchema":{"type":"object","properties":{"repo_path":{"type":"string","title":"Repo Path"},"max_count":{"type":"integer","default":10}},"required":["repo_path"]},"annotations":{"readOnlyHint":true}}"#
    static let gitDiff =
        #"{"name":"git_diff","description":"Shows differences between branches or commits","inputSchema":{"type":"object","properties":{"repo_path":{"type":"string","title":"Repo Path"},"target":{"type":"string","title":"Target"}},"required":["repo_path","target"]}}"#
    static let gitStatus =
        #"{ "name" : "git_status" , "description":"Shows the working tree status\n\u00e9" ,"inputSchema":{"type":"object","properties":{"repo_path":{"type":"string"}},"required":["repo_path"]}}"#

    static func shaper(_ yaml: String, server: String = "git") throws -> ToolShaper {
        ToolShaper(server: server, config: try YAMLDecoder().decode(ToolShapingConfig.self, from: yaml))
    }

    /// Shapes a definition and checks that the result is valid JSON.
    static func shape(_ shaper: ToolShaper, _ definition: String) throws -> ShapedTool? {
        guard let shaped = shaper.shape(try JSONSlice.parse(definition)) else { return nil }
        _ = try JSONSlice.parse(shaped.definition)
        return shaped
    }

    static func text(_ tool: ShapedTool?) -> String? {
        tool.map { String(decoding: $0.definition, as: UTF8.self) }
    }
}

@Suite("Shaping: tool definitions")
struct ShapingTests {
    typealias F = ShapingFixtures

    @Test("without rules a definition comes back byte for byte", arguments: [F.gitLog, F.gitDiff, F.gitStatus])
    func byteIdentity(definition: String) throws {
        let shaped = try #require(try F.shape(F.shaper("{}"), definition))
        #expect(shaped.definition == Array(definition.utf8))
        #expect(shaped.name == shaped.childName)
    }

    @Test("only the tool's own bytes are returned when it sits in a larger message")
    func sliceOfLargerBuffer() throws {
        let message = #"{"jsonrpc":"2.0","id":1,"result":{"tools":["# + F.gitDiff + "," + F.gitLog + "]}}"
        let tools = try #require(try JSONSlice.parse(message)["result"]?["tools"]).elements
        let shaper = try F.shaper("rename: { git_log: history }")
        #expect(shaper.shape(tools[0])?.definition == Array(F.gitDiff.utf8))
        let renamed = try #require(shaper.shape(tools[1]))
        #expect(F.text(renamed) == F.gitLog.replacingFirst(#""git_log""#, with: #""history""#))
        #expect(renamed.childName == "git_log" && renamed.name == "history")
    }

    @Test(
        "allow and deny leave exactly the expected tools; deny wins",
        arguments: [
            ("{}", ["git_log", "git_diff", "git_reset", "read_file"]),
            (#"allow: ["git_*"]"#, ["git_log", "git_diff", "git_reset"]),
            (#"allow: ["git_*"]\#ndeny: ["git_reset"]"#, ["git_log", "git_diff"]),
            (#"deny: ["git_re*", "read_?ile"]"#, ["git_log", "git_diff"]),
            (#"allow: ["git_log", "read_file"]\#ndeny: ["read_*"]"#, ["git_log"]),
            ("allow: []", []),
        ] as [(String, [String])]
    )
    func allowDeny(yaml: String, expected: [String]) throws {
        let shaper = try F.shaper(yaml)
        let names = ["git_log", "git_diff", "git_reset", "read_file"]
        let kept = try names.filter { name in
            try F.shape(shaper, #"{"name":"\#(name)","inputSchema":{"type":"object"}}"#) != nil
        }
        #expect(kept == expected)
        #expect(names.filter(shaper.admits) == expected)
    }

    @Test("a tool without a string name is dropped")
    func namelessTool() throws {
        let shaper = try F.shaper("{}")
        #expect(shaper.shape(try JSONSlice.parse(#"{"description":"x"}"#)) == nil)
        #expect(shaper.shape(try JSONSlice.parse(#"{"name":3}"#)) == nil)
        #expect(shaper.shape(try JSONSlice.parse(#"["git_log"]"#)) == nil)
    }

    @Test("the issue's example shapes git_log: renamed, described, repo_path hidden, max_count defaulted")
    func issueExampleOnGitLog() throws {
        let shaper = try F.shaper(ShapingConfigTests.issueExample)
        let shaped = try #require(try F.shape(shaper, F.gitLog))
        #expect(shaped.name == "history")
        #expect(
            F.text(shaped)
                == #"{"name":"history","description":"[repo /srv/app] Shows the commit logs Newest first.","inputSchema":{"type":"object","properties":{"max_count":{"type":"integer","default":20}}},"annotations":{"readOnlyHint":true}}"#
        )
    }

    @Test("replace runs before prepend and append, with placeholders expanded once")
    func describeOrderAndPlaceholders() throws {
        let shaper = try F.shaper(ShapingConfigTests.issueExample)
        let diff = try JSONSlice.parse(try #require(try F.shape(shaper, F.gitDiff)).definition)
        #expect(diff["description"]?.string == "[repo /srv/app] Show the diff (git_diff on git).")

        let layered = try F.shaper(
            """
            describe:
              "*": { prepend: "[all] ", append: " (all)" }
              "git_*": { prepend: "[git] ", append: " (git)", replace: "{description}!" }
              git_log: { replace: "{tool}@{server}: {description} {unknown} {tool" }
            """
        )
        let log = try JSONSlice.parse(try #require(try F.shape(layered, F.gitLog)).definition)
        #expect(
            log["description"]?.string == "[git] [all] git_log@git: Shows the commit logs {unknown} {tool (all) (git)"
        )
        let diffLayered = try JSONSlice.parse(try #require(try F.shape(layered, F.gitDiff)).definition)
        #expect(
            diffLayered["description"]?.string
                == "[git] [all] Shows differences between branches or commits! (all) (git)"
        )
    }

    @Test("a placeholder inside a tool name or description is not expanded again")
    func placeholderInjection() throws {
        let shaper = try F.shaper(#"describe: { "*": { replace: "{description} / {tool}" } }"#)
        let tool = #"{"name":"x{server}","description":"says {tool}"}"#
        let shaped = try JSONSlice.parse(try #require(try F.shape(shaper, tool)).definition)
        #expect(shaped["description"]?.string == "says {tool} / x{server}")
    }

    @Test("a description is added after the last member when the child gave none")
    func descriptionAdded() throws {
        let shaper = try F.shaper(#"describe: { t: { append: "Appended." } }"#)
        let tool = #"{"name":"t","inputSchema":{"type":"object"} }"#
        #expect(
            F.text(try F.shape(shaper, tool))
                == #"{"name":"t","inputSchema":{"type":"object"},"description":"Appended." }"#
        )
        let untouched = #"{"name":"u","inputSchema":{"type":"object"}}"#
        #expect(F.text(try F.shape(shaper, untouched)) == untouched)
    }

    @Test("invisible and bidi characters are stripped from descriptions even without rules")
    func invisibleStripped() throws {
        let tool =
            #"{"name":"t","description":"Reads\u200b files\u202e."# + "\u{2066}\u{FEFF}\u{E0041}\u{00AD}"
            + #"","inputSchema":{"type":"object","properties":{"p":{"type":"string","description":"pa\u2060th"},"#
            + #""q":{"type":"string","description":"caf\u00e9","default":{"description":"\u200bdata"}}}}}"#
        let shaped = try #require(try F.shape(F.shaper("{}"), tool))
        #expect(
            F.text(shaped)
                == #"{"name":"t","description":"Reads files.","inputSchema":{"type":"object","properties":{"p":{"type":"string","description":"path"},"q":{"type":"string","description":"caf\u00e9","default":{"description":"\u200bdata"}}}}}"#
        )
    }

    @Test(
        "every invisible code point in the list is stripped",
        arguments: [
            0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2060, 0x2061, 0x2062,
            0x2063, 0x2064, 0x2066, 0x2067, 0x2068, 0x2069, 0xFEFF, 0x00AD, 0x180E, 0xE0000, 0xE0001, 0xE0041, 0xE007F,
        ]
    )
    func everyInvisible(codePoint: UInt32) throws {
        let character = String(Unicode.Scalar(codePoint)!)
        let tool = #"{"name":"t","description":"a"# + character + #"b"}"#
        #expect(F.text(try F.shape(F.shaper("{}"), tool)) == #"{"name":"t","description":"ab"}"#)
    }

    @Test("visible non-ASCII text is left alone", arguments: ["é", "日本", "😀", "\u{2028}", "a\u{301}", "\u{200A}"])
    func visibleKept(text: String) throws {
        let tool = #"{"name":"t","description":"x"# + text + #""}"#
        #expect(F.text(try F.shape(F.shaper("{}"), tool)) == tool)
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(range, with: replacement)
        return copy
    }
}
