import Foundation
import MuxgateTesting
import MuxgateWire
import Testing

/// The result guards against real children: the git reference server answering with a planted
/// key (redacted by default, withheld in block mode, the audit trail saying what was done and
/// verifying), and a command tool printing 5 MB, capped and paged back to the last byte.
@Suite("Result guards with real children: a planted key redacted and blocked, 5 MB capped and paged", .serialized)
struct GuardIntegrationTests {
    init() async throws {
        try await TestEnvironment.shared.prepare()
    }

    /// Whether `secret` is anywhere in the answer's bytes.
    static func leaks(_ answer: JSONRPCMessage?, _ secret: String) -> Bool {
        guard let answer else { return false }
        let bytes = Array(answer.root.bytes)
        let needle = Array(secret.utf8)
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { Array(bytes[$0..<($0 + needle.count)]) == needle }
    }

    static func text(_ answer: JSONRPCMessage?) -> String {
        answer?.result?["content"]?.elements.compactMap { $0["text"]?.string }.joined() ?? ""
    }

    /// A repository whose last commit message carries a cloud key and a GitHub token.
    static func plantedRepository() throws -> (path: String, secrets: [String]) {
        let repository = try TestEnvironment.shared.makeGitRepository()
        let secrets = ["AKIA" + "Z7Y6X5W4V3U2T1S0", "ghp_" + String(repeating: "Ab3", count: 12)]
        try TestPaths.write("config\n", to: repository, name: "deploy.txt")
        let git = ["-C", repository, "-c", "user.name=Test", "-c", "user.email=test@example.com"]
        try TestEnvironment.shared.runBlocking("/usr/bin/git", git + ["add", "deploy.txt"])
        try TestEnvironment.shared.runBlocking(
            "/usr/bin/git",
            git + ["commit", "-q", "-m", "deploy with key \(secrets[0]) and token \(secrets[1])"]
        )
        return (repository, secrets)
    }

    static func config(_ repository: String, guards: String = "") -> String {
        """
        \(TestPaths.loadedStartup)
        \(guards)
        servers:
          git:
            command: \(TestPaths.root)/.venv/bin/mcp-server-git
            args: [--repository, "\(repository)"]
        """
    }

    @Test(
        "git_log's planted key and token are redacted by default; the outcome record counts them; audit verify passes"
    )
    func gitRedacted() async throws {
        let (repository, secrets) = try Self.plantedRepository()
        let harness = try Harness.start(Self.config(repository))
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        // Once the git server's tools are listed (tools/list waits for the children).
        _ = await harness.muxgate.request(id: 1, method: "tools/list")
        let answer = await harness.call("git_log", #"{"repo_path":"\#(repository)","max_count":3}"#, id: 2)
        let text = Self.text(answer)
        #expect(
            text.contains("deploy with key [REDACTED:aws-access-key] and token [REDACTED:github-token]"),
            "\(answer?.root.text ?? "no answer") \(harness.muxgate.stderr.suffix(2000))"
        )
        for secret in secrets { #expect(Self.leaks(answer, secret) == false) }
        #expect(await harness.shutDown())
        let log = try String(contentsOfFile: harness.auditPath, encoding: .utf8)
        for secret in secrets { #expect(!log.contains(secret), "never in the audit trail") }
        let outcome = try #require(
            try harness.auditRecords().first { $0["event"]?.string == "outcome" && $0["tool"]?.string == "git_log" }
        )
        let rules = outcome["guard"]?["rules"]?.elements.compactMap { $0["rule"]?.string } ?? []
        #expect(rules.sorted() == ["aws-access-key", "github-token"], "\(outcome.text)")
        #expect(outcome["guard"]?["action"]?.string == "redact")
        let verify = try await Harness.run(["audit", "verify", harness.auditPath], timeout: .seconds(20))
        #expect(verify.status == 0, "\(verify.output)\(verify.stderr)")
    }

    @Test("in block mode git_log's result is withheld with a tool error naming the rule, never the key")
    func gitBlocked() async throws {
        let (repository, secrets) = try Self.plantedRepository()
        let harness = try Harness.start(Self.config(repository, guards: "guards: { rules: { aws-access-key: block } }"))
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        // Once the git server's tools are listed (tools/list waits for the children).
        _ = await harness.muxgate.request(id: 1, method: "tools/list")
        let answer = await harness.call("git_log", #"{"repo_path":"\#(repository)","max_count":3}"#, id: 2)
        #expect(answer?.result?["isError"]?.bool == true)
        #expect(Self.text(answer).contains("aws-access-key"), "\(Self.text(answer))")
        for secret in secrets { #expect(Self.leaks(answer, secret) == false) }
        // A result without a key passes untouched.
        let status = await harness.call("git_status", #"{"repo_path":"\#(repository)"}"#, id: 3)
        #expect(status?.result?["isError"]?.bool != true)
        #expect(await harness.shutDown())
    }

    @Test("a command printing 5 MB is capped; read_result_page returns the rest, joined byte for byte to the end")
    func commandPaged() async throws {
        let directory = try TestPaths.temporaryDirectory()
        // Multi-byte characters everywhere, so a cut in the middle of one would show.
        var content = ""
        var line = 0
        while content.utf8.count < 5 << 20 {
            content += "\(line) héllo wörld ✓ 日本語 🎉 \(String(repeating: "é", count: line % 7))\n"
            line += 1
        }
        let file = try TestPaths.write(content, to: directory, name: "big.txt")
        let config = """
            audit: { path: \(directory)/audit.jsonl }
            guards:
              tools:
                cmd_big: { max_result: 256KiB }
            commands:
              big:
                run: [cat, "\(file)"]
                max_output: 8MiB
                scope: read
            """
        let harness = try Harness.start(config)
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let list = await harness.muxgate.request(id: 1, method: "tools/list").0
        let tools = list?.result?["tools"]?.elements ?? []
        #expect(tools.contains { $0["name"]?.string == "read_result_page" })
        let big = tools.first { $0["name"]?.string == "cmd_big" }
        #expect(big?["_meta"]?["anthropic/maxResultSizeChars"]?.int == 256 << 10)
        let first = await harness.call("cmd_big", id: 2)
        let items = first?.result?["content"]?.elements ?? []
        let note = items.last?["text"]?.string ?? ""
        let handle = try #require(
            note.firstMatch(of: #/"handle": "([^"]+)"/#).map { String($0.output.1) },
            "\(note.prefix(500))"
        )
        #expect((first?.root.range.count ?? .max) < 300 << 10, "the answer is within the cap")
        var text = Array((items.first?["text"]?.string ?? "").utf8)
        var page = 1
        while page < 200 {
            let answer = await harness.call(
                "read_result_page",
                #"{"handle":"\#(handle)","page":\#(page)}"#,
                id: 10 + page
            )
            guard answer?.result?["isError"]?.bool != true,
                let part = answer?.result?["content"]?.elements.first?["text"]?.string
            else { break }
            text += Array(part.utf8)
            page += 1
        }
        #expect(text.count == content.utf8.count, "\(text.count) of \(content.utf8.count) bytes in \(page - 1) pages")
        #expect(text == Array(content.utf8), "byte-exact to the end")
        #expect(await harness.shutDown())
    }
}
