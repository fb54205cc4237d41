import Foundation
import MuxgateAudit
import MuxgateCLI
import MuxgateConfig
import MuxgatePolicy
import MuxgateRouting
import MuxgateTesting
import MuxgateWire
import Testing

/// Tool discovery end to end: the official Python client searches, then calls what it found,
/// through muxgate with the real reference servers; what the profile denies is neither found nor run.
@Suite("Discovery: the official client searches and calls through the gate", .serialized)
struct DiscoveryIntegrationTests {
    let repository: String

    init() async throws {
        try await TestEnvironment.shared.preparePython()
        repository = try TestEnvironment.shared.makeGitRepository()
    }

    var config: String {
        """
        \(TestPaths.loadedStartup)
        servers:
          git:
            command: \(TestPaths.root)/.venv/bin/mcp-server-git
            args: [--repository, "\(repository)"]
          time:
            command: \(TestPaths.root)/.venv/bin/mcp-server-time
            args: [--local-timezone, UTC]
        policy: { profile: readonly, hide_denied: false }
        discovery:
          mode: search
          always_load: [time_get_current_time]
          model: \(TestPaths.root)/.models/all-MiniLM-L6-v2.q8.mxemb
          vector_wait: 120s   # the first search ranks with every tool's vector (a loaded machine is slow)
        """
    }

    func git(_ arguments: [String]) throws -> String {
        try TestEnvironment.shared.runBlocking("/usr/bin/git", ["-C", repository] + arguments)
    }

    @Test("search, then call_tool on the match; a denied tool is not found and not run; both eras")
    func searchThenCall() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let configPath = try TestPaths.write(config, to: directory, name: "muxgate.yaml")
        try TestPaths.write("new\n", to: repository, name: "new.txt")
        let repo = #""repo_path": "\#(repository)""#
        let script = try TestPaths.write(
            #"""
            {"calls": [
              {"tool": "search_tools", "arguments": {"query": "show the commit history of a repository", "limit": 3}},
              {"tool": "call_tool", "arguments": {"name": "git_log", "arguments": {\#(repo)}}},
              {"tool": "search_tools", "arguments": {"query": "stage new files for the next commit"}},
              {"tool": "call_tool", "arguments": {"name": "git_add", "arguments": {\#(repo), "files": ["new.txt"]}}},
              {"tool": "call_tool", "arguments": {"name": "time_convert_time", "arguments": {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Europe/Paris"}}},
              {"tool": "search_tools", "arguments": {"query": "convert a time between time zones", "limit": 1}}
            ]}
            """#,
            to: directory,
            name: "script.json"
        )
        for mode in ["legacy", "auto"] {
            let output = try await TestEnvironment.shared.run(
                TestPaths.python,
                [
                    TestPaths.clientScript, "--timeout", "120", "--mode", mode, "script", script, "--",
                    TestPaths.muxgate, "serve", "--config", configPath,
                ]
            )
            let report = try JSONSlice.parse(output)
            let listed = report["tools"]?.elements.compactMap { $0["name"]?.string } ?? []
            #expect(listed == ["search_tools", "call_tool", "time_get_current_time"], "\(mode)")
            let results = report["results"]?.elements ?? []
            try #require(results.count == 6, "\(mode): \(output)")
            for result in results {
                #expect(result["error"]?.kind == .null, "\(mode): \(result.text)")
            }
            func found(_ result: JSONSlice) -> [String] {
                result["structuredContent"]?["tools"]?.elements.compactMap { $0["name"]?.string } ?? []
            }
            #expect(found(results[0]).contains("git_log"), "\(mode): \(results[0].text)")
            let log = results[0]["structuredContent"]?["tools"]?.elements.first { $0["name"]?.string == "git_log" }
            let schema = log?["inputSchema"]
            #expect(schema?["properties"]?["repo_path"] != nil, "the schema to call it with")
            #expect(results[1]["isError"]?.bool != true, "\(mode): \(results[1].text)")
            #expect(results[1]["content"]?.text.contains("initial commit") == true, "\(mode)")
            let staging = found(results[2])
            #expect(!staging.isEmpty)
            for denied in ["git_add", "git_commit", "git_reset", "git_create_branch", "git_checkout"] {
                #expect(!staging.contains(denied), "\(mode): readonly denies \(denied); search showed \(staging)")
            }
            #expect(results[3]["isError"]?.bool == true, "\(mode): \(results[3].text)")
            #expect(results[3]["content"]?.text.contains("readonly") == true, "\(mode): \(results[3].text)")
            #expect(
                results[4]["structuredContent"]?["target"]?["timezone"]?.string == "Europe/Paris",
                "\(mode): the found tool's own result, structuredContent included: \(results[4].text)"
            )
            #expect(found(results[5]) == ["time_convert_time"], "\(mode)")
        }
        #expect(try git(["diff", "--cached", "--name-only"]).isEmpty, "git_add never ran")
        // The audit trail names the inner tool of each call_tool, and each search.
        let log = try #require(ProcessInfo.processInfo.environment["MUXGATE_TEST_STATE"]) + "/muxgate/audit.jsonl"
        let records = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
            .map { try JSONSlice.parse(String($0)) }
        let decisions = records.filter { $0["event"]?.string == "decision" }
        #expect(decisions.contains { $0["tool"]?.string == "git_log" && $0["decision"]?.string == "allow" })
        #expect(decisions.contains { $0["tool"]?.string == "git_add" && $0["decision"]?.string == "deny" })
        #expect(!decisions.contains { $0["tool"]?.string == "call_tool" }, "the scope judged is the inner tool's")
        let searches = records.filter {
            $0["event"]?.string == "search"
                && $0["args"]?["query"]?.string == "show the commit history of a repository"
        }
        #expect(searches.count == 2, "one search event a session")
        #expect(searches.first?["results"]?.elements.contains { $0.string == "git_log" } == true)
    }
}
