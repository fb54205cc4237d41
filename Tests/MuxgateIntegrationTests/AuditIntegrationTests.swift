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

/// The audit trail end to end: what muxgate records, that it verifies, and what it never contains.
@Suite("Audit trail: records, integrity, secrets, crashes", .serialized)
struct AuditIntegrationTests {
    init() async throws {
        try await TestEnvironment.shared.prepare()
    }

    func verify(_ path: String) async throws -> (status: Int32, output: String) {
        let run = try await Harness.run(["audit", "verify", path], timeout: .seconds(20))
        return (run.status, run.output + run.stderr)
    }

    @Test("calls, denials and children are recorded before and after, the chain verifies, secrets never appear")
    func recordsAndSecrets() async throws {
        let secret = "hunter2-\(UUID().uuidString.prefix(8))"
        let envSecret = "envsecret-\(UUID().uuidString.prefix(8))"
        let harness = try Harness.start(
            """
            policy: { profile: readonly, hide_denied: false }
            audit: { redact: ["*password*"] }
            \(TestPaths.loadedStartup)
            servers:
            """ + "\n"
                + Harness.fixture(
                    "vault",
                    [],
                    extra: ["scopes: { read: [echo] }", "env: { VAULT_TOKEN: \"\(envSecret)\" }"]
                )
        )
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        _ = try await harness.toolNames()
        let echoed = await harness.call("vault_echo", #"{"user":"ann","password":"\#(secret)"}"#, id: 2)
        #expect(echoed?.firstText?.contains(secret) == true, "the child itself gets the real value")
        let denied = await harness.call("vault_fail", #"{"password":"\#(secret)"}"#, id: 3)
        #expect(denied?.result?["isError"]?.bool == true)
        #expect(await harness.shutDown())

        let bytes = try String(contentsOfFile: harness.auditPath, encoding: .utf8)
        #expect(!bytes.contains(secret), "a redacted argument value reached the audit log")
        #expect(!bytes.contains(envSecret), "an env value given to a child reached the audit log")
        let records = try harness.auditRecords()
        let events = records.compactMap { $0["event"]?.string }
        #expect(events.first == "start" && events.last == "stop", "\(events)")
        #expect(events.contains("child") && events.contains("tools"))
        let decisions = records.filter { $0["event"]?.string == "decision" }
        let allow = try #require(decisions.first { $0["tool"]?.string == "vault_echo" })
        #expect(allow["decision"]?.string == "allow" && allow["scope"]?.string == "read")
        #expect(allow["scope_source"]?.string == "operator" && allow["upstream_tool"]?.string == "echo")
        #expect(allow["args"]?["password"]?.string == "[redacted]" && allow["args"]?["user"]?.string == "ann")
        #expect(allow["args_sha256"]?.string?.count == 64)
        #expect(allow["request_id"]?.text == "2")
        let deny = try #require(decisions.first { $0["tool"]?.string == "vault_fail" })
        #expect(deny["decision"]?.string == "deny" && deny["rule"]?.string?.contains("readonly") == true)
        let outcomes = records.filter { $0["event"]?.string == "outcome" }
        #expect(outcomes.count == 1, "a denied call has no outcome: it never ran")
        #expect(outcomes.first?["outcome"]?.string == "ok" && outcomes.first?["result_sha256"]?.string?.count == 64)
        let decisionIndex = records.firstIndex {
            $0["event"]?.string == "decision" && $0["tool"]?.string == "vault_echo"
        }!
        let outcomeIndex = records.firstIndex { $0["event"]?.string == "outcome" }!
        #expect(decisionIndex < outcomeIndex, "the decision is recorded before the call is forwarded")
        let verified = try await verify(harness.auditPath)
        #expect(verified.status == 0, "\(verified.output)")
    }

    @Test("kill -9 amid 200 concurrent durable calls: a log that verifies, a decision for every call the child got")
    func killNine() async throws {
        // The default configuration: the fixture's tools carry no annotations, so every call is
        // destructive and its decision must be on disk (group-committed) before it is forwarded.
        let received = try TestPaths.temporaryDirectory() + "/received.jsonl"
        let harness = try Harness.start("servers:\n" + Harness.fixture("busy", ["--log", received]))
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        _ = try await harness.toolNames()
        for index in 0..<200 {
            harness.muxgate.send(
                #"{"jsonrpc":"2.0","id":\#(1000 + index),"method":"tools/call","params":{"name":"busy_echo","arguments":{"n":\#(index)}}}"#
            )
        }
        // Kill once some answers are back: traffic is flowing, more is in flight.
        for _ in 0..<20 { _ = await harness.muxgate.next(timeout: .seconds(10)) }
        kill(harness.muxgate.process.processIdentifier, SIGKILL)
        #expect(await harness.muxgate.waitForExit())
        let records = try harness.auditRecords()
        let decisions = records.filter { $0["event"]?.string == "decision" }
        #expect(decisions.count >= 20)
        #expect(decisions.allSatisfy { $0["scope"]?.string == "destructive" }, "unannotated: the durable path")
        #expect(!records.contains { $0["event"]?.string == "stop" })
        // Audit before acting: whatever reached the child has its decision in the log.
        let decided = Set(decisions.compactMap { $0["args"]?["n"]?.int })
        let forwarded = try String(contentsOfFile: received, encoding: .utf8).split(separator: "\n")
            .compactMap { try? JSONSlice.parse(String($0)) }
            .filter { $0["method"]?.string == "tools/call" }
            .compactMap { $0["params"]?["arguments"]?["n"]?.int }
        #expect(forwarded.count >= 20, "traffic reached the child")
        #expect(
            forwarded.allSatisfy(decided.contains),
            "forwarded without a decision: \(Set(forwarded).subtracting(decided))"
        )
        let verified = try await verify(harness.auditPath)
        #expect(verified.status == 0, "\(verified.output)")
        #expect(
            verified.output.lowercased().contains("stop"),
            "the session without stop is reported: \(verified.output)"
        )
        // The children of a killed muxgate see stdin close and exit by themselves.
    }

    @Test("tampering with the written log is found")
    func tamper() async throws {
        let harness = try Harness.start("servers:\n" + Harness.fixture("ledger"))
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        for index in 0..<5 { _ = await harness.call("ledger_echo", #"{"i":\#(index)}"#, id: 10 + index) }
        #expect(await harness.shutDown())
        var lines = try String(contentsOfFile: harness.auditPath, encoding: .utf8).split(separator: "\n").map(
            String.init
        )
        lines[4] = lines[4].replacingOccurrences(of: "\"ok\"", with: "\"KO\"").replacingOccurrences(
            of: "ledger",
            with: "l3dger"
        )
        try (lines.joined(separator: "\n") + "\n").write(toFile: harness.auditPath, atomically: true, encoding: .utf8)
        let verified = try await verify(harness.auditPath)
        #expect(verified.status == 1, "\(verified.output)")
        #expect(verified.output.contains("edited"), "\(verified.output)")
    }
}

/// The anchor end to end: a real `muxgate serve` writes signed checkpoints at its interval and at
/// stop, and the real `muxgate audit verify --anchor` finds a cut tail, a rolled-back or deleted
/// anchor, and a wrong key.
@Suite("Audit anchor: checkpoints from a real serve, verified by the real CLI", .serialized)
struct AuditAnchorIntegrationTests {
    init() async throws {
        try await TestEnvironment.shared.prepare()
    }

    /// Polls `condition` every 50 ms for at most `seconds`.
    func eventually(_ seconds: Double = 20, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }

    func checkpoints(_ path: String) -> [JSONSlice] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSlice.parse(String($0)) }
    }

    @Test("checkpoints at the interval and after stop; verify --anchor passes, then catches each tampering")
    func serveAndVerify() async throws {
        let keys = try TestPaths.temporaryDirectory()
        let made = try await Harness.run(["audit", "keygen", "--out", keys + "/anchor.key"])
        #expect(made.status == 0, "\(made.stderr)")
        let privateKey = try String(contentsOfFile: keys + "/anchor.key", encoding: .utf8)
        let publicKey = keys + "/anchor.key.pub"
        let anchorPath = keys + "/anchors/audit.anchor"
        // The key comes from the environment; the children must not inherit it.
        let harness = try Harness.start(
            "audit: { anchor: { path: \(anchorPath), key_env: MUXGATE_TEST_ANCHOR_KEY, interval: 1s } }\n"
                + "servers:\n" + Harness.fixture("ledger"),
            environment: ["MUXGATE_TEST_ANCHOR_KEY": privateKey]
        )
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        for index in 0..<3 { _ = await harness.call("ledger_echo", #"{"i":\#(index)}"#, id: 10 + index) }
        let childSeesKey = Harness.processes(withEnvironment: "MUXGATE_TEST_ANCHOR_KEY=\(privateKey)").filter {
            $0 != harness.muxgate.process.processIdentifier
        }
        #expect(!harness.leftoverProcesses().isEmpty, "the child runs")
        #expect(childSeesKey.isEmpty, "a child inherited the anchor's private key")
        // The interval's checkpoint covers the calls, and the log records it.
        let lastCall = try #require(
            try harness.auditRecords().last { $0["event"]?.string == "outcome" }?["seq"]?.int
        )
        #expect(
            await eventually { checkpoints(anchorPath).contains { ($0["seq"]?.int ?? 0) >= lastCall } },
            "no checkpoint covered seq \(lastCall) in time; stderr:\n\(harness.muxgate.stderr)"
        )
        #expect(
            await eventually { (try? harness.auditRecords().contains { $0["event"]?.string == "checkpoint" }) == true }
        )
        #expect(await harness.shutDown())
        let records = try harness.auditRecords()
        let stop = try #require(records.last)
        let last = try #require(checkpoints(anchorPath).last)
        #expect(stop["event"]?.string == "stop" && stop["anchor"]?.string == last["key"]?.string)
        #expect(last["reason"]?.string == "stop" && last["seq"]?.int == stop["seq"]?.int)

        func verify(_ extra: [String] = []) async throws -> (status: Int32, output: String) {
            let run = try await Harness.run(
                ["audit", "verify", harness.auditPath, "--anchor", anchorPath, "--public-key", publicKey] + extra,
                timeout: .seconds(20)
            )
            return (run.status, run.output + run.stderr)
        }
        let intact = try await verify()
        #expect(intact.status == 0 && intact.output.contains("every record is anchored"), "\(intact.output)")

        let log = try String(contentsOfFile: harness.auditPath, encoding: .utf8)
        let anchor = try String(contentsOfFile: anchorPath, encoding: .utf8)
        func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }
        func write(_ lines: [String], _ path: String) throws {
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
        try write(Array(lines(log).dropLast()), harness.auditPath)
        let cut = try await verify()
        #expect(cut.status == 1 && cut.output.contains("tail cut"), "\(cut.output)")
        try log.write(toFile: harness.auditPath, atomically: true, encoding: .utf8)

        try write(Array(lines(anchor).dropLast()), anchorPath)
        let rolledBack = try await verify()
        #expect(rolledBack.status == 1 && rolledBack.output.contains("anchor rolled back"), "\(rolledBack.output)")
        try FileManager.default.removeItem(atPath: anchorPath)
        let deleted = try await verify()
        #expect(deleted.status == 1 && deleted.output.contains("anchor missing"), "\(deleted.output)")
        try anchor.write(toFile: anchorPath, atomically: true, encoding: .utf8)

        let other = try await Harness.run(["audit", "keygen", "--out", keys + "/other.key"])
        #expect(other.status == 0)
        let wrongKey = try await Harness.run(
            ["audit", "verify", harness.auditPath, "--anchor", anchorPath, "--public-key", keys + "/other.key.pub"]
        )
        #expect(wrongKey.status == 1 && wrongKey.output.contains("bad signature"), "\(wrongKey.output)")
    }
}

/// The HTML report as a browser renders it (Debian's `chromium`, installed by `.ci/run`).
@Suite("Audit report in headless Chromium", .serialized)
struct AuditReportBrowserTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    @Test(
        "the report renders its summary, highlights denials and its filters work",
        .enabled(if: chromium != nil || ProcessInfo.processInfo.environment["CI"] != nil)
    )
    func renders() async throws {
        try await TestEnvironment.shared.prepare()
        let chromium = try #require(Self.chromium, "CI needs Debian's chromium (apt-get install chromium)")
        let harness = try Harness.start(
            "policy: { profile: readonly, hide_denied: false }\nservers:\n"
                + Harness.fixture("web", [], extra: ["scopes: { read: [echo] }"])
        )
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        for index in 0..<3 { _ = await harness.call("web_echo", #"{"i":\#(index)}"#, id: 10 + index) }
        _ = await harness.call("web_fail", id: 20)
        #expect(await harness.shutDown())
        let html = harness.directory + "/report.html"
        try await TestEnvironment.shared.run(TestPaths.muxgate, ["audit", "report", harness.auditPath, "--html", html])
        func render(_ fragment: String) async throws -> String {
            try await TestEnvironment.shared.run(
                chromium,
                ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "file://\(html)\(fragment)"]
            )
        }
        let all = try await render("")
        #expect(all.contains("Chain intact"), "chain status shown")
        #expect(all.contains("4 of 4 calls"))
        #expect(all.contains("class=\"card denied\""))
        let denied = try await render("#decision=deny")
        #expect(denied.contains("1 of 4 calls"), "the decision filter ran in the browser")
        let searched = try await render("#q=web_echo")
        #expect(searched.contains("3 of 4 calls"), "the text filter ran in the browser")
    }
}
