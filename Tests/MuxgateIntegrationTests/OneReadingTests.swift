import Foundation
import MuxgateAudit
import MuxgateCLI
import MuxgateChildren
import MuxgateCommands
import MuxgateConfig
import MuxgatePolicy
import MuxgateRemote
import MuxgateRouting
import MuxgateTeam
import MuxgateTelemetry
import MuxgateTesting
import MuxgateWire
import Testing

/// One reading of every request: what a child could read differently from muxgate never reaches
/// it, and a command tool's values never become options — against a recording child and real git.
@Suite("One reading: repeated keys, case-twin keys, option injection anywhere in an element")
struct OneReadingTests {
    init() async throws {
        try await TestEnvironment.shared.prepare()
    }

    @Test("a repeated key at any depth, or a case twin of a declared argument, is refused (-32602) and audited")
    func ambiguousRequests() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let received = directory + "/received.jsonl"
        let deployed = directory + "/deployed"
        let config = """
            audit: { path: \(directory)/audit.jsonl }
            policy:
              profile: full
              rules:
                - { tool: cmd_deploy, argument: branch, must_not_match: '^main$', reason: main deploys need a release }
            commands:
              deploy:
                run: [sh, -c, 'echo "$0" >> \(deployed)', "{branch}"]
                args:
                  branch: { type: string }
                scope: write
            servers:
            """ + "\n" + Harness.fixture("fx", ["--log", received], extra: ["scopes: { read: [echo] }"])
        let harness = try Harness.start(config)
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        _ = try await harness.toolNames()

        let attempts = [
            // The issue's attack: judged on one value, run on the other.
            #"{"name":"cmd_deploy","arguments":{"branch":"feature-x","branch":"main"}}"#,
            #"{"name":"cmd_deploy","arguments":{"branch":"main","branch":"feature-x"}}"#,
            #"{"name":"cmd_deploy","arguments":{"branch":"feature-x","\u0062ranch":"main"}}"#,
            // A Go child would fill `branch` from either.
            #"{"name":"cmd_deploy","arguments":{"branch":"feature-x","Branch":"main"}}"#,
            #"{"name":"cmd_deploy","arguments":{"BRANCH":"main"}}"#,
            // The envelope and anything under params count too.
            #"{"name":"fx_echo","arguments":{"a":{"b":1,"b":2}}}"#,
            #"{"name":"fx_echo","name":"cmd_deploy","arguments":{"branch":"main"}}"#,
            #"{"name":"fx_echo","arguments":{},"_meta":{"progressToken":1,"progressToken":2}}"#,
        ]
        for (index, params) in attempts.enumerated() {
            let (answer, _) = await harness.muxgate.request(id: 10 + index, method: "tools/call", params: params)
            #expect(answer?.errorCode == -32602, "\(params): \(answer?.root.text ?? "no answer")")
            #expect(
                answer?.errorMessage.contains("more than once") == true
                    || answer?.errorMessage.contains("by case") == true
            )
        }
        // A repeated id in the envelope, and a notification with two readings (dropped).
        harness.muxgate.send(
            #"{"jsonrpc":"2.0","id":30,"method":"tools/call","params":{"name":"fx_echo","arguments":{"x":1}},"id":31}"#
        )
        #expect(await harness.muxgate.nextMessage()?.errorCode == -32602)
        harness.muxgate.send(
            #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1,"requestId":2}}"#
        )
        // The controls: one reading each, through the same tools.
        let fine = await harness.call("cmd_deploy", #"{"branch":"feature-x"}"#, id: 40)
        #expect(fine?.result?["isError"]?.bool == false, "\(fine?.root.text ?? "")")
        let main = await harness.call("cmd_deploy", #"{"branch":"main"}"#, id: 41)
        #expect(main?.firstText?.contains("muxgate denied") == true)
        let echo = await harness.call("fx_echo", #"{"a":{"b":1}}"#, id: 42)
        #expect(echo?.firstText == #"{"a":{"b":1}}"#)
        #expect(await harness.shutDown())

        #expect(try String(contentsOfFile: deployed, encoding: .utf8) == "feature-x\n", "only the control deployed")
        let log = try String(contentsOfFile: received, encoding: .utf8)
        #expect(log.components(separatedBy: "\"tools/call\"").count == 2, "only the control reached the child:\n\(log)")
        #expect(!log.contains("notifications/cancelled"))
        let refusals = try String(contentsOfFile: directory + "/audit.jsonl", encoding: .utf8)
            .split(separator: "\n").map { try JSONSlice.parse(String($0)) }
            .filter { $0["event"]?.string == "decision" && $0["rule"]?.string == "muxgate.one_reading" }
        #expect(refusals.count == attempts.count + 1, "each refusal has its decision record")
        #expect(refusals.allSatisfy { $0["decision"]?.string == "deny" })
    }

    @Test("a value never starts an argv element with '-', wherever its placeholder sits (real git)")
    func optionInjection() async throws {
        let repository = try TestEnvironment.shared.makeGitRepository()
        let directory = try TestPaths.temporaryDirectory()
        let pwned = directory + "/pwned"
        let config = """
            audit: { enabled: false }
            commands:
              log:
                run: [git, log, --oneline, "{since}..HEAD", "--", "{path}"]
                args:
                  since: { type: string }
                  path: { type: string, default: "." }
                scope: read
                cwd: \(repository)
            """
        let harness = try Harness.start(config)
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        for (index, arguments) in [
            #"{"since":"--output=\#(pwned)"}"#, #"{"since":"-p"}"#, #"{"since":"HEAD","path":"--output=\#(pwned)"}"#,
        ].enumerated() {
            let answer = await harness.call("cmd_log", arguments, id: 10 + index)
            #expect(answer?.error != nil || answer?.result?["isError"]?.bool == true, "\(arguments)")
            #expect(CommandToolTests.text(answer).contains("option") || answer?.errorMessage.contains("option") == true)
        }
        let fine = await harness.call("cmd_log", #"{"since":"main"}"#, id: 20)
        #expect(fine?.result?["isError"]?.bool == false, "\(fine?.root.text ?? "")")
        #expect(await harness.shutDown())
        #expect(!FileManager.default.fileExists(atPath: pwned), "git wrote the file: an option got through")
    }

    @Test("an under rule judges a path where the child resolves it: its cwd, and text normalization before the kernel")
    func pathsAsTheChildReadsThem() async throws {
        let root = try TestPaths.temporaryDirectory()
        let base = root + "/base"
        try FileManager.default.createDirectory(atPath: base + "/sub/a/b", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/outside", withIntermediateDirectories: true)
        try "SECRET-OUTSIDE\n".write(toFile: root + "/outside/secret", atomically: true, encoding: .utf8)
        try "SECRET-BESIDE\n".write(toFile: root + "/secret", atomically: true, encoding: .utf8)
        try "fine\n".write(toFile: base + "/sub/ok", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: base + "/deep", withDestinationPath: base + "/sub/a/b")
        // Two children: cat (the kernel resolves), and one that normalizes the text first as
        // Python's os.path.abspath does; both run in a working directory outside the base.
        let config = """
            audit: { enabled: false }
            policy:
              profile: full
              rules:
                - { tool: "cmd_*", argument: path, under: \(base) }
            commands:
              cat:
                run: [cat, "{path}"]
                args: { path: { type: string } }
                scope: read
                cwd: \(root)/outside
              pycat:
                run: [python3, -c, "import os,sys; print(open(os.path.abspath(sys.argv[1])).read())", "{path}"]
                args: { path: { type: string } }
                scope: read
                cwd: \(base)/sub
            """
        let harness = try Harness.start(config)
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        var id = 10
        for (tool, path) in [
            ("cmd_cat", "secret"),  // cwd is outside: judged against the base it read base/secret
            ("cmd_pycat", "../../secret"),  // from base/sub: ROOT/secret
            ("cmd_pycat", base + "/deep/../../../secret"),  // kernel: base/sub/secret; as text: ROOT/secret
            ("cmd_pycat", "../deep/../../../secret"),
        ] {
            id += 1
            let answer = await harness.call(tool, JSONValue.object([("path", .string(path))]).encodedString, id: id)
            let text = CommandToolTests.text(answer)
            #expect(text.contains("muxgate denied"), "\(tool) \(path): \(text)")
            #expect(!text.contains("SECRET"), "\(tool) \(path) read it: \(text)")
        }
        let fine = await harness.call("cmd_pycat", #"{"path":"ok"}"#, id: 30)
        #expect(CommandToolTests.text(fine).contains("fine"), "\(fine?.root.text ?? "")")
        let viaLink = await harness.call(
            "cmd_cat",
            JSONValue.object([("path", .string(base + "/deep/../../ok"))]).encodedString,
            id: 31
        )
        #expect(CommandToolTests.text(viaLink).contains("muxgate denied"), "as text it is base/../ok: outside")
        #expect(await harness.shutDown())
    }
}
