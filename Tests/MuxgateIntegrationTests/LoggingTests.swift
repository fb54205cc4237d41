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

/// Log messages in every cell of IDE era × child era: the official client (`--log-level info`) as
/// the IDE, the SDK's own MCPServer as the child, direct and through muxgate.
@Suite("Logging across protocol eras: per-request opt-in, setLevel, request-scoped delivery")
struct LoggingTests {
    init() async throws {
        try await TestEnvironment.shared.preparePython()
    }

    static let shout = #"[{"tool": "TOOL", "arguments": {}}]"#

    /// (level, data) of each log line the client received, in order.
    static func lines(_ report: JSONSlice) -> [String] {
        (report["logs"]?.elements ?? []).map {
            "\($0["level"]?.string ?? "?"): \($0["data"]?.string ?? $0["data"]?.text ?? "")"
        }
    }

    /// The client straight at the FastMCP child: what it hears without muxgate.
    static func direct(mode: String, options: [String]) async throws -> JSONSlice {
        let directory = try TestPaths.temporaryDirectory()
        let script = try TestPaths.write(
            #"{"calls": \#(shout.replacingOccurrences(of: "TOOL", with: "shout"))}"#,
            to: directory,
            name: "script.json"
        )
        let output = try await TestEnvironment.shared.run(
            TestPaths.python,
            [TestPaths.clientScript, "--timeout", "60", "--mode", mode] + options
                + ["script", script, "--", TestPaths.python, TestPaths.root + "/Tests/e2e/fastmcp_server.py"]
        )
        return try JSONSlice.parse(output)
    }

    static func throughMuxgate(mode: String, childEra: String, options: [String]) async throws -> JSONSlice {
        let era = childEra == "2026-07-28" ? "    protocol: \"2026-07-28\"\n" : ""
        return try await ModernProtocolTests.runOfficialClient(
            mode: mode,
            config: "audit: { enabled: false }\n\(TestPaths.loadedStartup)\nservers:\n"
                + "  py:\n    command: \(TestPaths.python)\n    args: [\"\(TestPaths.root)/Tests/e2e/fastmcp_server.py\"]\n"
                + era,
            calls: shout.replacingOccurrences(of: "TOOL", with: "py_shout"),
            options: options,
            timeout: "60"
        ).report
    }

    @Test(
        "the client's log opt-in is honoured through muxgate exactly as directly, in every era pair",
        arguments: ["legacy", "auto", "discover"],
        ["initialize", "2026-07-28"]
    )
    func optIn(mode: String, childEra: String) async throws {
        let options = ["--log-level", "info"]
        let direct = try await Self.direct(mode: mode, options: options)
        let proxied = try await Self.throughMuxgate(mode: mode, childEra: childEra, options: options)
        let expected =
            mode == "legacy"
            // The initialize era: the server logs as it likes (MCPServer: everything).
            ? ["debug: debug line", "info: info line", "warning: warning line"]
            // 2026-07-28: only what the request opted in to, info and above.
            : ["info: info line", "warning: warning line"]
        #expect(Self.lines(direct) == expected, "direct, \(mode): \(direct.text)")
        #expect(Self.lines(proxied) == expected, "through muxgate, \(mode) → \(childEra) child: \(proxied.text)")
        #expect(proxied["results"]?.elements.first?["content"]?.text.contains("logged") == true)
        #expect(
            (proxied["logs"]?.elements ?? []).allSatisfy { $0["logger"]?.string?.hasPrefix("py") == true },
            "each line names its server: \(proxied.text)"
        )
    }

    @Test("no opt-in, no log lines: a 2026-07-28 client that sets no level hears nothing, from either child era")
    func noOptIn() async throws {
        for childEra in ["initialize", "2026-07-28"] {
            let proxied = try await Self.throughMuxgate(mode: "discover", childEra: childEra, options: [])
            #expect(Self.lines(proxied).isEmpty, "\(childEra): \(proxied.text)")
            #expect(proxied["results"]?.elements.first?["content"]?.text.contains("logged") == true)
        }
    }

    @Test("an initialize-era client's logging/setLevel becomes the opt-in stamped on requests to a 2026-07-28 child")
    func setLevelBecomesOptIn() async throws {
        let proxied = try await Self.throughMuxgate(
            mode: "legacy",
            childEra: "2026-07-28",
            options: ["--set-level", "warning"]
        )
        #expect(Self.lines(proxied) == ["warning: warning line"], "\(proxied.text)")
    }

    @Test("a 2026-07-28 client's opt-in becomes logging/setLevel on an initialize-era child that offers logging")
    func optInBecomesSetLevel() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let received = directory + "/received.jsonl"
        func notify(_ level: String) -> String {
            #"{"tool": "fx_notify", "arguments": {"method": "notifications/message", "params": {"level": "\#(level)", "data": "\#(level) line"}}}"#
        }
        let (report, _) = try await ModernProtocolTests.runOfficialClient(
            mode: "discover",
            config: "audit: { enabled: false }\nservers:\n" + Harness.fixture("fx", ["--extras", "--log", received]),
            calls: "[\(notify("debug")), \(notify("info")), \(notify("error"))]",
            options: ["--log-level", "info"],
            timeout: "60"
        )
        #expect(
            Self.lines(report) == ["info: info line", "error: error line"],
            "below info is dropped: \(report.text)"
        )
        let lines = try String(contentsOfFile: received, encoding: .utf8).split(separator: "\n")
        let setLevel = lines.firstIndex { $0.contains("logging/setLevel") && $0.contains(#""level":"info""#) }
        let firstCall = lines.firstIndex { $0.contains("tools/call") }
        #expect(setLevel != nil && firstCall != nil && setLevel! < firstCall!, "set before the call: \(lines)")
        #expect(
            !lines.contains { $0.contains("tools/call") && $0.contains("io.modelcontextprotocol/logLevel") },
            "the envelope stays muxgate's"
        )
    }

    @Test("a log level that is none is refused with -32602 naming it")
    func invalidLevel() async throws {
        let harness = try Harness.start("audit: { enabled: false }\nservers:\n" + Harness.fixture("fx"))
        defer { harness.muxgate.terminate() }
        let (answer, _) = await harness.muxgate.request(
            id: 1,
            method: "tools/list",
            params:
                #"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/logLevel":"verbose"}}"#
        )
        #expect(answer?.errorCode == -32602)
        #expect(answer?.errorMessage.contains("verbose") == true, "\(answer?.root.text ?? "")")
        let (bad, _) = await harness.muxgate.request(id: 2, method: "logging/setLevel", params: #"{"level":"loud"}"#)
        #expect(bad?.errorCode == -32602, "\(bad?.root.text ?? "")")
        #expect(await harness.shutDown())
    }
}
