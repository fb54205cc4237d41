import MuxgateTesting
import Testing

@testable import MuxgateConfig
@testable import MuxgatePolicy
@testable import MuxgateRouting
@testable import MuxgateWire

/// The `limit` stage in the gate: a refused call never reaches the child, on the fast path, the
/// general path and through `call_tool`; a call the policy denies counts against nothing.
@Suite("Limits in the gate: refused calls never reach the child, on every path")
struct LimitGateTests {
    struct Gate {
        let memory: MemoryGate
        let child: MemoryChild
        let time = ManualLimitClock()
        let limiter: Limiter

        static let limits = """
            limits:
              reads: { tools: [mem_read], rate: 1/hour, burst: 2 }
              writes: { tools: [mem_write], quota: 1/day }
              one-at-a-time: { tools: [mem_weather], concurrency: 1 }
            """

        init(discovery: String = "{ mode: off }") async throws {
            child = MemoryChild(
                "mem",
                tools: [.init("read", readOnly: true), .init("write"), .init("weather", readOnly: true)]
            )
            limiter = Limiter(journalPath: nil, clock: time.clock)
            memory = try await MemoryGate(
                """
                policy: { profile: readonly, hide_denied: false }
                audit: { enabled: false }
                startup_timeout: 120s
                discovery: \(discovery)
                servers:
                  mem: { command: unused }
                \(Self.limits)
                """,
                children: [child],
                label: "limit-gate-test",
                limiter: limiter
            )
        }

        func send(_ id: Int, _ method: String, _ params: String = "{}") async -> JSONRPCMessage? {
            await memory.send(id, method, params)
        }

        /// Sends on the general path (a task per call), as a request the fast path declined.
        func sendGeneral(_ id: Int, _ params: String) async -> JSONRPCMessage? {
            let line = Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":\#(params)}"#.utf8)
            if let work = await memory.gateway.receive(line) { await work() }
            let wanted = Array("\(id)".utf8)
            _ = await memory.sink.wait(
                until: { $0.contains { (try? JSONRPCMessage.parse($0))?.id.map { Array($0.bytes) } == wanted } },
                timeout: .seconds(120)
            )
            return memory.sink.collected.compactMap { try? JSONRPCMessage.parse($0) }
                .first { $0.kind == .response && $0.id.map { Array($0.bytes) } == wanted }
        }

        var calls: Int { child.received("tools/call").count }
        func stop() { memory.stop() }
    }

    static func limited(_ answer: JSONRPCMessage?) -> (limit: String?, retry: Int?, text: String) {
        let meta = answer?.result?["_meta"]?["muxgate/limit"]
        return (
            meta?["limit"]?.string,
            meta?["retry_after"]?.int,
            answer?.result?["content"]?.elements.first?["text"]?.string ?? ""
        )
    }

    @Test("over its rate, a call is refused with the limit and the retry time on either path; the child never sees it")
    func rateOnBothPaths() async throws {
        let gate = try await Gate()
        defer { gate.stop() }
        let read = #"{"name":"mem_read","arguments":{}}"#
        #expect(await gate.send(10, "tools/call", read)?.result?["isError"]?.bool != true)
        #expect(await gate.sendGeneral(11, read)?.result?["isError"]?.bool != true)
        #expect(gate.calls == 2)
        let fast = await gate.send(12, "tools/call", read)
        #expect(fast?.result?["isError"]?.bool == true)
        let (limit, retry, text) = Self.limited(fast)
        #expect(limit == "reads" && retry == 3600, "\(text)")
        #expect(
            text.contains("limit 'reads'") && text.contains("2 of 2 calls used") && text.contains("retry in 3600 s")
        )
        let general = await gate.sendGeneral(13, read)
        #expect(Self.limited(general).limit == "reads")
        #expect(gate.calls == 2, "refused calls never reach the child")
        let stages = gate.memory.passed.withLock { $0 }
        #expect(stages["12"] == [.read, .resolve, .shape, .judge, .limit, .record], "\(stages)")
        #expect(stages["13"] == [.read, .resolve, .shape, .judge, .limit, .record], "\(stages)")
        // An hour later one token is back.
        gate.time.advance(3600)
        #expect(await gate.send(14, "tools/call", read)?.result?["isError"]?.bool != true)
        #expect(gate.calls == 3)
    }

    @Test("a call the policy denies counts against no limit")
    func deniedCountsNothing() async throws {
        let gate = try await Gate()
        defer { gate.stop() }
        for id in 20..<23 {
            let answer = await gate.send(id, "tools/call", #"{"name":"mem_write","arguments":{}}"#)
            #expect(answer?.result?["isError"]?.bool == true)
            #expect(Self.limited(answer).limit == nil, "denied by the profile, not limited")
        }
        let writes = try #require(gate.memory.gateway.config.limits.first { $0.name == "writes" })
        #expect(gate.limiter.usage(of: writes, caller: "local").quota == 0)
        #expect(gate.calls == 0)
    }

    @Test("a call in flight holds its place until its answer: calls one after another never run out")
    func concurrencyReleased() async throws {
        let gate = try await Gate()
        defer { gate.stop() }
        for id in 30..<40 {
            let answer = await gate.send(id, "tools/call", #"{"name":"mem_weather","arguments":{}}"#)
            #expect(answer?.result?["isError"]?.bool != true, "call \(id): \(Self.limited(answer).text)")
        }
        let rule = try #require(gate.memory.gateway.config.limits.first { $0.name == "one-at-a-time" })
        #expect(gate.limiter.usage(of: rule, caller: "local").inFlight == 0)
        #expect(gate.calls == 10)
    }

    @Test("call_tool passes the limit stage as the direct call does")
    func callTool() async throws {
        let gate = try await Gate(
            discovery:
                "{ mode: search, always_load: [mem_read], model: \(TestPaths.root)/.models/all-MiniLM-L6-v2.q8.mxemb, cache: false }"
        )
        defer { gate.stop() }
        let wrapped = #"{"name":"call_tool","arguments":{"name":"mem_read","arguments":{}}}"#
        #expect(await gate.send(40, "tools/call", wrapped)?.result?["isError"]?.bool != true)
        #expect(
            await gate.send(41, "tools/call", #"{"name":"mem_read","arguments":{}}"#)?.result?["isError"]?.bool != true
        )
        let refused = await gate.send(42, "tools/call", wrapped)
        #expect(Self.limited(refused).limit == "reads", "\(Self.limited(refused).text)")
        #expect(gate.calls == 2)
        #expect(gate.memory.passed.withLock { $0["42"] }?.contains(.limit) == true)
    }
}
