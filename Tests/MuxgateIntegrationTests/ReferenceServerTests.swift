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

/// muxgate in front of the real reference servers from PyPI, compared with direct connections.
@Suite("Reference servers: git, time, sqlite", .serialized)
struct ReferenceServerTests {
    let repository: String
    let database: String
    let config: String

    init() async throws {
        try await TestEnvironment.shared.preparePython()
        repository = try TestEnvironment.shared.makeGitRepository()
        database = try TestPaths.temporaryDirectory("muxgate-db") + "/test.db"
        config = """
            \(TestPaths.loadedStartup)
            servers:
              git:
                command: \(TestPaths.root)/.venv/bin/mcp-server-git
                args: [--repository, "\(repository)"]
              time:
                command: \(TestPaths.root)/.venv/bin/mcp-server-time
                args: [--local-timezone, UTC]
              sqlite:
                command: \(TestPaths.root)/.venv-sqlite/bin/mcp-server-sqlite
                args: [--db-path, "\(database)"]
            """
    }

    /// The same child started directly, handshaken as muxgate does it.
    func direct(_ server: String) async throws -> LineProcess {
        let (command, args): (String, [String]) =
            switch server {
            case "git": (TestPaths.root + "/.venv/bin/mcp-server-git", ["--repository", repository])
            case "time": (TestPaths.root + "/.venv/bin/mcp-server-time", ["--local-timezone", "UTC"])
            default: (TestPaths.root + "/.venv-sqlite/bin/mcp-server-sqlite", ["--db-path", database])
            }
        let process = try LineProcess(command, args)
        let (response, _) = await process.request(
            id: 0,
            method: "initialize",
            params: #"{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}"#
        )
        try #require(response?.result != nil, "direct \(server) did not initialize: \(process.stderr)")
        process.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        return process
    }

    @Test("every tool definition is the child's own, byte for byte, except the name")
    func definitionsMatchDirect() async throws {
        let harness = try Harness.start(config)
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let (list, _) = await harness.muxgate.request(id: 1, method: "tools/list")
        let proxied = try #require(list?.result?["tools"]?.elements)
        #expect(proxied.count == 12 + 2 + 6, "\(proxied.compactMap { $0["name"]?.string })")
        for server in ["git", "time", "sqlite"] {
            let child = try await direct(server)
            defer { child.terminate() }
            let directTools = try #require(
                await child.request(id: 1, method: "tools/list").response?.result?["tools"]?.elements
            )
            #expect(!directTools.isEmpty)
            for tool in directTools {
                let original = try #require(tool["name"]?.string)
                let exposed = original.hasPrefix(server + "_") ? original : server + "_" + original
                let match = try #require(proxied.first { $0["name"]?.string == exposed }, "\(exposed) is not listed")
                var splice = JSONSplice()
                let nameRange = match["name"]!.range
                splice.replace(
                    (nameRange.lowerBound - match.range.lowerBound)..<(nameRange.upperBound - match.range.lowerBound),
                    with: JSONValue.quoted(original)
                )
                #expect(String(decoding: splice.apply(to: Array(match.bytes)), as: UTF8.self) == tool.text)
            }
        }
        #expect(await harness.shutDown())
    }

    @Test("a tool result passes through byte for byte, for one tool of every child")
    func resultsMatchDirect() async throws {
        let calls: [(server: String, tool: String, exposed: String, arguments: String)] = [
            ("git", "git_status", "git_status", #"{"repo_path":"\#(repository)"}"#),
            (
                "time", "convert_time", "time_convert_time",
                #"{"source_timezone":"UTC","time":"12:00","target_timezone":"Asia/Tokyo"}"#
            ),
            ("sqlite", "list_tables", "sqlite_list_tables", "{}"),
        ]
        let harness = try Harness.start(config)
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        for (index, call) in calls.enumerated() {
            let child = try await direct(call.server)
            defer { child.terminate() }
            let direct = await child.request(
                id: 7,
                method: "tools/call",
                params: #"{"name":"\#(call.tool)","arguments":\#(call.arguments)}"#
            ).response
            let proxied = await harness.call(call.exposed, call.arguments, id: 10 + index)
            let directResult = try #require(direct?.result, "direct \(call.tool): \(direct?.root.text ?? "none")")
            let proxiedResult = try #require(proxied?.result, "\(call.exposed): \(proxied?.root.text ?? "none")")
            #expect(proxiedResult.text == directResult.text)
            #expect(proxiedResult["isError"]?.bool != true)
        }
        #expect(await harness.shutDown())
    }

    @Test("the official Python client lists and calls one tool of every child through muxgate")
    func officialClient() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let configPath = try TestPaths.write(config, to: directory, name: "muxgate.yaml")
        let script = try TestPaths.write(
            #"""
            {"calls": [
              {"tool": "git_status", "arguments": {"repo_path": "\#(repository)"}},
              {"tool": "git_log", "arguments": {"repo_path": "\#(repository)"}},
              {"tool": "time_convert_time", "arguments": {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Europe/Paris"}},
              {"tool": "sqlite_create_table", "arguments": {"query": "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"}},
              {"tool": "sqlite_list_tables", "arguments": {}},
              {"tool": "no_such_tool", "arguments": {}}
            ]}
            """#,
            to: directory,
            name: "script.json"
        )
        let output = try await TestEnvironment.shared.run(
            TestPaths.python,
            [
                TestPaths.clientScript, "--timeout", "90", "script", script, "--", TestPaths.muxgate, "serve",
                "--config", configPath,
            ]
        )
        let report = try JSONSlice.parse(output)
        #expect(
            report["protocolVersion"]?.string == "2026-07-28",
            "auto mode probes server/discover, which muxgate answers"
        )
        let names = report["tools"]?.elements.compactMap { $0["name"]?.string } ?? []
        #expect(names.count == 20)
        #expect(["git_status", "time_get_current_time", "sqlite_read_query"].allSatisfy(names.contains))
        let results = report["results"]?.elements ?? []
        try #require(results.count == 6)
        for result in results.prefix(5) {
            #expect(result["error"]?.kind == .null, "\(result.text)")
            #expect(result["isError"]?.bool != true, "\(result.text)")
        }
        #expect(results[1]["content"]?.text.contains("initial commit") == true)
        #expect(results[2]["structuredContent"]?["target"]?["timezone"]?.string == "Europe/Paris")
        #expect(results[4]["content"]?.text.contains("notes") == true)
        #expect(results[5]["error"]?["code"]?.int == -32602)
    }

    @Test("sqlite's prompt and resource are listed, routed, and resources/updated reaches the client")
    func promptsAndResources() async throws {
        let harness = try Harness.start(config)
        defer { harness.muxgate.terminate() }
        let initialize = try await harness.initialize()
        #expect(initialize.result?["capabilities"]?["prompts"] != nil)
        #expect(initialize.result?["capabilities"]?["resources"]?["subscribe"]?.bool == true)
        let prompts = try #require(await harness.muxgate.request(id: 1, method: "prompts/list").response?.result)
        #expect(prompts["prompts"]?.elements.compactMap { $0["name"]?.string } == ["sqlite_mcp-demo"])
        let prompt = await harness.muxgate.request(
            id: 2,
            method: "prompts/get",
            params: #"{"name":"sqlite_mcp-demo","arguments":{"topic":"ducks"}}"#
        ).response
        #expect(prompt?.result?["messages"]?.text.contains("ducks") == true, "\(prompt?.root.text ?? "no answer")")
        let resources = try #require(await harness.muxgate.request(id: 3, method: "resources/list").response?.result)
        #expect(resources["resources"]?.elements.compactMap { $0["uri"]?.string } == ["memo://insights"])
        let read = await harness.muxgate.request(id: 4, method: "resources/read", params: #"{"uri":"memo://insights"}"#)
        #expect(read.response?.result?["contents"] != nil, "\(read.response?.root.text ?? "no answer")")
        let (insight, before) = await harness.muxgate.request(
            id: 5,
            method: "tools/call",
            params: #"{"name":"sqlite_append_insight","arguments":{"insight":"muxgate forwards updates"}}"#
        )
        #expect(insight?.result != nil)
        var notifications = before.compactMap(\.method)
        while let message = await harness.muxgate.nextMessage(timeout: .seconds(2)) {
            if let method = message.method { notifications.append(method) }
        }
        #expect(notifications.contains("notifications/resources/updated"), "\(notifications)")
        let unknown = await harness.muxgate.request(
            id: 6,
            method: "resources/read",
            params: #"{"uri":"memo://nothing"}"#
        )
        #expect(unknown.response?.errorCode == -32002)
        #expect(await harness.shutDown())
    }

    @Test("two children with the same resource URI: distinct muxgate:// names, routed and reversed both ways")
    func resourceCollision() async throws {
        let directory = try TestPaths.temporaryDirectory("muxgate-db")
        let config = ["one", "two"].map { name in
            "  \(name):\n    command: \(TestPaths.root)/.venv-sqlite/bin/mcp-server-sqlite\n"
                + "    args: [--db-path, \"\(directory)/\(name).db\"]\n"
        }.joined()
        let harness = try Harness.start("audit: { enabled: false }\n\(TestPaths.loadedStartup)\nservers:\n" + config)
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let resources = try #require(await harness.muxgate.request(id: 1, method: "resources/list").response?.result)
        let uris = resources["resources"]?.elements.compactMap { $0["uri"]?.string }
        #expect(uris == ["muxgate://one/memo://insights", "muxgate://two/memo://insights"])
        #expect(
            resources["resources"]?.elements.first?["name"]?.string != nil,
            "every other field of the definition is the child's"
        )
        _ = await harness.call("two_append_insight", #"{"insight":"only in two"}"#, id: 2)
        let read = try #require(
            await harness.muxgate.request(
                id: 3,
                method: "resources/read",
                params: #"{"uri":"muxgate://two/memo://insights"}"#
            ).response?.result
        )
        #expect(read["contents"]?.elements.first?["uri"]?.string == "muxgate://two/memo://insights")
        #expect(read["contents"]?.text.contains("only in two") == true, "routed to two: \(read.text)")
        let other = await harness.muxgate.request(
            id: 4,
            method: "resources/read",
            params: #"{"uri":"muxgate://one/memo://insights"}"#
        ).response
        #expect(other?.result?["contents"]?.text.contains("only in two") == false, "one has its own memo")
        let bare = await harness.muxgate.request(id: 5, method: "resources/read", params: #"{"uri":"memo://insights"}"#)
        #expect(bare.response?.errorCode == -32002, "the bare URI is ambiguous, so it names no resource")
        let (_, updates) = await harness.muxgate.request(
            id: 6,
            method: "tools/call",
            params: #"{"name":"one_append_insight","arguments":{"insight":"in one"}}"#
        )
        var updated = updates.filter { $0.method == "notifications/resources/updated" }
        while updated.isEmpty, let message = await harness.muxgate.nextMessage(timeout: .seconds(5)) {
            if message.method == "notifications/resources/updated" { updated.append(message) }
        }
        #expect(updated.first?.params?["uri"]?.string == "muxgate://one/memo://insights")
        #expect(await harness.shutDown())
    }

    @Test("prompt and resource filters hide what they deny")
    func promptAndResourceFilters() async throws {
        let filtered = config.replacingOccurrences(
            of: "args: [--db-path, \"\(database)\"]",
            with:
                "args: [--db-path, \"\(database)\"]\n    prompts: { deny: [\"mcp-*\"] }\n    resources: { allow: [\"file://*\"] }"
        )
        let harness = try Harness.start(filtered)
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let prompts = await harness.muxgate.request(id: 1, method: "prompts/list").response
        #expect(prompts?.result?["prompts"]?.elements.isEmpty == true, "\(prompts?.root.text ?? "")")
        let resources = await harness.muxgate.request(id: 2, method: "resources/list").response
        #expect(resources?.result?["resources"]?.elements.isEmpty == true)
        let get = await harness.muxgate.request(id: 3, method: "prompts/get", params: #"{"name":"sqlite_mcp-demo"}"#)
        #expect(get.response?.errorCode == -32602)
        let read = await harness.muxgate.request(id: 4, method: "resources/read", params: #"{"uri":"memo://insights"}"#)
        #expect(read.response?.errorCode == -32002)
        #expect(await harness.shutDown())
        #expect(harness.muxgate.stderr.contains("file://*"), "a resource rule that matches nothing is reported")
    }
}
