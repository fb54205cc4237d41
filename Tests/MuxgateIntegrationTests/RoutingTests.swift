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

/// The requests and notifications that are routed or fanned out rather than aggregated.
@Suite("Routing: setLevel, roots changes, resources, templates, subscriptions, completions")
struct RoutingTests {
    init() async throws {
        try await TestEnvironment.shared.prepare()
    }

    @Test("each reaches the child that should get it, and the IDE gets the child's answer")
    func routed() async throws {
        let harness = try Harness.start("audit: { enabled: false }\nservers:\n" + Harness.fixture("fx", ["--extras"]))
        defer { harness.muxgate.terminate() }
        try await harness.initialize(capabilities: #"{"roots":{"listChanged":true}}"#)
        _ = try await harness.toolNames()
        let (level, _) = await harness.muxgate.request(id: 2, method: "logging/setLevel", params: #"{"level":"debug"}"#)
        #expect(level?.result?.text == "{}")
        harness.muxgate.send(#"{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}"#)

        let (resources, _) = await harness.muxgate.request(id: 3, method: "resources/list")
        #expect(resources?.result?["resources"]?.elements.first?["uri"]?.string == "fx://note")
        let (templates, _) = await harness.muxgate.request(id: 4, method: "resources/templates/list")
        #expect(templates?.result?["resourceTemplates"]?.elements.first?["uriTemplate"]?.string == "fx://notes/{name}")
        let (read, _) = await harness.muxgate.request(
            id: 5,
            method: "resources/read",
            params: #"{"uri":"fx://notes/abc"}"#
        )
        #expect(read?.result?["contents"]?.elements.first?["text"]?.string == "read fx://notes/abc", "by template")
        for (index, method) in ["resources/subscribe", "resources/unsubscribe"].enumerated() {
            let (answer, _) = await harness.muxgate.request(
                id: 6 + index,
                method: method,
                params: #"{"uri":"fx://note"}"#
            )
            #expect(answer?.result?.text == "{}", "\(method)")
        }
        let (completion, _) = await harness.muxgate.request(
            id: 8,
            method: "completion/complete",
            params: #"{"ref":{"type":"ref/resource","uri":"fx://notes/{name}"},"argument":{"name":"name","value":"x"}}"#
        )
        #expect(completion?.result?["completion"]?["values"]?.text == #"["x-done"]"#)

        let received = try JSONSlice.parse(try #require(await harness.call("fx_requests", id: 9)?.firstText))
        let methods = received.elements.compactMap { $0["method"]?.string }
        for method in [
            "logging/setLevel", "notifications/roots/list_changed", "resources/subscribe", "resources/unsubscribe",
            "completion/complete",
        ] {
            #expect(methods.contains(method), "\(method) reached the child: \(methods)")
        }
        #expect(!methods.contains("ping"))
        #expect(await harness.muxgate.request(id: 10, method: "ping").response?.result?.text == "{}")
        #expect(await harness.shutDown())
    }
}
