import Foundation
import MuxgateCore
import MuxgateTesting
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
}
