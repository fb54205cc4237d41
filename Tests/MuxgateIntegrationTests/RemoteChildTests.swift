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

/// Remote children: the Python SDK's MCPServer over Streamable HTTP (stateful, stateless, JSON,
/// resumable) and HTTP+SSE, mcp-proxy in front of mcp-server-git, and misbehaving servers, all on
/// loopback, with the official client as the IDE.
@Suite("Remote children over HTTP: Streamable HTTP, HTTP+SSE, sessions, resumption, secrets")
struct RemoteChildTests {
    init() async throws {
        try await TestEnvironment.shared.preparePython()
    }

    static let httpServer = TestPaths.root + "/Tests/e2e/http_server.py"

    /// The Python test server in `mode` (arguments after it as given).
    static func server(_ mode: String, _ arguments: [String] = []) async throws -> TestServer {
        try await TestServer(TestPaths.python, [httpServer, mode] + arguments)
    }

    static func config(_ url: String, extra: [String] = [], audit: Bool = false) -> String {
        (audit ? "" : "audit: { enabled: false }\n") + "\(TestPaths.loadedStartup)\nservers:\n  web:\n    url: \(url)\n"
            + extra.map { "    \($0)\n" }.joined()
    }

    static let calls = #"""
        [
          {"tool": "web_echo", "arguments": {"text": "over http"}},
          {"tool": "web_ask_name", "arguments": {}},
          {"tool": "web_grow", "arguments": {}}
        ]
        """#

    @Test(
        "the official client through muxgate to a remote MCPServer: calls, logs, a server→client request, list changes",
        arguments: ["stateful", "stateless", "json", "resumable", "sse"]
    )
    func officialClient(mode: String) async throws {
        let server = try await Self.server(mode)
        defer { server.stop() }
        // Not configured: the transport is found (HTTP+SSE after POST /sse answers 405).
        let url = server.url(mode == "sse" ? "/sse" : "/mcp")
        let (report, _) = try await ModernProtocolTests.runOfficialClient(
            mode: "legacy",
            config: Self.config(url),
            calls: Self.calls,
            options: ModernProtocolTests.acceptAda + ["--log-level", "info"],
            timeout: "90"
        )
        let results = report["results"]?.elements ?? []
        try #require(results.count == 3, "\(report.text)")
        #expect(results[0]["content"]?.text.contains("over http") == true, "\(mode): \(results[0].text)")
        let logs = (report["logs"]?.elements ?? []).compactMap { $0["data"]?.string }
        // json_response drops request-scoped notifications at the server: nothing to forward.
        #expect(logs == (mode == "json" ? [] : ["echoing over http"]), "\(mode): \(report.text)")
        if ["stateful", "resumable", "sse"].contains(mode) {
            #expect(results[1]["content"]?.text.contains("Hello, Ada!") == true, "\(mode): \(results[1].text)")
        } else {
            // Stateless and JSON servers have no back channel: their own error reaches the client.
            #expect(
                results[1]["error"]?["message"]?.string?.contains("back-channel") == true,
                "\(mode): \(results[1].text)"
            )
        }
        #expect(results[2]["content"]?.text.contains("grown") == true)
    }

    @Test("the session id is kept and sent, the version header follows the handshake, DELETE ends the session")
    func session() async throws {
        let server = try await Self.server("stateful")
        defer { server.stop() }
        let harness = try Harness.start(Self.config(server.url("/mcp"), extra: ["headers: { X-Team: blue }"]))
        defer { harness.muxgate.terminate() }
        try await harness.initialize(version: "2025-06-18")
        #expect(try await harness.toolNames().contains("web_echo"))
        let seen = try JSONSlice.parse(try #require(await harness.call("web_headers", id: 2)?.firstText))
        let session = try #require(seen["mcp-session-id"]?.string, "\(seen.text)")
        #expect(seen["mcp-protocol-version"]?.string == "2025-06-18", "the version the child negotiated")
        #expect(seen["accept"]?.string == "application/json, text/event-stream")
        #expect(seen["user-agent"]?.string?.hasPrefix("muxgate/") == true)
        #expect(await server.process.waitForStderr("GET /mcp session=\(session)"), "the GET stream was opened")
        #expect(await harness.shutDown())
        #expect(await server.process.waitForStderr("DELETE /mcp session=\(session)"), "\(server.process.stderr)")
    }

    @Test("a server that forgot the session (404) is re-initialized; the call that hit it is answered, no error")
    func reinitialize() async throws {
        let port = try TestServer.freePort()
        var server = try await Self.server("stateful", ["--port", "\(port)"])
        let harness = try Harness.start(Self.config("http://127.0.0.1:\(port)/mcp"))
        defer {
            harness.muxgate.terminate()
            server.stop()
        }
        try await harness.initialize()
        #expect(await harness.call("web_echo", #"{"text":"first"}"#, id: 2)?.firstText == "first")
        // The same server again, on the same port: it knows no session.
        server.stop()
        #expect(await server.process.waitForExit())
        server = try await Self.server("stateful", ["--port", "\(port)"])
        let answer = await harness.call("web_echo", #"{"text":"second"}"#, id: 3)
        #expect(
            answer?.firstText == "second",
            "\(answer?.root.text ?? "no answer"); \(harness.muxgate.stderr.suffix(2000))"
        )
        #expect(await harness.muxgate.waitForStderr("opening a new one"))
        #expect(await harness.shutDown())
    }

    @Test("a call cancelled by the IDE, or timed out, is cancelled at the server and gets no late answer")
    func cancellation() async throws {
        let server = try await Self.server("stateful")
        defer { server.stop() }
        let harness = try Harness.start(Self.config(server.url("/mcp"), extra: ["call_timeout: 4s"]))
        defer { harness.muxgate.terminate() }
        try await harness.initialize(version: "2025-11-25")
        _ = try await harness.toolNames()
        harness.muxgate.send(
            #"{"jsonrpc":"2.0","id":"c1","method":"tools/call","params":{"name":"web_slow","arguments":{"ms":30000}}}"#
        )
        #expect(await server.process.waitForStderr("slow 30000 started"))
        harness.muxgate.send(
            #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"c1","reason":"user"}}"#
        )
        #expect(await server.process.waitForStderr("slow 30000 cancelled"), "the cancel reached the server")
        // A timeout does the same, and the IDE gets the timeout error.
        let timedOut = await harness.call("web_slow", #"{"ms":31000}"#, id: 2)
        #expect(timedOut?.errorCode == -32001, "\(timedOut?.root.text ?? "")")
        #expect(await server.process.waitForStderr("slow 31000 cancelled"))
        let (pong, others) = await harness.muxgate.request(id: 3, method: "ping")
        #expect(pong?.result != nil)
        #expect(!others.contains { $0.id?.string == "c1" }, "no answer to the cancelled call")
        #expect(await harness.shutDown())
    }

    @Test("a stream the server closes mid-call is resumed with Last-Event-ID and the call still gets its result")
    func resume() async throws {
        let server = try await Self.server("resumable")
        defer { server.stop() }
        let harness = try Harness.start(Self.config(server.url("/mcp")))
        defer { harness.muxgate.terminate() }
        // Closing a stream to be resumed (SEP-1699) is what 2025-11-25 servers do.
        try await harness.initialize(version: "2025-11-25")
        let answer = await harness.call("web_drop_stream", id: 2)
        #expect(answer?.firstText == "finished after the drop", "\(answer?.root.text ?? "no answer")")
        #expect(await harness.muxgate.waitForStderr("resumed a dropped stream"), "\(harness.muxgate.stderr)")
        let resumed = server.process.stderr.split(separator: "\n").filter {
            $0.hasPrefix("GET") && !$0.hasSuffix("last-event-id=-")
        }
        #expect(!resumed.isEmpty, "the GET that resumed names the last event: \(server.process.stderr)")
        #expect(await harness.shutDown())
    }

    @Test("mcp-proxy puts mcp-server-git behind Streamable HTTP and SSE: both are listed and called through muxgate")
    func proxiedGit() async throws {
        let repository = try TestEnvironment.shared.makeGitRepository()
        let proxy = try await TestServer(
            TestPaths.root + "/.venv-proxy/bin/mcp-proxy",
            portArgument: [
                "--host", "127.0.0.1", "--port", "{port}", "--", TestPaths.root + "/.venv/bin/mcp-server-git",
                "--repository", repository,
            ]
        )
        defer { proxy.stop() }
        for (path, transport) in [("/mcp", "streamable-http"), ("/sse", "sse")] {
            let harness = try Harness.start(
                "audit: { enabled: false }\n\(TestPaths.loadedStartup)\nservers:\n  git:\n    url: \(proxy.url(path))\n"
                    + "    transport: \(transport)\n"
            )
            defer { harness.muxgate.terminate() }
            try await harness.initialize()
            let names = try await harness.toolNames()
            #expect(names.count == 12 && names.contains("git_status"), "\(transport): \(names)")
            let status = await harness.call("git_status", #"{"repo_path":"\#(repository)"}"#, id: 2)
            #expect(status?.firstText?.contains("On branch main") == true, "\(transport): \(status?.root.text ?? "")")
            #expect(await harness.shutDown())
        }
    }

    @Test(
        "header secrets never reach the log, the audit trail, tools --json, check or an error; a bad token is a clear 401"
    )
    func secrets() async throws {
        let secret = "tok-\(UUID().uuidString)"
        let server = try await Self.server("stateful", ["--token", secret])
        defer { server.stop() }
        let directory = try TestPaths.temporaryDirectory()
        let good = try TestPaths.write(
            Self.config(server.url("/mcp"), extra: [#"headers: { Authorization: "Bearer ${WEB_TOKEN}" }"#], audit: true)
                + "audit: { path: \(directory)/audit.jsonl }\n",
            to: directory,
            name: "good.yaml"
        )
        let environment = ["WEB_TOKEN": secret]
        let harness = try Harness.start(configFile: good, environment: environment)
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let seen = try JSONSlice.parse(try #require(await harness.call("web_headers", id: 2)?.firstText))
        #expect(seen["authorization"]?.string == "present")
        let echo = await harness.call("web_echo", #"{"text":"ok"}"#, id: 3)
        #expect(echo?.firstText == "ok")
        #expect(await harness.shutDown())
        var outputs = [harness.muxgate.stderr, try String(contentsOfFile: directory + "/audit.jsonl", encoding: .utf8)]
        for command in [["tools", "--json"], ["check"], ["tools"]] {
            let run = try await Harness.run(command + ["--config", good], environment: environment)
            outputs += [run.output, run.stderr]
            #expect(
                run.output.contains(command == ["check"] ? "✓ web: started" : "web_echo"),
                "\(command): \(run.output)"
            )
        }
        // A wrong token: the call fails with what to do, and still says nothing of the value.
        let bad = try TestPaths.write(
            Self.config(server.url("/mcp"), extra: [#"headers: { Authorization: "Bearer wrong-\#(secret)" }"#]),
            to: directory,
            name: "bad.yaml"
        )
        let refused = try Harness.start(configFile: bad)
        defer { refused.muxgate.terminate() }
        try await refused.initialize()
        let answer = await refused.muxgate.request(
            id: 1,
            method: "tools/call",
            params: #"{"name":"web_echo","arguments":{}}"#
        )
        let message = answer.response?.errorMessage ?? ""
        #expect(
            message.contains("HTTP 401") && message.contains("servers.web.headers"),
            "\(answer.response?.root.text ?? "")"
        )
        #expect(await refused.shutDown())
        let check = try await Harness.run(["check", "--config", bad])
        #expect(
            check.status == 1 && check.output.contains("refused muxgate's credentials (HTTP 401)"),
            "\(check.output)"
        )
        outputs += [refused.muxgate.stderr, answer.response?.root.text ?? "", check.output, check.stderr]
        for output in outputs {
            #expect(!output.contains(secret), "a secret leaked: \(output.prefix(300))")
        }
    }

}
