import Foundation
import MuxgateTesting
import MuxgateWire
import Testing

/// Tool discovery driven by an agent framework from PyPI: LangChain's MCP adapter
/// (`langchain-mcp-adapters`) loads muxgate's tools over stdio and invokes them as an agent's tool
/// node would. A query, then the call of the tool it found, through muxgate with the real reference
/// servers; what the profile denies is neither found nor run.
@Suite("Discovery: an agent framework searches and calls through the gate", .serialized)
struct DiscoveryAgentTests {
    static let denied = ["git_add", "git_commit", "git_reset", "git_create_branch", "git_checkout"]

    init() async throws {
        try await TestEnvironment.shared.preparePython()
    }

    func config(repository: String, policy: String) -> String {
        """
        \(TestPaths.loadedStartup)
        servers:
          git:
            command: \(TestPaths.root)/.venv/bin/mcp-server-git
            args: [--repository, "\(repository)"]
          time:
            command: \(TestPaths.root)/.venv/bin/mcp-server-time
            args: [--local-timezone, UTC]
        \(policy)
        discovery:
          mode: search
          model: \(TestPaths.root)/.models/all-MiniLM-L6-v2.q8.mxemb
          vector_wait: 120s   # the first search ranks with every tool's vector (a loaded machine is slow)
        """
    }

    /// Runs `steps` through LangChain's adapter against `muxgate serve` on `config`; the driver's report.
    func runAgent(config: String, steps: String) async throws -> JSONSlice {
        let directory = try TestPaths.temporaryDirectory()
        let configPath = try TestPaths.write(config, to: directory, name: "muxgate.yaml")
        let stepsPath = try TestPaths.write(steps, to: directory, name: "steps.json")
        let output = try await TestEnvironment.shared.run(
            TestPaths.agentPython,
            [
                TestPaths.agentClientScript, "--timeout", "240", stepsPath, "--",
                TestPaths.muxgate, "serve", "--config", configPath,
            ]
        )
        return try JSONSlice.parse(output)
    }

    func git(_ repository: String, _ arguments: [String]) throws -> String {
        try TestEnvironment.shared.runBlocking("/usr/bin/git", ["-C", repository] + arguments)
    }

    func found(_ result: JSONSlice) -> [String] {
        result["structuredContent"]?["tools"]?.elements.compactMap { $0["name"]?.string } ?? []
    }

    func steps(repository: String) -> String {
        let repo = #""repo_path": "\#(repository)""#
        return #"""
            {"steps": [
              {"tool": "search_tools", "arguments": {"query": "read the commit log of a git repository", "limit": 3}},
              {"call_found": 0, "arguments": {\#(repo)}},
              {"tool": "search_tools", "arguments": {"query": "what time is it now in a given timezone", "limit": 3}},
              {"call_found": 2, "arguments": {"timezone": "Europe/Paris"}},
              {"tool": "search_tools", "arguments": {"query": "create a new branch", "limit": 50}},
              {"tool": "search_tools", "arguments": {"query": "stage files and commit them", "limit": 50}},
              {"tool": "call_tool", "arguments": {"name": "git_create_branch", "arguments": {\#(repo), "branch_name": "agent-branch"}}},
              {"tool": "call_tool", "arguments": {"name": "git_add", "arguments": {\#(repo), "files": ["new.txt"]}}}
            ]}
            """#
    }

    @Test("LangChain's MCP adapter: search, then call the found tool; a denied tool is not found and never reaches git")
    func agentSearchesThenCalls() async throws {
        let repository = try TestEnvironment.shared.makeGitRepository()
        try TestPaths.write("new\n", to: repository, name: "new.txt")
        let report = try await runAgent(
            config: config(repository: repository, policy: "policy: { profile: readonly, hide_denied: false }"),
            steps: steps(repository: repository)
        )
        let tools = report["tools"]?.elements ?? []
        #expect(tools.compactMap { $0["name"]?.string } == ["search_tools", "call_tool"], "\(report.text)")
        #expect(tools.first?["args"]?["query"]?["type"]?.string == "string", "the framework holds the schema")
        let results = report["results"]?.elements ?? []
        try #require(results.count == 8, "\(report.text)")

        // A query, then the call of the tool it found: the framework's tool object, through the gate.
        #expect(found(results[0]).first == "git_log", "\(results[0].text)")
        #expect(results[1]["arguments"]?["name"]?.string == "git_log")
        #expect(results[1]["status"]?.string == "success", "\(results[1].text)")
        #expect(results[1]["text"]?.string?.contains("initial commit") == true, "\(results[1].text)")
        #expect(found(results[2]).first == "time_get_current_time", "\(results[2].text)")
        #expect(results[3]["status"]?.string == "success", "\(results[3].text)")
        #expect(
            results[3]["structuredContent"]?["timezone"]?.string == "Europe/Paris",
            "the found tool's own structured result, as the framework's artifact: \(results[3].text)"
        )

        // What readonly denies: not found, even when the search asks for every match...
        for result in results[4...5] {
            let listed = found(result)
            #expect(listed.contains("git_log"), "\(result.text)")
            for tool in Self.denied {
                #expect(!listed.contains(tool), "readonly denies \(tool); the search showed \(listed)")
            }
        }
        // ...and not run when called by name through call_tool: the gate answers, git never acts.
        for result in results[6...7] {
            #expect(result["status"]?.string == "error", "\(result.text)")
            #expect(result["text"]?.string?.contains("readonly") == true, "\(result.text)")
        }
        #expect(try git(repository, ["branch", "--list", "--format=%(refname:short)"]) == "main\n")
        #expect(try git(repository, ["diff", "--cached", "--name-only"]).isEmpty, "git_add never ran")
    }

    /// The control: the same steps without the profile find and run what readonly denies, so the
    /// assertions above are the gate's doing, not a query that happens to miss or a call that fails.
    @Test("without the profile the same search finds git_create_branch and the call creates the branch")
    func withoutTheProfileTheDeniedToolIsFoundAndRuns() async throws {
        let repository = try TestEnvironment.shared.makeGitRepository()
        try TestPaths.write("new\n", to: repository, name: "new.txt")
        let report = try await runAgent(
            config: config(repository: repository, policy: ""),
            steps: steps(repository: repository)
        )
        let results = report["results"]?.elements ?? []
        try #require(results.count == 8, "\(report.text)")
        #expect(found(results[4]).contains("git_create_branch"), "\(results[4].text)")
        #expect(found(results[5]).contains("git_add"), "\(results[5].text)")
        #expect(results[6]["status"]?.string == "success", "\(results[6].text)")
        #expect(results[7]["status"]?.string == "success", "\(results[7].text)")
        let branches = try git(repository, ["branch", "--list", "--format=%(refname:short)"])
        #expect(branches.split(separator: "\n").sorted() == ["agent-branch", "main"])
        #expect(try git(repository, ["diff", "--cached", "--name-only"]) == "new.txt\n")
    }
}
