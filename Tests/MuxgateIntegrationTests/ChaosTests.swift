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

/// Bounded chaos: children killed and stopped under load, and a client that sends garbage.
@Suite("Chaos: children killed under load, garbage from the client", .serialized)
struct ChaosTests {
    init() async throws {
        try await TestEnvironment.shared.prepare()
    }

    /// The fixture children of a harness (by their command line), for the chaos to pick from.
    static func children(of harness: Harness) -> [Int32] {
        harness.leftoverProcesses().filter { pid in
            let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
            return String(decoding: cmdline, as: UTF8.self).contains("muxgate-fixture")
        }
    }

    @Test("1,000 calls, 16 in flight, children kill -9'd and SIGSTOP'd: every call answered exactly once")
    func killAndStopUnderLoad() async throws {
        let calls = 1000
        let window = 16
        let servers = ["red", "green", "blue"]
        let harness = try Harness.start(
            "call_timeout: 1500ms\nstartup_timeout: 5s\nmax_restarts: 1000\nservers:\n"
                + servers.map { Harness.fixture($0, extra: ["scopes: {read: [\"*\"]}"]) }.joined()
        )
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let names = try await harness.toolNames()
        #expect(servers.allSatisfy { names.contains("\($0)_echo") && names.contains("\($0)_slow") }, "\(names)")

        // The chaos: every 40 ms one child is killed or stopped (and continued 0.2–2 s later).
        let chaos = Task {
            var stopped: [Int32] = []
            var events = (kills: 0, stops: 0)
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(40))  // pacing, not waiting for a signal
                guard let pid = Self.children(of: harness).randomElement() else { continue }
                if Bool.random() {
                    kill(pid, SIGKILL)
                    events.kills += 1
                } else {
                    kill(pid, SIGSTOP)
                    events.stops += 1
                    stopped.append(pid)
                    Task {
                        try? await Task.sleep(for: .milliseconds(Int.random(in: 200...2000)))
                        kill(pid, SIGCONT)
                    }
                }
            }
            for pid in stopped { kill(pid, SIGCONT) }
            return events
        }

        var answers: [Int: [JSONRPCMessage]] = [:]
        var sent = 0
        while answers.count < calls {
            while sent < calls && sent - answers.count < window {
                let server = servers[sent % servers.count]
                let tool = sent % 4 == 0 ? "\(server)_slow" : "\(server)_echo"
                let arguments = sent % 4 == 0 ? #"{"ms":\#(Int.random(in: 1...60))}"# : #"{"n":\#(sent)}"#
                harness.muxgate.send(
                    #"{"jsonrpc":"2.0","id":\#(sent),"method":"tools/call","params":{"name":"\#(tool)","arguments":\#(arguments)}}"#
                )
                sent += 1
            }
            let next = await harness.muxgate.next(timeout: .seconds(30))
            let process = harness.muxgate.process
            let state = process.isRunning ? "running" : "exited with \(process.terminationStatus)"
            let unanswered = (0..<sent).filter { answers[$0] == nil }
            let line = try #require(
                next,
                "silence, unanswered \(unanswered); muxgate \(state); stderr:\n\(harness.muxgate.stderr.suffix(3000))"
            )
            let message = try #require(
                try? JSONRPCMessage.parse(line),
                "not JSON-RPC: \(String(decoding: line, as: UTF8.self))"
            )
            guard message.kind == .response, let id = message.id?.int else { continue }
            answers[id, default: []].append(message)
        }
        let events = await {
            chaos.cancel()
            return await chaos.value
        }()
        // Late answers would arrive before the answer to this ping.
        let (pong, late) = await harness.muxgate.request(id: 5000, method: "ping")
        #expect(pong?.result != nil)
        for message in late where message.kind == .response {
            answers[message.id?.int ?? -1, default: []].append(message)
        }

        #expect(answers.count == calls && answers.values.allSatisfy { $0.count == 1 }, "exactly one answer each")
        var outcomes: [String: Int] = [:]
        for (id, replies) in answers {
            let reply = replies[0]
            if let result = reply.result {
                if id % 4 != 0 { #expect(reply.firstText == #"{"n":\#(id)}"#, "the answer belongs to its call") }
                outcomes[result["isError"]?.bool == true ? "tool error" : "ok", default: 0] += 1
            } else {
                #expect([-32000, -32001].contains(reply.errorCode), "\(reply.root.text)")
                outcomes["error \(reply.errorCode ?? 0)", default: 0] += 1
            }
        }
        #expect(events.kills > 5 && events.stops > 5, "the chaos happened: \(events)")
        #expect((outcomes["ok"] ?? 0) > calls / 4, "most calls still succeed: \(outcomes)")
        #expect(await harness.shutDown(timeout: .seconds(30)))
        #expect(harness.leftoverProcesses().isEmpty, "no leaked process")

        let records = try harness.auditRecords()
        let decisions = records.filter { $0["event"]?.string == "decision" }.compactMap { $0["request_id"]?.text }
        let outcomeRecords = records.filter { $0["event"]?.string == "outcome" }.compactMap { $0["request_id"]?.text }
        #expect(Set(decisions) == Set((0..<calls).map(String.init)) && decisions.count == calls)
        #expect(Set(outcomeRecords) == Set(decisions) && outcomeRecords.count == calls)
        let verified = try await Harness.run(["audit", "verify", "--config", harness.configPath, harness.auditPath])
        #expect(verified.status == 0, "\(verified.output)\(verified.stderr)")
        print("chaos: \(events.kills) kills, \(events.stops) stops; outcomes \(outcomes)")
    }

    @Test("garbage from the client: an error where one is due, nothing for what deserves none, still serving")
    func garbage() async throws {
        let harness = try Harness.start("audit: { enabled: false }\nservers:\n" + Harness.fixture("calm"))
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let cases: [(String, Int?)] = [
            (#"{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}"#, -32600),
            (#"{"jsonrpc":"2.0","id":[1],"method":"ping"}"#, -32600),
            (#"{"jsonrpc":"2.0","id":3,"method":7}"#, -32600),
            (#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":"x"}"#, -32600),
            (#"{"jsonrpc":"1.0","id":5,"method":"ping"}"#, -32600),
            (#"{"id":6,"method":"ping"}"#, -32600),
            (#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":5}}"#, -32602),
            (#"{"jsonrpc":"2.0","id":8,"method":"ping""#, -32700),
            // Responses to requests muxgate never sent, and stray notifications: no answer is due.
            (#"{"jsonrpc":"2.0","id":999,"result":{}}"#, nil),
            (#"{"jsonrpc":"2.0","id":"x","error":{"code":1,"message":"m"}}"#, nil),
            (#"{"jsonrpc":"2.0","method":"notifications/whatever"}"#, nil),
        ]
        for (index, (line, code)) in cases.enumerated() {
            harness.muxgate.send(line)
            let (pong, before) = await harness.muxgate.request(id: 100 + index, method: "ping")
            #expect(pong?.result != nil, "still serving after \(line)")
            #expect(before.map(\.errorCode) == (code.map { [$0] } ?? []), "\(line) → \(before.map(\.root.text))")
        }

        // A duplicate of an id in flight is refused; the original call still gets its own answer.
        harness.muxgate.send(
            #"{"jsonrpc":"2.0","id":50,"method":"tools/call","params":{"name":"calm_slow","arguments":{"ms":300}}}"#
        )
        harness.muxgate.send(#"{"jsonrpc":"2.0","id":50,"method":"ping"}"#)
        let refused = try #require(await harness.muxgate.nextMessage(timeout: .seconds(10)))
        #expect(refused.errorCode == -32600 && refused.errorMessage.contains("already in use"))
        let original = try #require(await harness.muxgate.nextMessage(timeout: .seconds(10)))
        #expect(original.id?.int == 50 && original.result != nil, "\(original.root.text)")

        // 10,000 lines of garbage: each gets one parse or request error, in order, then a ping works.
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("{}[]\":,0123456789abcdefnulltrue \\\t".utf8) + [0xC3, 0x28, 0xFF, 0xE2, 0x80]
        var batch: [UInt8] = []
        for _ in 0..<10_000 {
            batch.append(UInt8(ascii: "x"))
            for _ in 0..<Int.random(in: 0...80, using: &generator) {
                batch.append(alphabet.randomElement(using: &generator)!)
            }
            batch.append(0x0A)
        }
        batch.removeLast()
        harness.muxgate.send(batch)
        let (pong, errors) = await harness.muxgate.request(id: 20_000, method: "ping", timeout: .seconds(120))
        #expect(pong?.result != nil)
        #expect(errors.count == 10_000 && errors.allSatisfy { $0.errorCode == -32700 })
        #expect(await harness.call("calm_echo", #"{"ok":1}"#, id: 20_001)?.firstText == #"{"ok":1}"#)
        #expect(await harness.shutDown())
    }
}

@Suite("Backpressure: a child that stops reading its stdin")
struct BackpressureTests {
    init() async throws {
        try await TestEnvironment.shared.prepare()
    }

    @Test("its queue is bounded: calls beyond it fail at once, the others time out, a healthy child keeps serving")
    func stuckChild() async throws {
        let harness = try Harness.start(
            "audit: { enabled: false }\ncall_timeout: 3s\nmax_message_size: 256KiB\nservers:\n"
                + Harness.fixture("deaf", ["--stop-reading-after-tools-list"]) + Harness.fixture("fine")
        )
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        _ = try await harness.toolNames()
        let padding = String(repeating: "x", count: 100_000)
        for id in 100..<130 {
            harness.muxgate.send(
                #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"deaf_echo","arguments":{"pad":"\#(padding)"}}}"#
            )
        }
        let (healthy, early) = await harness.muxgate.request(
            id: 5,
            method: "tools/call",
            params: #"{"name":"fine_echo","arguments":{"still":"here"}}"#
        )
        #expect(healthy?.firstText == #"{"still":"here"}"#, "a stuck child never stalls another")
        var codes: [Int: Int] = [:]
        var answered = 0
        let count: (JSONRPCMessage) -> Void = { message in
            guard message.kind == .response, let code = message.errorCode else { return }
            answered += 1
            codes[code, default: 0] += 1
            if code == -32000 { #expect(message.errorMessage.contains("not reading its input")) }
        }
        early.forEach(count)
        while answered < 30, let message = await harness.muxgate.nextMessage(timeout: .seconds(15)) {
            count(message)
        }
        #expect(answered == 30, "every call answered: \(codes)")
        #expect((codes[-32000] ?? 0) > 10, "calls beyond the 1 MiB queue fail at once: \(codes)")
        #expect((codes[-32001] ?? 0) > 0, "queued calls time out: \(codes)")
        #expect(await harness.shutDown(timeout: .seconds(20)))
        #expect(harness.leftoverProcesses().isEmpty)
    }
}
