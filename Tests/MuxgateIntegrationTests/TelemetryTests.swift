import AsyncHTTPClient
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
import NIOHTTP1
import Testing

/// OpenTelemetry: muxgate's spans and metrics as a real OTLP/HTTP collector decodes them (the
/// official `opentelemetry-proto` messages, `Tests/e2e/otlp_receiver.py`), the IDE's trace
/// continued and carried to the child, and Prometheus text at `/metrics` in team mode.
@Suite("Telemetry: OTLP traces and metrics, trace context to the children, /metrics", .serialized)
struct TelemetryTests {
    init() async throws {
        try await TestEnvironment.shared.preparePython()
    }

    static let receiver = TestPaths.root + "/Tests/e2e/otlp_receiver.py"
    /// The IDE's trace: W3C trace context, as an IDE that traces sends it in `_meta`.
    static let traceID = "0af7651916cd43dd8448eb211c80319c"
    static let parentSpan = "b7ad6b7169203331"

    /// What the collector received: one JSON object per span or metric data point.
    static func received(_ path: String) throws -> [JSONSlice] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try JSONSlice.parse(Array($0.utf8))
        }
    }

    @Test(
        "a call's spans: the IDE's trace continued, policy, audit write and the child call inside it; traceparent reaches the child; metrics after a known sequence"
    )
    func traces() async throws {
        let directory = try TestPaths.temporaryDirectory("muxgate-otel")
        let output = directory + "/otlp.jsonl"
        let collector = try await TestServer(TestPaths.python, [Self.receiver, output])
        defer { collector.stop() }
        let harness = try Harness.start(
            """
            audit: { path: \(directory)/audit.jsonl }
            otel:
              traces: true
              metrics: true
              endpoint: http://127.0.0.1:\(collector.port)
              service_name: muxgate-under-test
            policy:
              profile: guarded
              hide_denied: false
              profiles:
                guarded: { allow: [read, write, destructive], deny: ["fx_fail"] }
            servers:
            \(Harness.fixture("fx"))
            """
        )
        defer { harness.muxgate.terminate() }
        try await harness.initialize(version: "2025-11-25")
        let traced = await harness.muxgate.request(
            id: 2,
            method: "tools/call",
            params:
                #"{"name":"fx_echo","arguments":{"who":"traced"},"_meta":{"traceparent":"00-\#(Self.traceID)-\#(Self.parentSpan)-01","vendor":"kept"}}"#
        ).response
        #expect(traced?.firstText?.contains("traced") == true, "\(traced?.root.text ?? "none")")
        let denied = await harness.call("fx_fail", id: 3)
        #expect(denied?.result?["isError"]?.bool == true)
        let seen = try #require(await harness.call("fx_requests", id: 4)?.firstText)
        let received = try JSONSlice.parse(seen).elements
        let echo = try #require(received.first { $0["params"]?["name"]?.string == "echo" })
        let meta = try #require(echo["params"]?["_meta"])
        let carried = try #require(meta["traceparent"]?.string, "\(echo.text)")
        #expect(carried.hasPrefix("00-\(Self.traceID)-") && !carried.contains(Self.parentSpan), "\(carried)")
        #expect(meta["vendor"]?.string == "kept", "the rest of the IDE's _meta is kept: \(meta.text)")
        #expect(await harness.shutDown(), "muxgate exits, its spans exported on the way")

        let lines = try Self.received(output)
        let spans = lines.filter { $0["kind"]?.string == "span" }
        func span(_ name: String, kind: Int) -> JSONSlice? {
            spans.first { $0["name"]?.string == name && $0["span_kind"]?.int == kind }
        }
        // SpanKind: 2 server, 3 client.
        let server = try #require(span("tools/call fx_echo", kind: 2), "\(spans.map(\.text))")
        #expect(server["service"]?.string == "muxgate-under-test")
        #expect(server["trace_id"]?.string == Self.traceID, "the IDE's trace continues")
        #expect(server["parent_span_id"]?.string == Self.parentSpan)
        let attributes = try #require(server["attributes"])
        #expect(attributes["mcp.method.name"]?.string == "tools/call")
        #expect(attributes["gen_ai.tool.name"]?.string == "fx_echo")
        #expect(attributes["jsonrpc.request.id"]?.string == "2")
        #expect(attributes["mcp.protocol.version"]?.string == "2025-11-25")
        #expect(attributes["mcp.session.id"]?.string == "stdio")
        let serverID = try #require(server["span_id"]?.string)
        let client = try #require(span("tools/call fx_echo", kind: 3), "\(spans.map(\.text))")
        #expect(client["parent_span_id"]?.string == serverID && client["trace_id"]?.string == Self.traceID)
        #expect(client["attributes"]?["server.name"]?.string == "fx")
        #expect(
            carried == "00-\(Self.traceID)-\(client["span_id"]?.string ?? "?")-01",
            "the child's parent is the call"
        )
        let policy = try #require(
            spans.first { $0["name"]?.string == "muxgate.policy" && $0["parent_span_id"]?.string == serverID }
        )
        #expect(policy["attributes"]?["muxgate.policy.decision"]?.string == "allow")
        #expect(
            spans.contains { $0["name"]?.string == "muxgate.audit.write" && $0["parent_span_id"]?.string == serverID },
            "an unannotated tool's decision is made durable first, inside the call's span"
        )
        let deniedSpan = try #require(span("tools/call fx_fail", kind: 2))
        #expect(deniedSpan["attributes"]?["error.type"]?.string == "tool_error")
        #expect(deniedSpan["parent_span_id"]?.string == "", "a call without a traceparent starts a trace")
        #expect(
            !spans.contains { $0["name"]?.string == "tools/call fx_fail" && $0["span_kind"]?.int == 3 },
            "never sent"
        )

        let metrics = lines.filter { $0["kind"]?.string == "metric" }
        func value(_ name: String, _ key: String, _ wanted: String) -> Int? {
            // Cumulative: the last export has the totals.
            metrics.last { $0["name"]?.string == name && $0["attributes"]?[key]?.string == wanted }?["value"]?.int
        }
        #expect(value("muxgate.policy.decisions", "decision", "allow") == 2, "\(metrics.map(\.text))")
        #expect(value("muxgate.policy.decisions", "decision", "deny") == 1)
        let calls = metrics.last {
            $0["name"]?.string == "mcp.server.operation.duration"
                && $0["attributes"]?["gen_ai.tool.name"]?.string == "fx_echo"
        }
        #expect(calls?["count"]?.int == 1, "\(String(describing: calls))")
    }

    @Test("team mode's /metrics: Prometheus text with each caller's decisions, after a known sequence")
    func prometheus() async throws {
        let team = try await TeamModeTests.start(extra: "  metrics: true")
        defer { team.stop() }
        let call = #"[{"tool": "fx_echo", "arguments": {"who": "caller"}}]"#
        _ = try await TeamModeTests.officialClient(team, as: "alice", calls: call)
        _ = try await TeamModeTests.officialClient(team, as: "bob", calls: call)
        let scraped = try await TeamModeTests.request(
            HTTPClient.shared,
            team.muxgate.url("/metrics"),
            method: .GET,
            token: nil
        )
        #expect(scraped.status.code == 200)
        let text = scraped.body
        #expect(text.contains(#"muxgate_policy_decisions{decision="allow",scope="destructive"} 1"#), "\(text)")
        #expect(text.contains(#"muxgate_policy_decisions{decision="deny",scope="destructive"} 1"#), "\(text)")
        #expect(
            text.contains(
                #"mcp_server_operation_duration_count{mcp_method_name="tools/call",gen_ai_tool_name="fx_echo"} 1"#
            ),
            "\(text)"
        )
        #expect(text.contains(#"muxgate_child_starts{server_name="fx"}"#), "\(text)")
        let foreign = try await TeamModeTests.request(
            HTTPClient.shared,
            team.muxgate.url("/metrics"),
            method: .GET,
            token: nil,
            headers: [("Origin", "https://evil.example")]
        )
        #expect(foreign.status.code == 403)
    }
}
