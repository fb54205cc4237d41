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

/// Remote children: TLS, 2026-07-28 headers, a busy server, a server killed mid-call.
extension RemoteChildTests {
    @Test("HTTPS: a server whose certificate a private CA signed is trusted with ca_file, refused without it")
    func tls() async throws {
        let directory = try TestPaths.temporaryDirectory()
        func openssl(_ arguments: [String]) async throws {
            try await TestEnvironment.shared.run("/usr/bin/openssl", arguments)
        }
        try await openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=muxgate test CA",
            "-keyout", directory + "/ca.key", "-out", directory + "/ca.pem",
        ])
        try await openssl([
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", directory + "/server.key",
            "-out", directory + "/server.csr",
        ])
        try TestPaths.write("subjectAltName=IP:127.0.0.1\n", to: directory, name: "san.ext")
        try await openssl([
            "x509", "-req", "-in", directory + "/server.csr", "-CA", directory + "/ca.pem", "-CAkey",
            directory + "/ca.key", "-CAcreateserial", "-days", "2", "-extfile", directory + "/san.ext",
            "-out", directory + "/server.pem",
        ])
        let server = try await Self.server("stateful", ["--tls", directory + "/server.pem", directory + "/server.key"])
        defer { server.stop() }
        let url = "https://127.0.0.1:\(server.port)/mcp"
        let trusted = try Harness.start(Self.config(url, extra: ["ca_file: \(directory)/ca.pem"]))
        defer { trusted.muxgate.terminate() }
        try await trusted.initialize()
        #expect(await trusted.call("web_echo", #"{"text":"over tls"}"#, id: 2)?.firstText == "over tls")
        #expect(await trusted.shutDown())
        let untrusted = try TestPaths.write(Self.config(url), to: directory, name: "untrusted.yaml")
        let check = try await Harness.run(["check", "--config", untrusted])
        #expect(check.status == 1, "\(check.output)")
        #expect(
            check.output.contains("CERTIFICATE_VERIFY_FAILED") || check.output.lowercased().contains("certificate"),
            "\(check.output)"
        )
    }

    @Test(
        "a misbehaving server: garbage SSE or JSON, a dropped stream, HTTP 500, a hang — one clear answer per call",
        arguments: ["garbage-sse", "garbage-json", "drop", "status-500", "hang"]
    )
    func misbehaving(mode: String) async throws {
        let server = try await TestServer(TestPaths.python, [TestPaths.root + "/Tests/e2e/bad_http_server.py", mode])
        defer { server.stop() }
        let harness = try Harness.start(
            Self.config(server.url("/mcp"), extra: ["call_timeout: 3s"])
                + "  calm:\n    command: \(TestPaths.fixture)\n    args: [--name, calm]\n"
        )
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        #expect(try await harness.toolNames().contains("web_bad"))
        let started = ContinuousClock.now
        let answer = await harness.call("web_bad", id: 2, timeout: .seconds(20))
        let reply = try #require(answer, "\(mode): no answer at all")
        #expect(reply.error != nil || reply.result?["isError"]?.bool == true, "\(mode): \(reply.root.text)")
        #expect(reply.errorMessage.contains("web"), "names the server: \(reply.root.text)")
        #expect(ContinuousClock.now - started < .seconds(10), "within the call timeout")
        // The other child never waited, and muxgate keeps serving.
        #expect(await harness.call("calm_echo", #"{"still":"here"}"#, id: 3)?.firstText == #"{"still":"here"}"#)
        #expect(await harness.shutDown())
    }

    @Test("a 2026-07-28 remote child: x-mcp-header arguments go out as Mcp-Param headers, a pinned one as pinned")
    func paramHeaders() async throws {
        let server = try await Self.server("stateless", ["--param-headers"])
        defer { server.stop() }
        let harness = try Harness.start(
            Self.config(
                server.url("/mcp"),
                extra: [
                    "protocol: 2026-07-28", "tools: { arguments: { deploy: { replicas: { value: 3, hide: true } } } }",
                ]
            )
        )
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        #expect(try await harness.toolNames().contains("web_deploy"))
        // The SDK's server refuses a call whose Mcp-Param headers disagree with its arguments (-32020).
        let reply = try #require(await harness.call("web_deploy", #"{"region":"eu-west"}"#, id: 2))
        let text = try #require(reply.firstText, "\(reply.root.text)")
        let seen = try JSONSlice.parse(Array(text.utf8))
        #expect(seen["mcp-param-region"]?.string == "eu-west", "\(text)")
        #expect(seen["mcp-param-replicas"]?.string == "3", "the pinned value, as sent to the child: \(text)")
        let unicode = try #require(await harness.call("web_deploy", #"{"region":"zürich"}"#, id: 3)?.firstText)
        #expect(try JSONSlice.parse(Array(unicode.utf8))["mcp-param-region"]?.string == "=?base64?esO8cmljaA==?=")
        #expect(await harness.shutDown())
    }

    @Test("a server busy at the handshake (HTTP 503, Retry-After: 2): muxgate waits as asked, then its tools arrive")
    func retryAfterHonoured() async throws {
        let server = try await TestServer(
            TestPaths.python,
            [TestPaths.root + "/Tests/e2e/bad_http_server.py", "busy-503"]
        )
        defer { server.stop() }
        let harness = try Harness.start(
            Self.config(server.url("/mcp"), extra: ["transport: http"])
                + "  calm:\n    command: \(TestPaths.fixture)\n    args: [--name, calm]\n"
        )
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        // The other child serves while the busy one waits; the busy one's tools are not listed yet.
        #expect(await harness.call("calm_echo", #"{"n":1}"#, id: 2)?.firstText == #"{"n":1}"#)
        #expect(await server.process.waitForStderr("initialize refused at"))
        // (On a machine slow enough to list only after the retry, the list already has them.)
        let listedEarly = try await harness.toolNames().contains("web_bad")
        #expect(await server.process.waitForStderr("initialize answered at", timeout: .seconds(30)))
        // The server's own clock: how long muxgate waited before trying again (no backoff after
        // one failure, so only Retry-After explains a wait).
        func serverTime(_ event: String) -> Double? {
            server.process.stderr.split(separator: "\n").first { $0.hasPrefix("initialize \(event) at ") }
                .flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        let refused = try #require(serverTime("refused"), "\(server.process.stderr)")
        let answered = try #require(serverTime("answered"), "\(server.process.stderr)")
        #expect(answered - refused >= 1.9 && answered - refused < 15, "waited \(answered - refused) s")
        // Its tools arrive with a list_changed.
        var changed = listedEarly
        let deadline = ContinuousClock.now + .seconds(30)
        while !changed, ContinuousClock.now < deadline,
            let message = await harness.muxgate.nextMessage(timeout: .seconds(30))
        {
            changed = message.method == "notifications/tools/list_changed"
        }
        #expect(changed, "the IDE was told the tools changed")
        #expect(try await harness.toolNames().contains("web_bad"))
        #expect(await harness.shutDown())
    }

    @Test("the remote server killed mid-call: a prompt error naming it; started again, the next call goes through")
    func killedMidCall() async throws {
        let port = try TestServer.freePort()
        var server = try await Self.server("stateful", ["--port", "\(port)"])
        let harness = try Harness.start(Self.config("http://127.0.0.1:\(port)/mcp", audit: true))
        defer {
            harness.muxgate.terminate()
            server.stop()
        }
        try await harness.initialize()
        _ = try await harness.toolNames()
        harness.muxgate.send(
            #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"web_slow","arguments":{"ms":20000}}}"#
        )
        // The server says when the call reached it.
        #expect(await server.process.waitForStderr("slow 20000 started"))
        server.stop()
        let started = ContinuousClock.now
        var failed = await harness.muxgate.request(id: 8, method: "ping").others.first { $0.id?.int == 7 }
        if failed == nil { failed = await harness.muxgate.nextMessage(timeout: .seconds(20)) }
        #expect(failed?.id?.int == 7 && failed?.error != nil, "\(failed?.root.text ?? "no answer")")
        #expect(failed?.errorMessage.contains("web") == true)
        #expect(ContinuousClock.now - started < .seconds(15), "not the 60 s call timeout")
        server = try await Self.server("stateful", ["--port", "\(port)"])
        #expect(await harness.call("web_echo", #"{"text":"back"}"#, id: 9)?.firstText == "back")
        #expect(await harness.shutDown())
        let outcomes = try harness.auditRecords().filter { $0["event"]?.string == "outcome" }
        #expect(outcomes.count == 2, "both calls have an outcome: \(outcomes.map(\.text))")
    }
}
