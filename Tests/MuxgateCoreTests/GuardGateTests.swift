import MuxgateTesting
import Testing

@testable import MuxgateConfig
@testable import MuxgatePolicy
@testable import MuxgateRouting
@testable import MuxgateWire

/// The result guards in the gate, over an in-memory child that echoes a call's arguments as its
/// result and records everything it receives (the oracle for "never reached the child").
@Suite("Result guards in the gate: redacted answers, open-world arguments refused before the child")
struct GuardGateTests {
    static let key = "AKIA" + "QWERTYUIOPASDFGH"

    static func gate(_ guards: String) async throws -> (MemoryGate, MemoryChild) {
        let child = MemoryChild("mem", tools: [.init("read", readOnly: true), .init("post", readOnly: true)])
        let config = """
            audit: { enabled: false }
            startup_timeout: 120s
            guards:
            \(guards)
            servers:
              mem: { command: unused }
            """
        let gate = try await MemoryGate(config, children: [child], label: "guard-gate-test")
        _ = await gate.send(1, "tools/list")
        return (gate, child)
    }

    /// Whether `secret` is anywhere in the answer's bytes.
    static func leaks(_ answer: JSONRPCMessage?, _ secret: String) -> Bool {
        guard let answer else { return false }
        let bytes = Array(answer.root.bytes)
        let needle = Array(secret.utf8)
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { Array(bytes[$0..<($0 + needle.count)]) == needle }
    }

    static func text(_ answer: JSONRPCMessage?) -> String {
        answer?.result?["content"]?.elements.compactMap { $0["text"]?.string }.joined() ?? ""
    }

    @Test("by default a key in a result is redacted on the fast path and the general path")
    func redactedByDefault() async throws {
        let (gate, _) = try await Self.gate("  hygiene: true")
        defer { gate.stop() }
        let fast = await gate.send(2, "tools/call", #"{"name":"mem_read","arguments":{"k":"\#(Self.key)"}}"#)
        #expect(Self.text(fast).contains("[REDACTED:aws-access-key]"), "\(Self.text(fast))")
        #expect(Self.leaks(fast, Self.key) == false)
        let general = Array(
            #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"mem_read","arguments":{"k":"\#(Self.key)"}}}"#
                .utf8
        )
        if let work = await gate.gateway.receive(general) { await work() }
        let answer = gate.sink.collected.compactMap { try? JSONRPCMessage.parse($0) }
            .first { $0.id?.int == 3 }
        #expect(Self.text(answer).contains("[REDACTED:aws-access-key]"))
        #expect(gate.passed.withLock { $0["2"] }?.contains(.screen) == true)
    }

    @Test("block mode withholds the result and names the rule; off per tool leaves it")
    func blockAndOff() async throws {
        let (gate, _) = try await Self.gate(
            """
              secrets: block
              tools:
                mem_post: { secrets: off }
            """
        )
        defer { gate.stop() }
        let blocked = await gate.send(2, "tools/call", #"{"name":"mem_read","arguments":{"k":"\#(Self.key)"}}"#)
        #expect(blocked?.result?["isError"]?.bool == true)
        #expect(Self.text(blocked).contains("aws-access-key"))
        #expect(Self.leaks(blocked, Self.key) == false)
        let open = await gate.send(3, "tools/call", #"{"name":"mem_post","arguments":{"k":"\#(Self.key)"}}"#)
        #expect(Self.text(open).contains(Self.key))
    }

    @Test("a secret in the arguments of an open-world tool is refused and never reaches the child")
    func openWorldArguments() async throws {
        let (gate, child) = try await Self.gate(
            """
              tools:
                mem_post: { open_world: true }
            """
        )
        defer { gate.stop() }
        let refused = await gate.send(2, "tools/call", #"{"name":"mem_post","arguments":{"body":"\#(Self.key)"}}"#)
        #expect(refused?.result?["isError"]?.bool == true)
        #expect(Self.text(refused).contains("guards.secrets.aws-access-key"), "\(Self.text(refused))")
        #expect(!Self.text(refused).contains(Self.key))
        #expect(child.received("tools/call").isEmpty, "the child never saw it")
        // Without a secret the call goes; to a tool that is not open-world the secret goes too.
        _ = await gate.send(3, "tools/call", #"{"name":"mem_post","arguments":{"body":"hello"}}"#)
        _ = await gate.send(4, "tools/call", #"{"name":"mem_read","arguments":{"body":"\#(Self.key)"}}"#)
        #expect(child.received("tools/call").count == 2)
        let stages: [GateStage] = [.read, .resolve, .shape, .judge, .limit, .record]
        #expect(gate.passed.withLock { $0["2"] } == stages, "denied at judge")
    }

    @Test("a capped result ends with a note; read_result_page is listed and pages it to the end exactly")
    func capAndPage() async throws {
        let (gate, _) = try await Self.gate(
            """
              tools:
                mem_read: { max_result: 1KiB }
            """
        )
        defer { gate.stop() }
        let list = await gate.send(2, "tools/list")
        let names = list?.result?["tools"]?.elements.compactMap { $0["name"]?.string } ?? []
        #expect(names.contains(ResultPages.toolName))
        let long = String(repeating: "héllo wörld ✓ 日本 🎉 ", count: 400)
        let capped = await gate.send(3, "tools/call", #"{"name":"mem_read","arguments":{"t":"\#(long)"}}"#)
        let items = capped?.result?["content"]?.elements ?? []
        let note = items.last?["text"]?.string ?? ""
        #expect(note.contains(ResultPages.toolName), "\(note)")
        let handle = try #require(
            note.firstMatch(of: #/"handle": "([^"]+)"/#).map { String($0.output.1) }
        )
        var text = items.first?["text"]?.string ?? ""
        var page = 1
        while page < 100 {
            let answer = await gate.send(
                10 + page,
                "tools/call",
                #"{"name":"read_result_page","arguments":{"handle":"\#(handle)","page":\#(page)}}"#
            )
            guard answer?.result?["isError"]?.bool != true,
                let part = answer?.result?["content"]?.elements.first?["text"]?.string
            else { break }
            text += part
            page += 1
        }
        #expect(text == #"{"t":"\#(long)"}"#, "joined pages are the result's text")
        #expect(page > 5)
    }
}
