import Logging
import MuxgateTesting
import Testing

@testable import MuxgateAudit
@testable import MuxgateCLI
@testable import MuxgateChildren
@testable import MuxgateConfig
@testable import MuxgatePolicy
@testable import MuxgateRouting
@testable import MuxgateWire

/// Discovery in the gate, without processes: what a search listing holds, what search may show,
/// and `call_tool` passing the very stages a direct call passes.
@Suite("Discovery in the gate: the listing, search within the profile, call_tool through the same stages")
struct DiscoveryGateTests {
    struct Gate {
        let memory: MemoryGate
        let child: MemoryChild
        var passed: Locked<[String: [GateStage]]> { memory.passed }

        static func config(_ discovery: String, server: String = "mem") -> String {
            """
            policy: { profile: readonly, hide_denied: false }
            audit: { enabled: false }
            startup_timeout: 120s
            discovery: \(discovery)
            servers:
              \(server):
                command: unused
                tools: { deny: [hidden] }
            """
        }

        static let searching =
            "{ mode: search, always_load: [mem_read], model: \(TestPaths.root)/.models/all-MiniLM-L6-v2.q8.mxemb, cache: false }"

        static let notebook: [MemoryChild.Tool] = [
            .init("read", readOnly: true, description: "Read a note from the notebook"),
            .init("write", description: "Write a note into the notebook"),
            .init("hidden", readOnly: true, description: "Read the secret diary"),
            .init("weather", readOnly: true, description: "Tomorrow's weather forecast for a city"),
        ]

        init(
            _ discovery: String = searching,
            client: String = "t",
            server: String = "mem",
            tools: [MemoryChild.Tool] = notebook
        ) async throws {
            child = MemoryChild(server, tools: tools)
            memory = try await MemoryGate(
                Self.config(discovery, server: server),
                children: [child],
                client: client,
                label: "discovery-gate-test"
            )
        }

        func send(_ id: Int, _ method: String, _ params: String = "{}") async -> JSONRPCMessage? {
            await memory.send(id, method, params)
        }

        func names(_ id: Int) async -> [String] {
            await send(id, "tools/list")?.result?["tools"]?.elements.compactMap { $0["name"]?.string } ?? []
        }

        func search(_ id: Int, _ query: String, limit: Int = 10) async -> [String] {
            let answer = await send(
                id,
                "tools/call",
                #"{"name":"search_tools","arguments":{"query":"\#(query)","limit":\#(limit)}}"#
            )
            return answer?.result?["structuredContent"]?["tools"]?.elements.compactMap { $0["name"]?.string } ?? []
        }

        func stop() { memory.stop() }
    }

    @Test("search lists the meta-tools and the always-loaded tools, under 2 KB; off lists what it always did")
    func listing() async throws {
        let gate = try await Gate()
        defer { gate.stop() }
        let answer = try #require(await gate.send(1, "tools/list"))
        let tools = answer.result?["tools"]?.elements ?? []
        #expect(tools.compactMap { $0["name"]?.string } == ["search_tools", "call_tool", "mem_read"])
        #expect(answer.result!.range.count < 2048, "\(answer.result!.range.count) bytes")
        #expect(tools[0]["_meta"] == nil, "no marks for a client that does not defer tools")
        let off = try await Gate("{ mode: \"off\" }")
        defer { off.stop() }
        #expect(await off.names(1) == ["mem_read", "mem_write", "mem_weather"])
        let unknown = await off.send(2, "tools/call", #"{"name":"search_tools","arguments":{"query":"x"}}"#)
        #expect(unknown?.error?["code"]?.int == -32602, "discovery off: no meta-tools")
    }

    @Test("a child tool exposed as search_tools: a search listing shows the meta-tool once, a full listing the child's")
    func metaToolNameClash() async throws {
        let clash: [MemoryChild.Tool] = [.init("tools", readOnly: true, description: "The child's own tool")]
        let searching = try await Gate(server: "search", tools: clash)
        defer { searching.stop() }
        #expect(await searching.names(1) == ["search_tools", "call_tool"])
        let found = await searching.send(2, "tools/call", #"{"name":"search_tools","arguments":{"query":"own tool"}}"#)
        #expect(found?.result?["structuredContent"] != nil, "muxgate's search answered: \(String(describing: found))")
        #expect(searching.child.received("tools/call").isEmpty, "the child heard a call meant for muxgate")
        let off = try await Gate("{ mode: \"off\" }", server: "search", tools: clash)
        defer { off.stop() }
        #expect(await off.names(1) == ["search_tools"])
        let direct = await off.send(2, "tools/call", #"{"name":"search_tools","arguments":{}}"#)
        #expect(direct?.result?["structuredContent"] == nil && direct?.error == nil, "\(String(describing: direct))")
        #expect(off.child.received("tools/call").count == 1, "the child's own tool was not called")
    }

    @Test("auto: Claude Code gets every tool, the always-loaded ones marked; another client within the budget too")
    func auto() async throws {
        let discovery =
            "{ mode: auto, always_load: [mem_read], model: \(TestPaths.root)/.models/none.mxemb, cache: false }"
        let claude = try await Gate(discovery, client: "claude-code")
        defer { claude.stop() }
        let tools = await claude.send(1, "tools/list")?.result?["tools"]?.elements ?? []
        #expect(tools.compactMap { $0["name"]?.string } == ["mem_read", "mem_write", "mem_weather"])
        #expect(tools[0]["_meta"]?["anthropic/alwaysLoad"]?.bool == true)
        #expect(tools[1]["_meta"] == nil)
        let cursor = try await Gate(discovery, client: "cursor")
        defer { cursor.stop() }
        #expect(await cursor.names(1) == ["mem_read", "mem_write", "mem_weather"], "3 tools: within 40")
        let tight = try await Gate(
            "{ mode: auto, tool_budget: 2, model: \(TestPaths.root)/.models/none.mxemb, cache: false }",
            client: "cursor"
        )
        defer { tight.stop() }
        #expect(await tight.names(1) == ["search_tools", "call_tool"], "3 tools: over a budget of 2")
    }

    @Test("search finds by meaning, and never shows a tool the profile denies or a filter hides")
    func searchWithinProfile() async throws {
        let gate = try await Gate()
        defer { gate.stop() }
        let weather = await gate.search(2, "will it rain in Paris tomorrow", limit: 1)
        #expect(weather == ["mem_weather"])
        // readonly denies mem_write (a write); tools.deny hides mem_hidden. Their own words find neither.
        for (id, query) in [(3, "write a note into the notebook"), (4, "write"), (5, "secret diary"), (6, "hidden")] {
            let found = await gate.search(id, query)
            #expect(!found.contains("mem_write") && !found.contains("mem_hidden"), "\(query): \(found)")
        }
        let answer = try #require(
            await gate.send(7, "tools/call", #"{"name":"search_tools","arguments":{"query":"notebook"}}"#)
        )
        let text = answer.result?["content"]?.elements.first?["text"]?.string ?? ""
        #expect(!text.contains("write") && !text.contains("secret"), "\(text)")
        let first = try #require(answer.result?["structuredContent"]?["tools"]?.elements.first)
        #expect(first["name"]?.string == "mem_read")
        #expect(first["description"]?.string == "Read a note from the notebook")
        #expect(first["inputSchema"]?["type"]?.string == "object")
        let missing = await gate.send(8, "tools/call", #"{"name":"search_tools","arguments":{}}"#)
        #expect(missing?.result?["isError"]?.bool == true)
        let bad = await gate.send(9, "tools/call", #"{"name":"search_tools","arguments":{"query":"x","limit":0}}"#)
        #expect(bad?.result?["isError"]?.bool == true)
        #expect(gate.child.received("tools/call").isEmpty, "a search reaches no child")
    }

    @Test("call_tool is the direct call: the same stages, the same denial, the child sees the inner tool's call")
    func callThroughTheGate() async throws {
        let gate = try await Gate()
        defer { gate.stop() }
        let direct = try #require(
            await gate.send(10, "tools/call", #"{"name":"mem_weather","arguments":{"city":"Oslo"}}"#)
        )
        let wrapped = try #require(
            await gate.send(
                11,
                "tools/call",
                #"{"name":"call_tool","arguments":{"name":"mem_weather","arguments":{"city":"Oslo"}},"_meta":{"k":1}}"#
            )
        )
        #expect(wrapped.result?.text == direct.result?.text, "\(wrapped.root.text)")
        let calls = gate.child.received("tools/call")
        #expect(calls.count == 2)
        #expect(calls.last?.params?["name"]?.string == "weather")
        #expect(calls.last?.params?["arguments"]?.text == #"{"city":"Oslo"}"#)
        #expect(calls.last?.params?["_meta"]?["k"]?.int == 1, "the rest of the request is kept")
        // Denied by the profile: the same answer as the direct call, and nothing reaches the child.
        let deniedDirect = await gate.send(12, "tools/call", #"{"name":"mem_write","arguments":{}}"#)
        let deniedWrapped = await gate.send(
            13,
            "tools/call",
            #"{"name":"call_tool","arguments":{"name":"mem_write","arguments":{}}}"#
        )
        #expect(deniedWrapped?.result?["isError"]?.bool == true)
        #expect(deniedWrapped?.result?.text == deniedDirect?.result?.text)
        let hidden = await gate.send(14, "tools/call", #"{"name":"call_tool","arguments":{"name":"mem_hidden"}}"#)
        #expect(hidden?.error?["code"]?.int == -32602, "a filtered tool is unknown, as when called directly")
        #expect(gate.child.received("tools/call").count == 2, "no denied call reached the child")
        let passed = gate.passed.withLock { $0 }
        let allowed: [GateStage] = [.read, .resolve, .shape, .judge, .limit, .record, .forward, .screen, .observe]
        #expect(passed["11"] == allowed, "\(passed)")
        #expect(passed["13"] == passed["12"], "\(passed)")
        // Malformed: a JSON-RPC error, as a malformed tools/call gets.
        for (id, arguments) in [(15, "{}"), (16, #"{"name":3}"#), (17, #"{"name":"mem_read","arguments":[1]}"#)] {
            let answer = await gate.send(id, "tools/call", #"{"name":"call_tool","arguments":\#(arguments)}"#)
            #expect(answer?.error?["code"]?.int == -32602, "\(arguments)")
        }
        // Other spellings of the same call read one way: an escaped name is the name (denied as
        // the direct call is), a case variant is another, unknown name, and a key written twice
        // anywhere in the wrapped call is refused before anything judges it.
        let escaped = await gate.send(
            19,
            "tools/call",
            #"{"name":"call\u005ftool","arguments":{"name":"mem\u005fwrite","arguments":{}}}"#
        )
        #expect(escaped?.result?.text == deniedDirect?.result?.text, "\(String(describing: escaped?.root.text))")
        let cased = await gate.send(20, "tools/call", #"{"name":"call_tool","arguments":{"name":"MEM_WRITE"}}"#)
        #expect(cased?.error?["code"]?.int == -32602)
        for (id, arguments) in [
            (21, #"{"name":"mem_weather","name":"mem_write","arguments":{}}"#),
            (22, #"{"name":"mem_weather","arguments":{"city":"Oslo","city":"Rome"}}"#),
            (23, #"{"name":"mem_weather","arguments":{"city":"Oslo"},"arguments":{}}"#),
        ] {
            let answer = await gate.send(id, "tools/call", #"{"name":"call_tool","arguments":\#(arguments)}"#)
            #expect(answer?.error?["code"]?.int == -32602, "two readings through call_tool: \(arguments)")
        }
        #expect(gate.child.received("tools/call").count == 2, "none of these reached the child")
        // Nested meta-tools are no tools.
        let nested = await gate.send(18, "tools/call", #"{"name":"call_tool","arguments":{"name":"search_tools"}}"#)
        #expect(nested?.error?["code"]?.int == -32602)
    }
}
