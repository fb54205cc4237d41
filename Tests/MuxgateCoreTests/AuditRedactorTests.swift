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

@Suite("Audit redaction and configuration")
struct AuditRedactorTests {
    @Test("matching arguments keep their keys and lose their values, at any depth, case ignored")
    func redactsValues() throws {
        let redactor = Redactor(patterns: ["*password*", "db_*.query", "api*key"])
        let arguments = try JSONSlice.parse(
            #"{"user":"ann","Password":"hunter2","nested":{"db_password":{"x":1}},"list":[{"apiKey":"k"}],"query":"select 1"}"#
        )
        let (redacted, _) = redactor.redact(tool: "git_log", arguments: arguments)
        let text = try #require(redacted).encodedString
        #expect(
            text
                == #"{"Password":"[redacted]","list":[{"apiKey":"[redacted]"}],"nested":{"db_password":"[redacted]"},"query":"select 1","user":"ann"}"#
        )
        let (forDB, _) = redactor.redact(tool: "db_main", arguments: arguments)
        #expect(try #require(forDB).encodedString.contains(#""query":"[redacted]""#))
    }

    @Test("args_sha256 is the SHA-256 of the original canonical arguments, whatever their key order and spacing")
    func digestOfOriginal() throws {
        let redactor = Redactor(patterns: ["*token*"])
        let a = redactor.redact(tool: "t", arguments: try JSONSlice.parse(#"{"token":"s3cret","n":1.50,"s":"\u00e9"}"#))
        let b = redactor.redact(
            tool: "t",
            arguments: try JSONSlice.parse(#" { "s" : "é", "n":1.50 , "token":"s3cret" } "#)
        )
        #expect(a.sha256 == b.sha256)
        #expect(a.sha256 == AuditCanonical.sha256(#"{"n":1.50,"s":"é","token":"s3cret"}"#.utf8))
        let other = redactor.redact(tool: "t", arguments: try JSONSlice.parse(#"{"token":"other","n":1.50,"s":"é"}"#))
        #expect(other.sha256 != a.sha256)
        #expect(other.redacted?.encodedString == a.redacted?.encodedString)
        #expect(redactor.redact(tool: "t", arguments: nil).redacted == nil)
        #expect(redactor.redact(tool: "t", arguments: nil).sha256 == AuditCanonical.sha256("{}".utf8))
    }

    @Test("with a key, args_sha256 is an HMAC, so a redacted value cannot be guessed from it")
    func keyedDigest() throws {
        let arguments = try JSONSlice.parse(#"{"password":"1234"}"#)
        let plain = Redactor(patterns: ["*password*"]).redact(tool: "t", arguments: arguments).sha256
        let keyed = Redactor(patterns: ["*password*"], key: Array("k".utf8)).redact(tool: "t", arguments: arguments)
            .sha256
        #expect(plain != keyed && keyed.count == 64)
    }

    @Test("redaction globs ignore case and match whole names, for tool and argument parts")
    func globs() throws {
        let arguments = try JSONSlice.parse(#"{"GITHUB_TOKEN_2":"t","tokenizer":"x","db":"y","abc":"z"}"#)
        let redacted = Redactor(patterns: ["*token*", "DB_Q*.abc"]).redact(tool: "db_query", arguments: arguments)
            .redacted
        #expect(
            redacted?.encodedString
                == #"{"GITHUB_TOKEN_2":"[redacted]","abc":"[redacted]","db":"y","tokenizer":"[redacted]"}"#
        )
        let other = Redactor(patterns: ["db_q*.abc"]).redact(tool: "xdb_query", arguments: arguments).redacted
        #expect(other?.encodedString.contains(#""abc":"z""#) == true)
    }

    func decode(_ json: String) throws -> AuditConfig {
        try JSONDecoder().decode(AuditConfig.self, from: Data(json.utf8))
    }

    @Test("the audit section decodes with its defaults")
    func configDefaults() throws {
        let config = try decode("{}")
        #expect(config.enabled && config.onFailure == .deny && config.rotateBytes == 64 << 20)
        #expect(config.redact == AuditConfig.defaultRedact && config.keyEnv == nil)
        let environment = ["HOME": "/home/dev", "XDG_STATE_HOME": "/state"]
        #expect(config.resolvedPath(environment: environment) == "/state/muxgate/audit.jsonl")
        #expect(config.resolvedPath(environment: ["HOME": "/home/dev"]) == "/home/dev/.local/state/muxgate/audit.jsonl")
    }

    @Test("every key decodes; ~ is expanded; a relative path starts at the config's directory")
    func configFull() throws {
        let config = try decode(
            #"{"enabled":false,"path":"~/logs/a.jsonl","redact":["x","db_*.q"],"key_env":"MUXGATE_AUDIT_KEY","rotate_bytes":"1MiB","on_failure":"warn"}"#
        )
        #expect(!config.enabled && config.onFailure == .warn && config.rotateBytes == 1 << 20)
        #expect(config.redact == ["x", "db_*.q"] && config.keyEnv == "MUXGATE_AUDIT_KEY")
        #expect(config.resolvedPath(environment: ["HOME": "/h"]) == "/h/logs/a.jsonl")
        let relative = try decode(#"{"path":"audit/a.jsonl"}"#)
        #expect(relative.resolvedPath(environment: [:], directory: "/etc/muxgate") == "/etc/muxgate/audit/a.jsonl")
        #expect(try config.key(environment: ["MUXGATE_AUDIT_KEY": "abc"]) == Array("abc".utf8))
    }

    @Test(
        "bad values are errors naming the key",
        arguments: [
            (#"{"on_failure":"ignore"}"#, "on_failure"), (#"{"redact":["tool."]}"#, "redact"),
            (#"{"key_env":"$KEY"}"#, "key_env"), (#"{"rotate_bytes":"12 apples"}"#, "rotate_bytes"),
            (#"{"rotate_bytes":100}"#, "rotate_bytes"), (#"{"rotate":100}"#, "rotate"),
        ]
    )
    func configErrors(json: String, key: String) throws {
        #expect {
            try decode(json)
        } throws: { error in
            guard let issue = error as? ConfigIssue else { return false }
            return issue.path.first == key
        }
    }
}
