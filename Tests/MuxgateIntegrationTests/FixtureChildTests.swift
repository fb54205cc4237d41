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

/// Behaviour the reference servers never show, driven through the fixture child.
@Suite("Children: start-up, crashes, timeouts, shutdown", .serialized)
struct FixtureChildTests {
    init() async throws {
        try await TestEnvironment.shared.prepare()
    }

    @Test("tools of several children are listed under namespaced names and calls reach the right child")
    func routing() async throws {
        let harness = try Harness.start(
            "servers:\n" + Harness.fixture("alpha") + Harness.fixture("beta", ["--prefix-tools", "beta_"])
        )
        defer { harness.muxgate.terminate() }
        let initialize = try await harness.initialize()
        #expect(initialize.result?["capabilities"]?["tools"]?["listChanged"]?.bool == true)
        let names = try await harness.toolNames()
        #expect(names.contains("alpha_echo") && names.contains("alpha_tool_0"))
        #expect(names.contains("beta_echo"), "no doubled prefix: beta + beta_echo is beta_echo, in \(names)")
        #expect(!names.contains("beta_beta_echo"))
        let alpha = await harness.call("alpha_echo", #"{"text":"one"}"#, id: 2)
        #expect(alpha?.firstText == #"{"text":"one"}"#)
        let beta = await harness.call("beta_echo", #"{"text":"two"}"#, id: 3)
        #expect(beta?.firstText == #"{"text":"two"}"#)
        let unknown = await harness.call("gamma_echo", id: 4)
        #expect(unknown?.errorCode == -32602)
        #expect(unknown?.errorMessage.contains("gamma_echo") == true)
        let failed = await harness.call("alpha_fail", id: 5)
        #expect(failed?.result?["isError"]?.bool == true, "a tool that ran and failed is a result, not an error")
        #expect(await harness.shutDown())
    }

    @Test("a child that crashes during a call: the call errors promptly naming it, and the next call restarts it")
    func crashDuringCall() async throws {
        let harness = try Harness.start("servers:\n" + Harness.fixture("crashy"))
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        _ = try await harness.toolNames()
        let started = ContinuousClock.now
        let crashed = try #require(await harness.call("crashy_crash", id: 2, timeout: .seconds(10)))
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(crashed.errorCode == -32000)
        #expect(
            crashed.errorMessage.contains("crashy") && crashed.errorMessage.contains("exit status 3"),
            "\(crashed.errorMessage)"
        )
        let again = await harness.call("crashy_echo", #"{"text":"back"}"#, id: 3)
        #expect(again?.firstText == #"{"text":"back"}"#, "stderr:\n\(harness.muxgate.stderr)")
        #expect(await harness.shutDown())
    }

    @Test("a child that never answers initialize does not block the others")
    func neverInitializes() async throws {
        let harness = try Harness.start(
            "startup_timeout: 4s\nservers:\n" + Harness.fixture("stuck", ["--never-initialize"])
                + Harness.fixture("good")
        )
        defer { harness.muxgate.terminate() }
        let started = ContinuousClock.now
        try await harness.initialize()
        // Waiting for the stuck child would take the whole start-up bound: its end is logged.
        #expect(!harness.muxgate.stderr.contains("did not answer initialize"), "initialize is answered at once")
        let names = try await harness.toolNames()
        // At most the bound, with room for a loaded machine (never the 90 s a request may take).
        #expect(ContinuousClock.now - started < .seconds(20), "tools/list waits at most the start-up bound")
        #expect(names.contains("good_echo"))
        #expect(!names.contains { $0.hasPrefix("stuck_") })
        let call = await harness.call("good_echo", #"{"text":"ok"}"#, id: 2)
        #expect(call?.firstText == #"{"text":"ok"}"#)
        #expect(await harness.shutDown())
        #expect(
            harness.muxgate.stderr.contains("tools/list answered without server 'stuck'"),
            "the stuck child is reported on stderr"
        )
        #expect(harness.leftoverProcesses().isEmpty)
    }

    @Test("closing stdin ends muxgate and every child, grandchildren included")
    func shutdownLeavesNoProcess() async throws {
        let grandparent = """
              shell:
                command: /bin/sh
                args: [-c, "sleep 300 & exec \(TestPaths.fixture) --name shell"]

            """
        let harness = try Harness.start(
            "startup_timeout: 5s\nservers:\n" + Harness.fixture("one") + grandparent
                + Harness.fixture("stuck", ["--never-initialize"])
        )
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let names = try await harness.toolNames()
        #expect(names.contains("one_echo") && names.contains("shell_echo"))
        #expect(harness.leftoverProcesses().count >= 3, "children and the grandchild run")
        #expect(await harness.shutDown())
        #expect(harness.leftoverProcesses().isEmpty, "left: \(harness.leftoverProcesses())")
    }

    @Test("SIGTERM ends muxgate and every child")
    func sigterm() async throws {
        let harness = try Harness.start("servers:\n" + Harness.fixture("one") + Harness.fixture("two"))
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        _ = try await harness.toolNames()
        kill(harness.muxgate.process.processIdentifier, SIGTERM)
        #expect(await harness.muxgate.waitForExit())
        #expect(harness.leftoverProcesses().isEmpty)
    }

    @Test("a slow call past call_timeout gets a clear error and the child gets notifications/cancelled")
    func callTimeout() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let log = directory + "/requests.log"
        let harness = try Harness.start(
            "servers:\n" + Harness.fixture("slowpoke", ["--log", log], extra: ["call_timeout: 500ms"])
        )
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        _ = try await harness.toolNames()  // started: the clock below measures the call alone
        let started = ContinuousClock.now
        let response = try #require(await harness.call("slowpoke_slow", #"{"ms":5000}"#, id: 2))
        #expect(ContinuousClock.now - started < .seconds(4), "the 500 ms call timeout, not the child's 5 s")
        #expect(response.errorCode == -32001)
        #expect(response.errorMessage.contains("slowpoke") && response.errorMessage.contains("tools/call"))
        let ping = await harness.muxgate.request(id: 3, method: "ping").response
        #expect(ping?.result != nil)
        #expect(await harness.shutDown())
        let logged = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(logged.contains("notifications/cancelled"))
    }

    @Test("a cancel from the client reaches the child under the child's id, and no answer follows")
    func clientCancel() async throws {
        let harness = try Harness.start("servers:\n" + Harness.fixture("worker"))
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        _ = try await harness.toolNames()
        harness.muxgate.send(
            #"{"jsonrpc":"2.0","id":"slow-1","method":"tools/call","params":{"name":"worker_slow","arguments":{"ms":3000}}}"#
        )
        // The fixture answers `requests` with every message it has received, in order: once the
        // slow call is in it, the child has it; once the cancel is in it, the cancel arrived.
        func received(id: Int) async throws -> [JSONSlice] {
            let answer = try #require(await harness.call("worker_requests", id: id))
            return try JSONSlice.parse(try #require(answer.firstText)).elements
        }
        // Calls run concurrently, so ask until the slow call has arrived (each answer is the signal).
        var call: JSONSlice?
        for attempt in 0..<100 where call == nil {
            call = try await received(id: 100 + attempt).first { $0["params"]?["name"]?.string == "slow" }
        }
        let slow = try #require(call)
        harness.muxgate.send(
            #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"slow-1","reason":"user"}}"#
        )
        let after = try await received(id: 3)
        let cancel = try #require(after.first { $0["method"]?.string == "notifications/cancelled" })
        #expect(cancel["params"]?["requestId"]?.text == slow["id"]?.text, "translated to the id the child saw")
        #expect(cancel["params"]?["reason"]?.string == "user")
        let ping = await harness.muxgate.request(id: 9, method: "ping", timeout: .seconds(5))
        #expect(ping.response?.result != nil)
        #expect(await harness.shutDown())
        while let late = await harness.muxgate.next(timeout: .seconds(1)) {
            #expect(!String(decoding: late, as: UTF8.self).contains("slow-1"), "no answer to a cancelled request")
        }
    }

    @Test("a tool list change in a child reaches the client as one list_changed, and the new list is namespaced")
    func listChanged() async throws {
        let harness = try Harness.start("servers:\n" + Harness.fixture("shifty", ["--change-tools-after-call"]))
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        #expect(try await harness.toolNames().contains("shifty_added_later") == false)
        #expect(await harness.listChangesAround(call: "shifty_echo", id: 2) == 1)
        #expect(try await harness.toolNames(id: 3).contains("shifty_added_later"))
        #expect(await harness.shutDown())
    }

    @Test("paginated child lists are followed to the end")
    func pagination() async throws {
        let harness = try Harness.start("servers:\n" + Harness.fixture("paged", ["--tools", "7", "--paginate", "2"]))
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let names = try await harness.toolNames()
        #expect((0..<7).allSatisfy { names.contains("paged_tool_\($0)") }, "\(names)")
        let cursor = await harness.muxgate.request(id: 5, method: "tools/list", params: #"{"cursor":"bogus"}"#).response
        #expect(cursor?.errorCode == -32602)
        #expect(await harness.shutDown())
    }

    @Test("muxgate serves long lists in its own pages with opaque cursors")
    func ownPagination() async throws {
        let harness = try Harness.start("page_size: 5\nservers:\n" + Harness.fixture("big", ["--tools", "9"]))
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        var names: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let params = cursor.map { JSONValue.object([("cursor", .string($0))]).encodedString }
            let page = try #require(
                await harness.muxgate.request(id: 10 + pages, method: "tools/list", params: params).response?.result
            )
            let items = page["tools"]?.elements ?? []
            #expect(items.count <= 5)
            names += items.compactMap { $0["name"]?.string }
            cursor = page["nextCursor"]?.string
            pages += 1
        } while cursor != nil && pages < 10
        #expect(pages == 4, "9 + 7 built-in tools = 16, in pages of 5")
        #expect(names.count == 16 && Set(names).count == 16)
        let foreign = Gateway.cursor(for: .prompts, offset: 5)
        let wrongKind = await harness.muxgate.request(
            id: 30,
            method: "tools/list",
            params: #"{"cursor":"\#(foreign)"}"#
        )
        #expect(wrongKind.response?.errorCode == -32602, "a prompts cursor is not a tools cursor")
        #expect(await harness.shutDown())
    }

    @Test("names over the budget are shortened with a hash, stay unique, and still route")
    func longNames() async throws {
        let harness = try Harness.start(
            "client: {entry: a-fairly-long-entry-name}\nservers:\n" + Harness.fixture("verbose", ["--long-names"])
        )
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let names = try await harness.toolNames()
        let budget = 64 - "mcp__a-fairly-long-entry-name__".count
        #expect(
            names.allSatisfy {
                $0.count <= budget && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
            }
        )
        let long = try #require(names.first { $0.hasPrefix("verbose_a_very_long") })
        let call = await harness.call(long, id: 2)
        #expect(call?.result != nil, "\(call?.root.text ?? "no answer")")
        #expect(await harness.shutDown())
    }

    @Test("child definitions pass byte for byte except the name; results byte for byte except the id")
    func lossless() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let tools =
            #"{"tools":[{"name":"raw","title":"Raw","description":"line\u2028sep "# + "\u{2028}"
            + #" é \u00e9","inputSchema":{"type":"object","properties":{"n":{"type":"number","default":1.0,"maximum":12345678901234567890}}},"outputSchema":{"type":"object"},"annotations":{"readOnlyHint":true,"x-vendor":{"k":[1.50,-0]}},"execution":{"taskSupport":"optional"},"icons":[{"src":"data:,"}],"_meta":{"anthropic/maxResultSizeChars":100000}}],"resultType":"complete"}"#
        let result =
            #"{"content":[{"type":"text","text":"a"# + "\u{2028}"
            + #"b\u2029"}],"structuredContent":{"v":1.0,"big":12345678901234567890},"isError":false,"_meta":{"x":null},"extra":{"keep":true}}"#
        let toolsFile = try TestPaths.write(tools, to: directory, name: "tools.json")
        let resultFile = try TestPaths.write(result, to: directory, name: "result.json")
        let harness = try Harness.start(
            "servers:\n" + Harness.fixture("exact", ["--raw-tools", toolsFile, "--raw-call", resultFile])
        )
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let (list, _) = await harness.muxgate.request(id: 1, method: "tools/list")
        let listed = try #require(list?.result?["tools"]?.elements.first)
        let expected = try JSONSlice.parse(tools)["tools"]!.elements[0].text.replacingOccurrences(
            of: #""name":"raw""#,
            with: #""name":"exact_raw""#
        )
        #expect(listed.text == expected)
        let line = await harness.muxgate.request(
            id: 2,
            method: "tools/call",
            params: #"{"name":"exact_raw","arguments":{}}"#
        ).response
        #expect(line?.result?.text == result)
        #expect(await harness.shutDown())
    }

    @Test("bad client input gets JSON-RPC errors and muxgate keeps serving")
    func badInput() async throws {
        let harness = try Harness.start("max_message_size: 2KiB\nservers:\n" + Harness.fixture("steady"))
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let cases: [(String, Int)] = [
            ("this is not json", -32700), (#"{"jsonrpc":"2.0","id":1,"method":"x""#, -32700), ("[]", -32600),
            (#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#, -32600),
            (
                "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\",\"params\":{\"pad\":\""
                    + String(repeating: "x", count: 4096) + "\"}}", -32600
            ),
        ]
        for (line, code) in cases {
            harness.muxgate.send(line)
            let answer = try #require(
                await harness.muxgate.nextMessage(timeout: .seconds(5)),
                "no answer to \(line.prefix(40))"
            )
            #expect(answer.errorCode == code, "\(line.prefix(40)) → \(answer.root.text)")
        }
        harness.muxgate.send(
            Array("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"".utf8) + [0xC3, 0x28] + Array("\"}".utf8)
        )
        #expect(
            await harness.muxgate.nextMessage(timeout: .seconds(5))?.errorCode == -32700,
            "invalid UTF-8 is a parse error"
        )
        #expect(await harness.muxgate.request(id: 10, method: "no/such/method").response?.errorCode == -32601)
        #expect(await harness.muxgate.request(id: 11, method: "ping").response?.result != nil)
        #expect(await harness.shutDown())
    }
}

@Suite("Children: circuit breaker", .serialized)
struct CircuitBreakerTests {
    init() async throws {
        try await TestEnvironment.shared.prepare()
    }

    @Test("after max_restarts crashes in the window the tools are withdrawn with one list_changed, and come back")
    func circuit() async throws {
        let harness = try Harness.start(
            // A window wide enough for three restarts on a loaded CI machine (stalls of 2-5 s were
            // seen when the whole suite runs on 2 cores); no audit fsyncs in the way.
            "max_restarts: 3\nrestart_window: 20s\naudit: { enabled: false }\nservers:\n"
                + Harness.fixture("flaky") + Harness.fixture("calm")
        )
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        #expect(try await harness.toolNames().contains("flaky_echo"))
        var changes = 0
        for attempt in 0..<3 {
            let (crashed, others) = await harness.muxgate.request(
                id: 10 + attempt,
                method: "tools/call",
                params: #"{"name":"flaky_crash","arguments":{}}"#
            )
            #expect(crashed?.errorCode == -32000)
            changes += others.filter { $0.method == "notifications/tools/list_changed" }.count
        }
        let (list, beforeList) = await harness.muxgate.request(id: 20, method: "tools/list")
        changes += beforeList.filter { $0.method == "notifications/tools/list_changed" }.count
        let names = list?.result?["tools"]?.elements.compactMap { $0["name"]?.string } ?? []
        #expect(!names.contains { $0.hasPrefix("flaky_") } && names.contains("calm_echo"), "\(names)")
        let open = await harness.call("calm_echo", #"{"still":"serving"}"#, id: 21)
        #expect(open?.firstText == #"{"still":"serving"}"#, "healthy children never wait on a sick one")
        // The window is the signal: after it, the next call tries the child again.
        try await Task.sleep(for: .milliseconds(20_100))
        var recovered: JSONRPCMessage?
        for attempt in 0..<3 where recovered?.result == nil {
            let (answer, others) = await harness.muxgate.request(
                id: 30 + attempt,
                method: "tools/call",
                params: #"{"name":"flaky_echo","arguments":{"x":1}}"#
            )
            recovered = answer
            changes += others.filter { $0.method == "notifications/tools/list_changed" }.count
        }
        let (_, beforePing) = await harness.muxgate.request(id: 40, method: "ping")
        changes += beforePing.filter { $0.method == "notifications/tools/list_changed" }.count
        while let message = await harness.muxgate.nextMessage(timeout: .seconds(1)) {
            if message.method == "notifications/tools/list_changed" { changes += 1 }
        }
        let (relisted, beforeRelist) = await harness.muxgate.request(id: 41, method: "tools/list")
        changes += beforeRelist.filter { $0.method == "notifications/tools/list_changed" }.count
        #expect(relisted?.result?["tools"]?.text.contains("flaky_echo") == true, "the tools came back")
        #expect(changes == 2, "withdrawn and restored, each announced once: \(changes)")
        #expect(harness.muxgate.stderr.contains("circuit open"))
        #expect(await harness.shutDown())
    }
}
