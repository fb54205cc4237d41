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

/// Byte fidelity both ways: what muxgate has no reason to change arrives exactly as it was sent.
@Suite("Byte fidelity: a corpus through muxgate in every direction")
struct FidelityTests {
    init() async throws {
        try await TestEnvironment.shared.prepare()
    }

    /// JSON objects with what lossy proxies lose: number literals, big integers, escapes, raw
    /// U+2028, unknown fields, `_meta`, annotation extras, `execution`, `structuredContent`,
    /// `resultType`, whitespace and key order.
    static let corpus: [String] = [
        #"{"n":1.0,"big":123456789012345678901234567890,"neg":-0.0,"exp":1E+2,"frac":0.10}"#,
        "{\"s\":\"a\u{2028}b\u{2029}c\",\"esc\":\"\\u00e9\\ud83d\\ude00\\/\\\"\",\"tab\":\"\\t\",\"raw\":\"é😀\"}",
        #"{"_meta":{"progressToken":"p","vendor.example/x":{"deep":[1,{"a":null}]}},"unknown":true}"#,
        #"{"annotations":{"audience":["user"],"priority":0.50,"x-custom":{"k":"v"}},"execution":{"taskSupport":"optional"}}"#,
        #"{"structuredContent":{"rows":[[1,2.50,"3"]]},"resultType":"complete","content":[]}"#,
        #"{ "spaced" : [ 1 , 2 ] ,"order":{"z":1,"a":2},"empty":{},"list":[]}"#,
    ]

    @Test(
        "IDE → child arguments, child → IDE notifications and requests, IDE → child responses: byte-identical",
        arguments: [
            "",
            // Telemetry configured, tracing off (metrics on, to a collector that is not there): the
            // bytes stay as they were.
            "otel: { traces: false, metrics: true, endpoint: \"http://127.0.0.1:9\" }\n",
        ]
    )
    func bothWays(_ otel: String) async throws {
        let harness = try Harness.start(
            "audit: { enabled: false }\n" + otel + "servers:\n" + Harness.fixture("fx"),
            environment: otel.isEmpty ? [:] : ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"]
        )
        defer { harness.muxgate.terminate() }
        try await harness.initialize(capabilities: #"{"sampling":{}}"#)
        _ = try await harness.toolNames()
        var id = 10
        for value in Self.corpus {
            id += 10
            // IDE → child: the child's echo returns the argument bytes it received.
            let echoed = await harness.call("fx_echo", value, id: id)
            #expect(echoed?.firstText == value, "arguments changed on the way to the child")

            // child → IDE: a notification muxgate has no reason to touch.
            let (sent, before) = await harness.muxgate.request(
                id: id + 1,
                method: "tools/call",
                params: #"{"name":"fx_notify","arguments":{"method":"notifications/x-fidelity","params":\#(value)}}"#
            )
            #expect(sent?.firstText == "sent")
            var notifications = before.filter { $0.method == "notifications/x-fidelity" }
            while notifications.isEmpty, let message = await harness.muxgate.nextMessage(timeout: .seconds(5)) {
                if message.method == "notifications/x-fidelity" { notifications.append(message) }
            }
            let expectedLine = #"{"jsonrpc":"2.0","method":"notifications/x-fidelity","params":\#(value)}"#
            #expect(notifications.first.map { String(decoding: $0.bytes, as: UTF8.self) } == expectedLine)

            // child → IDE request, then IDE → child response: only the ids change.
            harness.muxgate.send(
                #"{"jsonrpc":"2.0","id":\#(id + 2),"method":"tools/call","params":{"name":"fx_ask","arguments":{"method":"sampling/createMessage","params":\#(value)}}}"#
            )
            let request = try #require(await harness.muxgate.nextMessage(timeout: .seconds(10)))
            #expect(request.method == "sampling/createMessage")
            #expect(request.params?.text == value, "request params changed on the way to the IDE")
            let requestID = try #require(request.id?.text)
            harness.muxgate.send(#"{"jsonrpc":"2.0","id":\#(requestID),"result":\#(value)}"#)
            let answer = try #require(await harness.muxgate.nextMessage(timeout: .seconds(10)))
            let received = try JSONSlice.parse(try #require(answer.firstText))
            #expect(received["result"]?.text == value, "the IDE's result changed on the way to the child")
            #expect(received["id"]?.string?.hasPrefix("fx-ask-") == true, "the child got its own id back")
        }
        #expect(await harness.shutDown())
    }
}
