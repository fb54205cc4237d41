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

/// Protocol 2026-07-28 towards the IDE, with children of both eras behind one muxgate.
@Suite("Protocol 2026-07-28: discovery, envelope, input-required bridging")
struct ModernProtocolTests {
    init() async throws {
        try await TestEnvironment.shared.prepare()
        try await TestEnvironment.shared.preparePython()
    }

    static let envelope =
        #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"},"io.modelcontextprotocol/clientCapabilities":{"elicitation":{}},"progressToken":"p1"}"#

    var config: String {
        "audit: { enabled: false }\n\(TestPaths.loadedStartup)\nservers:\n" + Harness.fixture("fx")
            + "  py:\n    command: \(TestPaths.python)\n    args: [\"\(TestPaths.root)/Tests/e2e/fastmcp_server.py\"]\n"
            + "  time:\n    command: \(TestPaths.root)/.venv/bin/mcp-server-time\n"
    }

    /// Runs the official client's `script` mode on `calls` (JSON) against muxgate serving `config`.
    ///
    /// - Returns: The client's report and the config file's path.
    static func runOfficialClient(
        mode: String,
        config: String,
        calls: String,
        options: [String] = [],
        timeout: String = "90"
    ) async throws -> (report: JSONSlice, configPath: String) {
        let directory = try TestPaths.temporaryDirectory()
        let configPath = try TestPaths.write(config, to: directory, name: "muxgate.yaml")
        let script = try TestPaths.write(#"{"calls": \#(calls)}"#, to: directory, name: "script.json")
        let output = try await TestEnvironment.shared.run(
            TestPaths.python,
            [TestPaths.clientScript, "--timeout", timeout, "--mode", mode] + options
                + ["script", script, "--", TestPaths.muxgate, "serve", "--config", configPath]
        )
        return (try JSONSlice.parse(output), configPath)
    }

    static let acceptAda = ["--elicitation", "accept", "--elicitation-content", #"{"name":"Ada"}"#]

    @Test("server/discover, per-request envelope, -32022, resultType on results, envelope kept from the child")
    func envelopeOnTheWire() async throws {
        let harness = try Harness.start(config)
        defer { harness.muxgate.terminate() }
        let (bad, _) = await harness.muxgate.request(
            id: 1,
            method: "server/discover",
            params:
                #"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2099-01-01","io.modelcontextprotocol/clientCapabilities":{}}}"#
        )
        #expect(bad?.errorCode == -32022)
        #expect(bad?.error?["data"]?["supported"]?.text == #"["2026-07-28"]"#)
        let (discover, _) = await harness.muxgate.request(
            id: 2,
            method: "server/discover",
            params: "{\(Self.envelope)}"
        )
        let result = try #require(discover?.result)
        #expect(result["supportedVersions"]?.text == #"["2026-07-28"]"#)
        #expect(result["resultType"]?.string == "complete" && result["capabilities"]?["tools"] != nil)
        #expect(result["_meta"]?["io.modelcontextprotocol/serverInfo"]?["name"]?.string == "muxgate")

        let (list, _) = await harness.muxgate.request(id: 3, method: "tools/list", params: "{\(Self.envelope)}")
        let tools = try #require(list?.result)
        #expect(tools["resultType"]?.string == "complete" && tools["ttlMs"]?.int == 0)
        #expect(tools["cacheScope"]?.string == "private")
        let names = tools["tools"]?.elements.compactMap { $0["name"]?.string } ?? []
        #expect(["fx_echo", "py_greet", "time_get_current_time"].allSatisfy(names.contains), "\(names)")

        let (echo, _) = await harness.muxgate.request(
            id: 4,
            method: "tools/call",
            params: #"{"name":"fx_requests","arguments":{},\#(Self.envelope)}"#
        )
        let call = try #require(echo?.result)
        #expect(call["resultType"]?.string == "complete", "added for the modern client: \(call.text)")
        let received = try JSONSlice.parse(try #require(echo?.firstText))
        let forwarded = try #require(received.elements.last { $0["method"]?.string == "tools/call" })
        #expect(
            forwarded["params"]?["_meta"]?.text == #"{"progressToken":"p1"}"#,
            "the envelope is muxgate's; the rest of _meta reaches the child: \(forwarded.text)"
        )
        let (wrong, _) = await harness.muxgate.request(
            id: 5,
            method: "tools/list",
            params: #"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2025-06-18"}}"#
        )
        #expect(wrong?.errorCode == -32022)
        #expect(await harness.shutDown())
    }

    @Test("per-request _meta: capabilities count per request; progressToken and trace context reach the child")
    func perRequestMeta() async throws {
        let harness = try Harness.start("audit: { enabled: false }\nservers:\n" + Harness.fixture("fx"))
        defer { harness.muxgate.terminate() }
        // The first request declares elicitation (the children start with it)...
        _ = await harness.muxgate.request(id: 1, method: "tools/list", params: "{\(Self.envelope)}")
        let ask =
            #"{"method":"elicitation/create","params":{"message":"Name?","requestedSchema":{"type":"object","properties":{}}}}"#
        let (asked, _) = await harness.muxgate.request(
            id: 2,
            method: "tools/call",
            params: #"{"name":"fx_ask","arguments":\#(ask),\#(Self.envelope)}"#
        )
        #expect(
            asked?.result?["resultType"]?.string == "input_required",
            "declared: bridged: \(asked?.root.text ?? "")"
        )
        // ...a later one declares nothing: the child's request in it is refused, not bridged.
        let bare =
            #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","progressToken":"p9"}"#
        let (refused, _) = await harness.muxgate.request(
            id: 3,
            method: "tools/call",
            params: #"{"name":"fx_ask","arguments":\#(ask),\#(bare)}"#
        )
        let text = refused?.firstText ?? ""
        #expect(text.contains("-32601"), "this request declared no elicitation: \(refused?.root.text ?? "")")
        let received = try JSONSlice.parse(try #require(await harness.call("fx_requests", id: 4)?.firstText))
        let forwarded = try #require(received.elements.last { $0["params"]?["_meta"]?["traceparent"] != nil })
        #expect(
            forwarded["params"]?["_meta"]?.text
                == #"{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","progressToken":"p9"}"#,
            "trace context and the progress token pass; the envelope stays muxgate's: \(forwarded.text)"
        )
        #expect(await harness.shutDown())
    }

    @Test("subscriptions/listen: only what was asked for, tagged with the stream; logs stay on stderr")
    func subscriptions() async throws {
        let harness = try Harness.start(
            "audit: { enabled: false }\nservers:\n" + Harness.fixture("fx", ["--extras", "--change-tools-after-call"])
        )
        defer { harness.muxgate.terminate() }
        _ = await harness.muxgate.request(id: 1, method: "server/discover", params: "{\(Self.envelope)}")
        _ = await harness.muxgate.request(id: 2, method: "tools/list", params: "{\(Self.envelope)}")
        _ = await harness.muxgate.request(id: 3, method: "resources/list", params: "{\(Self.envelope)}")
        harness.muxgate.send(
            #"{"jsonrpc":"2.0","id":5,"method":"subscriptions/listen","params":{\#(Self.envelope),"notifications":{"toolsListChanged":true,"resourceSubscriptions":["fx://note"]}}}"#
        )
        let ack = try #require(await harness.muxgate.nextMessage(timeout: .seconds(10)))
        #expect(ack.method == "notifications/subscriptions/acknowledged")
        #expect(ack.params?["_meta"]?["io.modelcontextprotocol/subscriptionId"]?.int == 5)
        #expect(ack.params?["notifications"]?["toolsListChanged"]?.bool == true)
        var seenDuringCalls: [JSONRPCMessage] = []
        for (index, notification) in [
            #"{"method":"notifications/message","params":{"level":"info","data":"child log line"}}"#,
            #"{"method":"notifications/resources/updated","params":{"uri":"fx://note"}}"#,
        ].enumerated() {
            seenDuringCalls += await harness.muxgate.request(
                id: 10 + index,
                method: "tools/call",
                params: #"{"name":"fx_notify","arguments":\#(notification),\#(Self.envelope)}"#
            ).others
        }
        let (pong, seen) = await harness.muxgate.request(id: 20, method: "ping")
        #expect(pong?.errorCode == -32601, "2026-07-28 removed ping: \(pong?.root.text ?? "")")
        var all = seenDuringCalls + seen
        while !all.contains(where: { $0.method == "notifications/tools/list_changed" }),
            let message = await harness.muxgate.nextMessage(timeout: .seconds(5))
        {
            all.append(message)
            if message.method == "notifications/tools/list_changed" {
                #expect(message.params?["_meta"]?["io.modelcontextprotocol/subscriptionId"]?.int == 5)
            }
        }
        let methods = all.compactMap(\.method)
        let updated = all.first { $0.method == "notifications/resources/updated" }
        #expect(updated?.params?["uri"]?.string == "fx://note")
        #expect(updated?.params?["_meta"]?["io.modelcontextprotocol/subscriptionId"]?.int == 5)
        #expect(!methods.contains("notifications/message"), "no log lines the IDE did not ask for: \(methods)")
        #expect(methods.contains("notifications/tools/list_changed"), "\(methods)")
        #expect(harness.muxgate.stderr.contains("child log line"), "the child's log line went to stderr")
        let received = try JSONSlice.parse(try #require(await harness.call("fx_requests", id: 30)?.firstText))
        #expect(
            received.elements.contains { $0["method"]?.string == "resources/subscribe" },
            "the child was subscribed"
        )
        #expect(await harness.shutDown())
    }

    @Test(
        "the official client, legacy and 2026-07-28: FastMCP, fixture and mcp-server-time children; elicitation bridged",
        arguments: ["legacy", "auto", "discover"]
    )
    func officialClient(mode: String) async throws {
        let (report, _) = try await Self.runOfficialClient(
            mode: mode,
            config: config,
            calls: #"""
                [
                  {"tool": "py_greet", "arguments": {}},
                  {"tool": "py_greet_old", "arguments": {}},
                  {"tool": "py_count", "arguments": {"n": 3}},
                  {"tool": "fx_ask", "arguments": {"method": "elicitation/create", "params": {"mode": "form", "message": "Name?", "requestedSchema": {"type": "object", "properties": {"name": {"type": "string"}}}}}},
                  {"tool": "time_get_current_time", "arguments": {"timezone": "UTC"}}
                ]
                """#,
            options: Self.acceptAda
        )
        #expect(report["protocolVersion"]?.string == (mode == "legacy" ? "2025-11-25" : "2026-07-28"))
        let results = report["results"]?.elements ?? []
        try #require(results.count == 5, "\(report.text)")
        for result in results {
            #expect(result["error"]?.kind == .null && result["isError"]?.bool != true, "\(result.text)")
        }
        #expect(results[0]["content"]?.text.contains("Hello, Ada!") == true, "\(results[0].text)")
        #expect(results[1]["content"]?.text.contains("Hello, Ada!") == true, "\(results[1].text)")
        #expect(results[2]["content"]?.text.contains("counted to 3") == true)
        #expect(results[3]["content"]?.text.contains(#"\"name\":\"Ada\""#) == true, "\(results[3].text)")
        #expect(results[4]["structuredContent"]?["timezone"]?.string == "UTC")
    }

    @Test(
        "a FastMCP child spoken to in 2026-07-28: its input-required results reach either kind of client",
        arguments: ["legacy", "auto", "discover"]
    )
    func modernChild(mode: String) async throws {
        let (report, configPath) = try await Self.runOfficialClient(
            mode: mode,
            config: "audit: { enabled: false }\n\(TestPaths.loadedStartup)\nservers:\n"
                + "  py:\n    command: \(TestPaths.python)\n    args: [\"\(TestPaths.root)/Tests/e2e/fastmcp_server.py\"]\n"
                + "    protocol: \"2026-07-28\"\n"
                + "  time:\n    command: \(TestPaths.root)/.venv/bin/mcp-server-time\n",
            calls: #"""
                [
                  {"tool": "py_greet", "arguments": {}},
                  {"tool": "py_count", "arguments": {"n": 2}},
                  {"tool": "time_get_current_time", "arguments": {"timezone": "UTC"}}
                ]
                """#,
            options: Self.acceptAda
        )
        let results = report["results"]?.elements ?? []
        try #require(results.count == 3, "\(report.text)")
        for result in results {
            #expect(result["error"]?.kind == .null && result["isError"]?.bool != true, "\(result.text)")
        }
        #expect(results[0]["content"]?.text.contains("Hello, Ada!") == true, "\(results[0].text)")
        #expect(results[1]["content"]?.text.contains("counted to 2") == true)
        #expect(results[2]["structuredContent"]?["timezone"]?.string == "UTC")
        let check = try await Harness.run(["check", "--config", configPath])
        let pyLine = check.output.split(separator: "\n").first { $0.contains("py") && $0.contains("protocol") }
        #expect(pyLine?.contains("2026-07-28") == true, "the child was spoken to in 2026-07-28: \(check.output)")
    }

    @Test(
        "the official client's sampling and roots callbacks answer a child's requests, in both eras",
        arguments: ["legacy", "auto", "discover"]
    )
    func samplingAndRoots(mode: String) async throws {
        let (report, _) = try await Self.runOfficialClient(
            mode: mode,
            config: "audit: { enabled: false }\nservers:\n" + Harness.fixture("fx"),
            calls: #"""
                [
                  {"tool": "fx_ask", "arguments": {"method": "sampling/createMessage", "params": {"messages": [{"role": "user", "content": {"type": "text", "text": "hi"}}], "maxTokens": 5}}},
                  {"tool": "fx_ask", "arguments": {"method": "roots/list", "params": {}}}
                ]
                """#,
            options: ["--sampling", "--sampling-text", "sampled!", "--root", "file:///tmp/project"],
            timeout: "60"
        )
        let results = report["results"]?.elements ?? []
        try #require(results.count == 2, "\(report.text)")
        // The fixture's ask tool answers with the raw response line the client's answer became.
        let sampled = try JSONSlice.parse(try #require(results[0]["content"]?.elements.first?["text"]?.string))
        #expect(sampled["result"]?["content"]?["text"]?.string == "sampled!", "\(results[0].text)")
        let roots = try JSONSlice.parse(try #require(results[1]["content"]?.elements.first?["text"]?.string))
        #expect(
            roots["result"]?["roots"]?.elements.first?["uri"]?.string == "file:///tmp/project",
            "\(results[1].text)"
        )
    }
}
