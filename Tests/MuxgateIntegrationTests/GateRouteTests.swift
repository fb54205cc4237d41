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

/// Every route through the same gate: each IDE method that reaches a child, walked from
/// `GateRoute.table`, refuses every denied name and URI in every spelling, and the recording
/// child proves none of them reached it.
@Suite("One gate: every IDE method that reaches a child refuses what listing hides")
struct GateRouteTests {
    init() async throws {
        try await TestEnvironment.shared.prepare()
    }

    /// URIs the `resources:` filter denies, in the spellings a child might read as the same.
    static let deniedURIs = [
        "fx://note", "muxgate://fx/fx://note", "FX://note", "fx://NOTE", "fx://%6Eote", "fx://%256Eote",
        "fx://note?v=2", "fx://note#x", "fx://note/", "fx://notes/secret1", "muxgate://fx/fx://notes/secret1",
        "fx://notes/./secret1", "fx://notes/x/../secret1", "fx://notes//secret1", "fx://notes/%73ecret1",
    ]

    static let config = """
        policy: { profile: readonly, hide_denied: false }
        servers:
        """ + "\n"
        + Harness.fixture(
            "fx",
            ["--extras", "--prompts", "--tasks", "--log", "LOG"],
            extra: [
                "scopes: { read: [echo, requests, tool_1] }", "tools: { deny: [tool_0] }",
                "prompts: { deny: [secret_prompt] }",
                #"resources: { deny: ["fx://note", "fx://notes/secret*", "FX://NOTE"] }"#,
            ]
        )

    @Test("the method table: every method that reaches a child refuses each denied name and URI")
    func everyRoute() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let log = directory + "/received.jsonl"
        let harness = try Harness.start(Self.config.replacingOccurrences(of: "LOG", with: log))
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        _ = try await harness.toolNames()
        var id = 100
        func ask(_ method: String, _ params: String) async -> JSONRPCMessage? {
            id += 1
            return await harness.muxgate.request(id: id, method: method, params: params).response
        }
        func refused(_ answer: JSONRPCMessage?) -> Bool {
            answer?.error != nil || answer?.result?["isError"]?.bool == true
        }
        var covered: Set<String> = []
        for route in GateRoute.table where route.reachesChild {
            let method = route.method
            switch method {
            case "tools/call":
                // Filtered out by tools.deny, and denied by the profile (an unannotated tool is destructive).
                for name in ["fx_tool_0", "fx_fail", "fx_tool_2"] {
                    #expect(refused(await ask(method, #"{"name":"\#(name)","arguments":{}}"#)), "\(method) \(name)")
                }
                #expect(!refused(await ask(method, #"{"name":"fx_echo","arguments":{"ok":1}}"#)), "the control")
            case "prompts/get":
                #expect(refused(await ask(method, #"{"name":"fx_secret_prompt"}"#)))
                #expect(refused(await ask(method, #"{"name":"secret_prompt"}"#)))
                #expect(!refused(await ask(method, #"{"name":"fx_greet","arguments":{"who":"a"}}"#)), "the control")
            case "resources/read", "resources/subscribe", "resources/unsubscribe":
                for uri in Self.deniedURIs {
                    #expect(refused(await ask(method, #"{"uri":"\#(uri)"}"#)), "\(method) \(uri)")
                }
                #expect(!refused(await ask(method, #"{"uri":"fx://notes/ok1"}"#)), "the control")
                #expect(!refused(await ask(method, #"{"uri":"muxgate://fx/fx://notes/ok2"}"#)), "the control")
            case "completion/complete":
                let argument = #""argument":{"name":"name","value":"v"}"#
                for uri in Self.deniedURIs {
                    let answer = await ask(method, #"{"ref":{"type":"ref/resource","uri":"\#(uri)"},\#(argument)}"#)
                    #expect(refused(answer), "\(method) \(uri)")
                }
                for name in ["fx_secret_prompt", "secret_prompt"] {
                    #expect(
                        refused(await ask(method, #"{"ref":{"type":"ref/prompt","name":"\#(name)"},\#(argument)}"#))
                    )
                }
                let control = await ask(method, #"{"ref":{"type":"ref/prompt","name":"fx_greet"},\#(argument)}"#)
                #expect(!refused(control), "the control")
            case "subscriptions/listen":
                let uris = Self.deniedURIs.map { JSONValue.string($0).encodedString }.joined(separator: ",")
                harness.muxgate.send(
                    #"{"jsonrpc":"2.0","id":"listen","method":"subscriptions/listen","params":{"notifications":{"resourceSubscriptions":[\#(uris)]}}}"#
                )
            case "tasks/get", "tasks/result", "tasks/cancel":
                // No task of this session's: a task id is not a name a client may make up.
                for task in ["fx:t1", "t1", "fx_t1"] {
                    #expect(refused(await ask(method, #"{"taskId":"\#(task)"}"#)), "\(method) \(task)")
                }
            case "tasks/list", "logging/setLevel":
                break  // they name nothing: fanned out or aggregated
            default:
                Issue.record("a new method reaches a child and is not walked here: \(method)")
            }
            covered.insert(method)
        }
        #expect(covered.count == GateRoute.table.filter(\.reachesChild).count)
        // An unknown method is not routed at all.
        #expect(await ask("resources/peek", #"{"uri":"fx://note"}"#)?.errorCode == -32601)
        #expect(await harness.shutDown())

        let received = try String(contentsOfFile: log, encoding: .utf8)
        for line in received.split(separator: "\n") {
            let text = String(line)
            for forbidden in [
                "\"fail\"", "tool_0", "tool_2", "secret_prompt", "secret1", "fx://note\"", "fx://note?", "fx://note#",
                "fx://note/\"", "NOTE", "6Eote",
            ] {
                #expect(!text.contains(forbidden), "reached the child: \(text)")
            }
        }
        #expect(received.contains("fx://notes/ok1") && received.contains("fx://notes/ok2"), "the controls got through")
    }

    @Test("muxgate's own errors name a tool as the IDE called it, not as the child knows it")
    func errorsNameTheExposedTool() async throws {
        let harness = try Harness.start(
            "audit: { enabled: false }\nservers:\n"
                + Harness.fixture(
                    "fx",
                    [],
                    extra: ["tools:", "  arguments:", "    echo: { pinned: { value: 1, hide: true } }"]
                )
        )
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        _ = try await harness.toolNames()
        let answer = await harness.call("fx_echo", #"{"pinned":2}"#, id: 5)
        #expect(answer?.errorCode == -32602, "\(answer?.root.text ?? "")")
        #expect(answer?.errorMessage.contains("'fx_echo'") == true, "\(answer?.errorMessage ?? "")")
        #expect(await harness.shutDown())
    }
}
