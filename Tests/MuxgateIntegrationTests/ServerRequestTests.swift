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

/// Requests a child sends the client (roots, sampling, elicitation, ping) travel through muxgate
/// under fresh ids, and only when the client declared the capability.
@Suite("Server-to-client requests", .serialized)
struct ServerRequestTests {
    init() async throws {
        try await TestEnvironment.shared.prepare()
    }

    @Test("roots/list reaches the client under muxgate's id and the answer returns under the child's")
    func rootsRoundTrip() async throws {
        let harness = try Harness.start("servers:\n" + Harness.fixture("fx"))
        defer { harness.muxgate.terminate() }
        try await harness.initialize(capabilities: #"{"roots":{"listChanged":true}}"#)
        _ = try await harness.toolNames()
        harness.muxgate.send(
            #"{"jsonrpc":"2.0","id":"call-1","method":"tools/call","params":{"name":"fx_ask","arguments":{"method":"roots/list","params":{"_meta":{"k":1.0}}}}}"#
        )
        let request = try #require(await harness.muxgate.nextMessage())
        #expect(request.method == "roots/list" && request.kind == .request)
        #expect(request.id?.isIntegerLiteral == true, "muxgate's own id, not the child's \"fx-ask-1\"")
        #expect(request.params?.text == #"{"_meta":{"k":1.0}}"#, "params pass byte for byte")
        harness.muxgate.send(
            #"{"jsonrpc":"2.0","id":\#(request.id!.text),"result":{"roots":[{"uri":"file:///srv/app","name":"app"}]}}"#
        )
        let answer = try #require(await harness.muxgate.nextMessage())
        #expect(answer.id?.string == "call-1")
        let childSaw = try JSONSlice.parse(try #require(answer.firstText))
        #expect(childSaw["id"]?.string == "fx-ask-1", "the answer went back under the child's own id")
        #expect(childSaw["result"]?.text == #"{"roots":[{"uri":"file:///srv/app","name":"app"}]}"#)
        #expect(await harness.shutDown())
    }

    @Test("a request for a capability the client did not declare gets -32601 at the child; ping is answered by muxgate")
    func undeclaredAndPing() async throws {
        let harness = try Harness.start("servers:\n" + Harness.fixture("fx"))
        defer { harness.muxgate.terminate() }
        try await harness.initialize(capabilities: "{}")
        _ = try await harness.toolNames()
        let sampling = try #require(
            await harness.call(
                "fx_ask",
                #"{"method":"sampling/createMessage","params":{"messages":[],"maxTokens":5}}"#,
                id: 2
            )
        )
        let refused = try JSONSlice.parse(try #require(sampling.firstText))
        #expect(refused["error"]?["code"]?.int == -32601, "\(sampling.root.text)")
        let (ping, others) = await harness.muxgate.request(
            id: 3,
            method: "tools/call",
            params: #"{"name":"fx_ask","arguments":{"method":"ping"}}"#
        )
        #expect(others.isEmpty, "the client never saw the child's ping")
        let pong = try JSONSlice.parse(try #require(ping?.firstText))
        #expect(pong["result"]?.text == "{}")
        #expect(await harness.shutDown())
    }

    @Test("elicitation from a child is forwarded to a client that supports it, and its answer returns")
    func elicitation() async throws {
        let harness = try Harness.start("servers:\n" + Harness.fixture("fx"))
        defer { harness.muxgate.terminate() }
        try await harness.initialize(capabilities: #"{"elicitation":{}}"#)
        _ = try await harness.toolNames()
        harness.muxgate.send(
            #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"fx_ask","arguments":{"method":"elicitation/create","params":{"message":"Pick","requestedSchema":{"type":"object","properties":{}}}}}}"#
        )
        let request = try #require(await harness.muxgate.nextMessage())
        #expect(request.method == "elicitation/create")
        harness.muxgate.send(#"{"jsonrpc":"2.0","id":\#(request.id!.text),"result":{"action":"decline"}}"#)
        let answer = try #require(await harness.muxgate.nextMessage())
        #expect(answer.id?.int == 7)
        #expect(answer.firstText?.contains(#""action":"decline""#) == true)
        #expect(await harness.shutDown())
    }
}

/// Notifications a child sends during a call reach the client as they should.
@Suite("Child notifications", .serialized)
struct ChildNotificationTests {
    init() async throws {
        try await TestEnvironment.shared.prepare()
    }

    func notificationsDuring(_ arguments: String) async throws -> [JSONRPCMessage] {
        let harness = try Harness.start("servers:\n" + Harness.fixture("fx"))
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        _ = try await harness.toolNames()
        let (answer, before) = await harness.muxgate.request(
            id: 2,
            method: "tools/call",
            params: #"{"name":"fx_notify","arguments":\#(arguments)}"#
        )
        #expect(answer?.firstText == "sent")
        #expect(await harness.shutDown())
        return before
    }

    @Test("progress passes byte for byte, with the client's own token")
    func progress() async throws {
        let params = #"{"progressToken":"tok-1","progress":0.5,"total":1.0,"message":"half"}"#
        let seen = try await notificationsDuring(#"{"method":"notifications/progress","params":\#(params)}"#)
        let progress = try #require(seen.first { $0.method == "notifications/progress" })
        #expect(progress.root.text == #"{"jsonrpc":"2.0","method":"notifications/progress","params":\#(params)}"#)
    }

    @Test("log messages name their server in logger, everything else kept")
    func logging() async throws {
        let seen = try await notificationsDuring(
            #"{"method":"notifications/message","params":{"level":"info","logger":"db","data":{"n":1.0}}}"#
        )
        let message = try #require(seen.first { $0.method == "notifications/message" })
        #expect(message.params?.text == #"{"level":"info","logger":"fx/db","data":{"n":1.0}}"#)
        let unnamed = try await notificationsDuring(
            #"{"method":"notifications/message","params":{"level":"warning","data":"x"}}"#
        )
        #expect(unnamed.first { $0.method == "notifications/message" }?.params?["logger"]?.string == "fx")
    }
}
