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

/// Secrets nowhere: a child that echoes what it was given and remote servers that echo their
/// request into an HTTP 500 body, with every sink muxgate has checked — its log (stderr), the
/// errors the IDE gets, the audit trail, the spans a collector receives, `check` and `tools`.
@Suite("Secrets: every ${VAR} value, env and header value and URL credential is scrubbed at every sink", .serialized)
struct SecretSinkTests {
    init() async throws {
        try await TestEnvironment.shared.preparePython()
    }

    /// What the environment gives the configuration; none may appear in any output.
    static let secrets = [
        "LEAK_ENV_SECRET": "env-secret-7f3a9c", "LEAK_ARG_SECRET": "arg-secret-0b51e2",
        "LEAK_URL_SECRET": "url-secret-9d4f11", "LEAK_HDR_SECRET": "hdr-secret-c3a7e0",
    ]
    /// Written in the file itself: a header value and a query credential.
    static let literals = ["literal-header-c0ffee", "literal-query-7e57ab"]

    static func leaks(in text: String) -> [String] {
        (Array(secrets.values) + literals).filter { text.contains($0) }
    }

    @Test("a leaky child and leaky remote servers: stderr, the IDE's errors, audit, spans, check and tools")
    func everySink() async throws {
        let directory = try TestPaths.temporaryDirectory("muxgate-secrets")
        let bad = TestPaths.root + "/Tests/e2e/bad_http_server.py"
        let leakInit = try await TestServer(TestPaths.python, [bad, "leak-init"])
        defer { leakInit.stop() }
        let leakCall = try await TestServer(TestPaths.python, [bad, "leak-call"])
        defer { leakCall.stop() }
        let collector = try await TestServer(TestPaths.python, [TelemetryTests.receiver, directory + "/otlp.jsonl"])
        defer { collector.stop() }
        let config = try TestPaths.write(
            """
            audit: { path: \(directory)/audit.jsonl }
            otel: { traces: true, metrics: false, endpoint: "http://127.0.0.1:\(collector.port)" }
            servers:
              leakychild:
                command: \(TestPaths.fixture)
                args: [--name, leakychild, --leak-env, API_KEY, --log, "\(directory)/${LEAK_ARG_SECRET}.log"]
                env: { API_KEY: "${LEAK_ENV_SECRET}" }
              leakyinit:
                url: "\(leakInit.url("/mcp"))?api_key=${LEAK_URL_SECRET}&v=1"
                headers: { Authorization: "Bearer ${LEAK_HDR_SECRET}", X-Literal: \(Self.literals[0]) }
              leakycall:
                url: "\(leakCall.url("/mcp"))?token=\(Self.literals[1])"
                headers: { X-Api-Key: "${LEAK_HDR_SECRET}" }
            """,
            to: directory,
            name: "muxgate.yaml"
        )
        let environment = ProcessInfo.processInfo.environment.merging(Self.secrets) { $1 }

        // The CLI: check and tools start every server and print what went wrong.
        let check = try await Harness.run(["check", "--config", config], environment: environment)
        #expect(check.stderr.contains("[secret]") || check.output.contains("[secret]"), "the leak reached check")
        #expect(Self.leaks(in: check.output + check.stderr).isEmpty, "check: \(check.output)\n\(check.stderr)")
        let tools = try await Harness.run(["tools", "--config", config], environment: environment)
        #expect(Self.leaks(in: tools.output + tools.stderr).isEmpty, "tools: \(tools.output)\n\(tools.stderr)")

        // serve: the IDE's errors, muxgate's log.
        let harness = try Harness.start(configFile: config, environment: Self.secrets)
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        _ = try await harness.toolNames()
        var answers: [String] = []
        for (index, name) in [
            "leakychild_echo", "leakyinit_bad", "leakycall_bad", "x-\(Self.secrets["LEAK_URL_SECRET"]!)",
        ]
        .enumerated() {
            let answer = await harness.call(name, id: 10 + index)
            answers.append(answer?.root.text ?? "no answer to \(name)")
        }
        #expect(answers[2].contains("[secret]"), "the HTTP 500 echo reached the IDE, scrubbed: \(answers[2])")
        #expect(Self.leaks(in: answers.joined(separator: "\n")).isEmpty, "IDE: \(answers)")
        #expect(await harness.shutDown())
        #expect(harness.muxgate.stderr.contains("[secret]"), "the child's echo reached the log, scrubbed")
        #expect(Self.leaks(in: harness.muxgate.stderr).isEmpty, "stderr: \(harness.muxgate.stderr)")
        let audit = try String(contentsOfFile: directory + "/audit.jsonl", encoding: .utf8)
        #expect(Self.leaks(in: audit).isEmpty, "audit: \(audit)")
        let spans = try String(contentsOfFile: directory + "/otlp.jsonl", encoding: .utf8)
        #expect(spans.contains("[secret]"), "the span naming the secret tool was exported, scrubbed")
        #expect(Self.leaks(in: spans).isEmpty, "spans: \(spans)")
    }

    @Test("a configuration error never prints a password or token it rejects")
    func configErrors() async throws {
        let directory = try TestPaths.temporaryDirectory("muxgate-secrets")
        for (index, url) in [
            "https://deploy:pa55word-rejected@example.com/mcp",
            "https://tok3n-in-userinfo-aa11@example.com:99999/mcp",
            "ftp://u:ftp-pass-0042@example.com/mcp",
        ].enumerated() {
            let config = try TestPaths.write(
                "servers:\n  remote:\n    url: \"\(url)\"\n",
                to: directory,
                name: "bad-\(index).yaml"
            )
            let check = try await Harness.run(["check", "--config", config])
            #expect(check.status == 2, "\(check.stderr)")
            #expect(check.stderr.contains("servers.remote.url"), "the error names the key: \(check.stderr)")
            for secret in ["pa55word-rejected", "tok3n-in-userinfo-aa11", "ftp-pass-0042"] {
                #expect(!(check.output + check.stderr).contains(secret), "\(check.stderr)")
            }
        }
    }
}
