import Logging
import MuxgateTesting
import Testing

@testable import MuxgateAudit
@testable import MuxgateCLI
@testable import MuxgateChildren
@testable import MuxgateCommands
@testable import MuxgateConfig
@testable import MuxgatePolicy
@testable import MuxgateRemote
@testable import MuxgateRouting
@testable import MuxgateTeam
@testable import MuxgateTelemetry
@testable import MuxgateWire

/// The gate without processes: a gateway over in-memory children (`MemoryChild`), driven as the
/// stdio front drives it. Whatever the route, a denied request never reaches a child.
@Suite("Gate pipeline: every method in the table, no denied request reaching a child")
struct GatePipelineTests {
    /// A gateway over one memory child, `mem`, and the IDE's side of it.
    struct Gate {
        let memory: MemoryGate
        let child: MemoryChild
        var gateway: Gateway { memory.gateway }
        /// Each request's stages as it passed them, by its id.
        var passed: Locked<[String: [GateStage]]> { memory.passed }

        static let config = """
            policy: { profile: readonly, hide_denied: false }
            audit: { enabled: false }
            startup_timeout: 120s
            servers:
              mem:
                command: unused
                tools: { deny: [hidden] }
                prompts: { deny: [secret_prompt] }
                resources: { deny: ["mem://secret", "mem://notes/secret*"] }
            """

        init() async throws {
            child = MemoryChild(
                "mem",
                tools: [.init("read", readOnly: true), .init("write"), .init("hidden", readOnly: true)],
                prompts: ["greet", "secret_prompt"],
                resources: ["mem://note", "mem://secret"],
                templates: ["mem://notes/{name}"]
            )
            memory = try await MemoryGate(Self.config, children: [child], label: "gate-test")
            // Every test starts from the children ready and their tools known (on a loaded machine
            // the handshake may take a while: the bounds above are generous, the waits signalled).
            let tools = await send(1, "tools/list")
            guard tools?.result?["tools"]?.elements.count == 2 else { throw GateNotReady() }
        }

        /// Sends a request as the stdio front does (the fast path first) and returns its answer.
        func send(_ id: Int, _ method: String, _ params: String = "{}") async -> JSONRPCMessage? {
            await memory.send(id, method, params)
        }

        func stop() { memory.stop() }
    }

    /// The memory child's tools were not listed.
    struct GateNotReady: Error {}

    static func refused(_ answer: JSONRPCMessage?) -> Bool {
        answer?.error != nil || answer?.result?["isError"]?.bool == true
    }

    @Test("each method of the table that reaches a child refuses what listing hides; the child never sees it")
    func everyMethod() async throws {
        let gate = try await Gate()
        defer { gate.stop() }
        var id = 10
        func ask(_ method: String, _ params: String) async -> JSONRPCMessage? {
            id += 1
            return await gate.send(id, method, params)
        }
        for route in GateRoute.table where route.reachesChild {
            let method = route.method
            switch method {
            case "tools/call":
                for name in ["mem_hidden", "mem_write", "mem_nothing"] {
                    #expect(Self.refused(await ask(method, #"{"name":"\#(name)","arguments":{}}"#)), "\(name)")
                }
                #expect(!Self.refused(await ask(method, #"{"name":"mem_read","arguments":{"a":1}}"#)))
            case "prompts/get":
                #expect(Self.refused(await ask(method, #"{"name":"mem_secret_prompt"}"#)))
                #expect(!Self.refused(await ask(method, #"{"name":"mem_greet"}"#)))
            case "resources/read", "resources/subscribe", "resources/unsubscribe":
                for uri in ["mem://secret", "muxgate://mem/mem://secret", "MEM://secret", "mem://notes/secret1"] {
                    #expect(Self.refused(await ask(method, #"{"uri":"\#(uri)"}"#)), "\(method) \(uri)")
                }
                #expect(!Self.refused(await ask(method, #"{"uri":"mem://notes/ok"}"#)))
            case "completion/complete":
                let argument = #""argument":{"name":"n","value":"v"}"#
                #expect(
                    Self.refused(
                        await ask(method, #"{"ref":{"type":"ref/resource","uri":"mem://secret"},\#(argument)}"#)
                    )
                )
                #expect(
                    Self.refused(
                        await ask(method, #"{"ref":{"type":"ref/prompt","name":"mem_secret_prompt"},\#(argument)}"#)
                    )
                )
            case "tasks/get", "tasks/result", "tasks/cancel":
                #expect(Self.refused(await ask(method, #"{"taskId":"mem:t1"}"#)))
            case "subscriptions/listen", "tasks/list", "logging/setLevel":
                break  // no name of their own to deny (the route tests cover listen's URIs)
            default:
                Issue.record("a method reaches a child and is not walked here: \(method)")
            }
        }
        let seen = gate.child.received.map(\.root.text).joined(separator: "\n")
        for forbidden in ["hidden", "\"write\"", "secret", "nothing"] {
            #expect(!seen.contains(forbidden), "reached the child: \(forbidden)\n\(seen)")
        }
        #expect(seen.contains("mem://notes/ok"), "the controls reached it")
    }

    @Test("a request read two ways is refused on either path, before any stage that could forward it")
    func oneReading() async throws {
        let gate = try await Gate()
        defer { gate.stop() }
        let answer = await gate.send(20, "tools/call", #"{"name":"mem_read","arguments":{"a":1,"a":2}}"#)
        #expect(answer?.error?["code"]?.int == -32602)
        #expect(gate.child.received("tools/call").isEmpty)
    }

    @Test("every route's stages are in the pipeline's order; a tool call passes them in that order, on either path")
    func stageOrder() async throws {
        for route in GateRoute.table {
            #expect(route.stages == route.stages.sorted(), "\(route.method)")
            #expect(route.stages.first == .read, "\(route.method) reads first")
        }
        #expect(GateRoute.of("tools/call")?.stages == GateStage.allCases)
        let gate = try await Gate()
        defer { gate.stop() }
        // Allowed (the fast path: a known tool of a ready child), denied, read two ways.
        _ = await gate.send(30, "tools/call", #"{"name":"mem_read","arguments":{}}"#)
        _ = await gate.send(31, "tools/call", #"{"name":"mem_write","arguments":{}}"#)
        _ = await gate.send(32, "tools/call", #"{"name":"mem_read","arguments":{"a":1,"a":1}}"#)
        // The general path: a name muxgate resolves after the children, not from the fast path's
        // copy. Its answer comes on the same child's queue after 30's, so 30's observe is traced.
        let general = Array(
            #"{"jsonrpc":"2.0","id":33,"method":"tools/call","params":{"name":"mem_read","arguments":{}}}"#.utf8
        )
        if let work = await gate.gateway.receive(general) { await work() }
        let observed = gate.passed.withLock { $0 }
        let allowed: [GateStage] = [.read, .resolve, .shape, .judge, .limit, .record, .forward, .screen, .observe]
        #expect(observed["30"] == allowed, "\(observed)")
        #expect(observed["31"] == [.read, .resolve, .shape, .judge, .limit, .record], "a denial stops at record")
        #expect(observed["32"] == [.read], "two readings stop at read")
        #expect(observed["33"] == allowed, "the general path passes the same stages")
    }
}
