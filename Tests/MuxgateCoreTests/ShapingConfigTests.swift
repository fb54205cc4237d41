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

@Suite("Shaping: configuration")
struct ShapingConfigTests {
    static let issueExample = """
        allow: ["git_*"]
        deny: ["git_reset"]
        rename: { git_log: history }
        describe:
          "*":      { prepend: "[repo /srv/app] " }
          git_diff: { replace: "Show the diff ({tool} on {server})." }
          git_log:  { append: " Newest first." }
        arguments:
          "*": { repo_path: { value: /srv/app, hide: true } }
          git_log: { max_count: { default: 20 } }
        """

    func decode(_ yaml: String) throws -> ToolShapingConfig {
        try YAMLDecoder().decode(ToolShapingConfig.self, from: yaml)
    }

    /// The issue a decoding error carries, failing the test when it is anything else.
    func decodingIssue(_ yaml: String) throws -> ConfigIssue {
        do {
            _ = try decode(yaml)
        } catch let issue as ConfigIssue {
            return issue
        } catch DecodingError.dataCorrupted(let context) where context.underlyingError is ConfigIssue {
            // Decoding from a string wraps errors; the loader decodes a composed node and gets them bare.
            return context.underlyingError as! ConfigIssue
        }
        Issue.record("expected a ConfigIssue for:\n\(yaml)")
        throw CancellationError()
    }

    @Test("the issue's example decodes into filter, rename, describe and argument rules")
    func issueExampleDecodes() throws {
        let config = try decode(Self.issueExample)
        #expect(config.filter.allow?.map(\.pattern) == ["git_*"])
        #expect(config.filter.deny.map(\.pattern) == ["git_reset"])
        #expect(config.rename == ["git_log": "history"])
        #expect(config.describe.map(\.glob.pattern) == ["*", "git_diff", "git_log"])
        #expect(config.describe[0].prepend == "[repo /srv/app] ")
        #expect(config.describe[1].replace == "Show the diff ({tool} on {server}).")
        #expect(config.arguments.map(\.glob.pattern) == ["*", "git_log"])
        let logRules = config.argumentRules(for: "git_log")
        guard case .hidden(let repo) = logRules["repo_path"], case .defaulted(let count) = logRules["max_count"] else {
            Issue.record("unexpected rules \(logRules)")
            return
        }
        #expect(repo.encodedString == #""/srv/app""#)
        #expect(count.encodedString == "20")
        #expect(config.argumentRules(for: "git_status").keys.sorted() == ["repo_path"])
    }

    @Test("an empty tools section changes nothing")
    func emptySection() throws {
        let config = try decode("{}")
        #expect(config.filter.allow == nil)
        #expect(config.filter.admits("anything"))
        #expect(config.rename.isEmpty && config.describe.isEmpty && config.arguments.isEmpty)
    }

    @Test(
        "YAML values become the JSON they stand for",
        arguments: [
            ("/srv/app", #""/srv/app""#), ("20", "20"), ("-3", "-3"), ("1.50", "1.50"), ("1e3", "1e3"),
            ("true", "true"), ("false", "false"), ("null", "null"), ("~", "null"), ("'20'", #""20""#),
            ("\"true\"", #""true""#), ("[1, two, 3.5]", #"[1,"two",3.5]"#), ("{b: 1, a: [x]}", #"{"a":["x"],"b":1}"#),
            ("12345678901234567890", "12345678901234567890"), ("\"a \\\"q\\\"\"", #""a \"q\"""#), ("{}", "{}"),
            ("[]", "[]"), ("1_000", "1000"), ("0x10", "16"),
        ] as [(String, String)]
    )
    func yamlValues(yaml: String, json: String) throws {
        let config = try decode("arguments: { t: { a: { default: \(yaml) } } }")
        guard case .defaulted(let value) = config.argumentRules(for: "t")["a"] else {
            Issue.record("no default decoded")
            return
        }
        #expect(value.encodedString == json)
        #expect(try JSONSlice.parse(value.encoded).text == json)
    }

    @Test("an explicit null value may be injected")
    func nullValue() throws {
        let config = try decode("arguments: { t: { a: { value: null, hide: true } } }")
        guard case .hidden(let value) = config.argumentRules(for: "t")["a"] else {
            Issue.record("no hidden value decoded")
            return
        }
        #expect(value.encodedString == "null")
    }

    @Test("an unknown key is rejected with its path and a suggestion")
    func unknownKey() throws {
        let top = try decodingIssue("alow: [x]")
        #expect(top.code == .unknownKey)
        #expect(top.path == ["alow"])
        #expect(top.message.contains("did you mean 'allow'"))
        let nested = try decodingIssue("describe: { x: { prepnd: a } }")
        #expect(nested.code == .unknownKey)
        #expect(nested.path == ["describe", "x", "prepnd"])
        let argument = try decodingIssue("arguments: { x: { a: { hidden: true, value: 1 } } }")
        #expect(argument.path == ["arguments", "x", "a", "hidden"])
    }

    @Test("hide: true without a value is rejected")
    func hideWithoutValue() throws {
        let issue = try decodingIssue("arguments: { git_log: { repo_path: { hide: true } } }")
        #expect(issue.code == .missingKey)
        #expect(issue.path == ["arguments", "git_log", "repo_path"])
        #expect(issue.message.contains("'hide: true' needs a 'value:'"))
    }

    @Test(
        "inconsistent argument rules are rejected",
        arguments: [
            ("{ value: 1 }", "needs 'hide: true'"), ("{ value: 1, default: 2, hide: true }", "not both"),
            ("{ default: 2, hide: true }", "needs a 'value:'"), ("{}", "needs 'value' with 'hide: true', or 'default'"),
        ] as [(String, String)]
    )
    func inconsistentArguments(rule: String, message: String) throws {
        let issue = try decodingIssue("arguments: { t: { a: \(rule) } }")
        #expect(issue.path.starts(with: ["arguments", "t", "a"]))
        #expect(issue.message.contains(message), "\(issue.message)")
    }

    @Test("malformed globs are reported at their key path")
    func badGlobs() throws {
        let list = try decodingIssue("deny: [ok, \"[z-a]\"]")
        #expect(list.code == .invalidValue)
        #expect(list.path == ["deny", "[1]"])
        #expect(list.message.contains("'[z-a]' is not a valid glob"))
        let key = try decodingIssue("describe: { \"git_[\": { append: x } }")
        #expect(key.path == ["describe", "git_["])
        let arguments = try decodingIssue("arguments: { \"\": { a: { default: 1 } } }")
        #expect(arguments.path == ["arguments", ""])
    }

    @Test("rename targets must be valid, unique names")
    func renameValidation() throws {
        let invalid = try decodingIssue("rename: { git_log: \"git log\" }")
        #expect(invalid.path == ["rename", "git_log"])
        #expect(invalid.message.contains("letters, digits"))
        let duplicate = try decodingIssue("rename: { a: same, b: same }")
        #expect(duplicate.code == .duplicateKey)
        #expect(duplicate.message.contains("'same'"))
    }

    @Test("a describe rule needs at least one text")
    func emptyDescribe() throws {
        let issue = try decodingIssue("describe: { git_log: {} }")
        #expect(issue.path == ["describe", "git_log"])
        #expect(issue.message.contains("at least one of"))
    }

    @Test("prompt and resource filters: deny wins, no allow means all, empty allow means none")
    func listFilters() throws {
        let filter = try YAMLDecoder().decode(
            ListFilterConfig.self,
            from: #"{ allow: ["file:///srv/*", "memo://*"], deny: ["*.secret"] }"#
        )
        #expect(filter.admits("file:///srv/a.txt"))
        #expect(!filter.admits("file:///etc/passwd"))
        #expect(!filter.admits("file:///srv/key.secret"))
        #expect(try YAMLDecoder().decode(ListFilterConfig.self, from: "deny: [x]").admits("y"))
        #expect(try !YAMLDecoder().decode(ListFilterConfig.self, from: "allow: []").admits("y"))
        let unknown = try? YAMLDecoder().decode(ListFilterConfig.self, from: "allowed: [x]")
        #expect(unknown == nil)
        #expect(
            filter.unmatchedRules(section: "resources", server: "fs", names: ["file:///srv/a"])
                == [
                    "resources.allow: 'memo://*' matched no resource of server 'fs'",
                    "resources.deny: '*.secret' matched no resource of server 'fs'",
                ]
        )
    }
}
