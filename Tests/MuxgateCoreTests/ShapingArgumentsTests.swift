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

@Suite("Shaping: call arguments")
struct ShapingArgumentsTests {
    typealias F = ShapingFixtures

    func prepare(_ shaper: ToolShaper, _ tool: String, _ arguments: String?) throws -> String? {
        let slice = try arguments.map { try JSONSlice.parse($0) }
        return try shaper.prepareArguments(tool: tool, arguments: slice)?.encodedString
    }

    /// The error a call raises, failing the test when it raises none.
    func refusal(_ shaper: ToolShaper, _ tool: String, _ arguments: String?) throws -> ShapingError {
        do {
            let prepared = try prepare(shaper, tool, arguments)
            Issue.record("expected a ShapingError, got \(prepared ?? "nil")")
        } catch let error as ShapingError {
            return error
        }
        throw CancellationError()
    }

    @Test("hidden values are injected and defaults filled; the model's values stay verbatim")
    func injectAndFill() throws {
        let shaper = try F.shaper(ShapingConfigTests.issueExample)
        #expect(try prepare(shaper, "git_log", nil) == #"{"max_count":20,"repo_path":"/srv/app"}"#)
        #expect(try prepare(shaper, "git_log", "null") == #"{"max_count":20,"repo_path":"/srv/app"}"#)
        #expect(try prepare(shaper, "git_log", " { } ") == #"{"max_count":20,"repo_path":"/srv/app"}"#)
        #expect(
            try prepare(shaper, "git_log", #"{ "max_count" : 1.0, "x": {"deep": [1e2, "\u00e9"]} }"#)
                == #"{"max_count":1.0,"x":{"deep": [1e2, "\u00e9"]},"repo_path":"/srv/app"}"#
        )
        #expect(try prepare(shaper, "git_diff", #"{"target":"HEAD"}"#) == #"{"target":"HEAD","repo_path":"/srv/app"}"#)
    }

    @Test("an explicit null supplied for a defaulted argument counts as supplied")
    func suppliedNull() throws {
        let shaper = try F.shaper("arguments: { git_log: { max_count: { default: 20 } } }")
        #expect(try prepare(shaper, "git_log", #"{"max_count":null}"#) == nil)
    }

    @Test("nothing to change gives nil, so the router forwards the original bytes")
    func passthrough() throws {
        let none = try F.shaper("{}")
        #expect(try prepare(none, "git_log", #"{"repo_path":"/x"}"#) == nil)
        #expect(try prepare(none, "git_log", nil) == nil)
        let defaults = try F.shaper("arguments: { git_log: { max_count: { default: 20 } } }")
        #expect(try prepare(defaults, "git_log", #"{"max_count":5}"#) == nil)
        #expect(try prepare(defaults, "git_status", #"{"repo_path":"/x"}"#) == nil)
        #expect(try prepare(defaults, "git_log", "{}") == #"{"max_count":20}"#)
    }

    @Test(
        "a call that supplies a hidden argument is refused",
        arguments: [
            #"{"repo_path":"/etc"}"#, #"{"max_count":1,"repo_path":"/srv/app"}"#, #"{"repo\u005fpath":"/etc"}"#,
        ]
    )
    func suppliedHiddenRefused(arguments: String) throws {
        let shaper = try F.shaper(ShapingConfigTests.issueExample)
        let error = try refusal(shaper, "git_log", arguments)
        #expect(error.code == .operatorArgument)
        #expect(error.server == "git" && error.tool == "git_log")
        #expect(
            error.description.hasPrefix(
                "argument 'repo_path' of tool 'git_log' is set by the operator and may not be supplied"
            )
        )
    }

    @Test(
        "arguments that are not an object are refused, with or without rules",
        arguments: [
            "[1]", #""repo""#, "3", "true",
        ]
    )
    func notAnObject(arguments: String) throws {
        for yaml in ["{}", ShapingConfigTests.issueExample] {
            let error = try refusal(try F.shaper(yaml), "git_log", arguments)
            #expect(error.code == .argumentsNotObject)
            #expect(error.message.contains("must be an object"))
        }
    }

    @Test("the result is one valid object with every member kept, duplicates included")
    func resultParses() throws {
        let shaper = try F.shaper(ShapingConfigTests.issueExample)
        let result = try #require(try prepare(shaper, "git_diff", #"{"target":"a","target":"b"}"#))
        let slice = try JSONSlice.parse(result)
        #expect(slice.members.map(\.key) == ["target", "target", "repo_path"])
        #expect(slice["repo_path"]?.string == "/srv/app")
    }
}
