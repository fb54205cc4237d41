import AsyncHTTPClient
import Foundation
import MuxgateTeam
import MuxgateTesting
import MuxgateWire
import NIOHTTP1
import Testing

/// Limits with real children and real clients: in team mode a caller over its rate is refused
/// with the retry time while another is unaffected; over stdio a quota survives a restart.
@Suite("Limits end to end: per-caller rates in team mode, a quota across a restart", .serialized)
struct LimitIntegrationTests {
    init() async throws {
        try await TestEnvironment.shared.preparePython()
    }

    @Test("team mode: alice over her rate is refused with Retry-After and the retry time; carol is unaffected")
    func perCallerRate() async throws {
        let team = try await TeamModeTests.start(
            extra: """
                limits:
                  echo-rate: { tools: [fx_echo], rate: 1/hour, burst: 2 }
                """
        )
        defer { team.stop() }
        let http = HTTPClient.shared
        let opened = try await TeamModeTests.post(
            http,
            team.url,
            TeamModeTests.initialize,
            token: TeamModeTests.tokens["alice"]!
        )
        let alice = [("Mcp-Session-Id", try #require(opened.headers.first(name: "Mcp-Session-Id")))]
        var answers: [TeamModeTests.Answer] = []
        for id in 2...4 {
            answers.append(
                try await TeamModeTests.post(
                    http,
                    team.url,
                    TeamModeTests.call(id, "fx_echo"),
                    token: TeamModeTests.tokens["alice"]!,
                    headers: alice
                )
            )
        }
        for answer in answers.prefix(2) {
            #expect(!answer.body.contains(#""isError":true"#), "\(answer.body)")
            #expect(answer.headers.first(name: "Retry-After") == nil)
        }
        let refused = answers[2]
        let result = try JSONSlice.parse(refused.body)["result"]
        #expect(refused.status.code == 200 && result?["isError"]?.bool == true, "\(refused.body)")
        let text = result?["content"]?.elements.first?["text"]?.string ?? ""
        #expect(text.contains("limit 'echo-rate'") && text.contains("for alice") && text.contains("2 of 2 calls used"))
        let retry = try #require(Int(refused.headers.first(name: "Retry-After") ?? ""), "\(refused.headers)")
        #expect((3500...3600).contains(retry) && text.contains("retry in \(retry) s"), "\(text)")
        // Carol, through the official client, has a bucket of her own.
        let report = try await TeamModeTests.officialClient(
            team,
            as: "carol",
            calls: #"[{"tool": "fx_echo", "arguments": {"n": 1}}, {"tool": "fx_echo", "arguments": {"n": 2}}]"#
        )
        let results = report["results"]?.elements ?? []
        #expect(results.count == 2, "\(report.text)")
        for result in results {
            #expect(result["isError"]?.bool != true && !result.text.contains("limited"), "\(result.text)")
        }
        // Audited as decision `limited`, by its limit, for alice; the chain still verifies.
        let records = try TeamModeTests.records(team.auditPath)
        let limited = records.filter { $0["decision"]?.string == "limited" }
        #expect(limited.count == 1, "\(limited.map(\.text))")
        #expect(limited.first?["rule"]?.string == "limits.echo-rate")
        #expect(limited.first?.text.contains("alice") == true, "\(limited.first?.text ?? "")")
        let verify = try await Harness.run(["audit", "verify", team.auditPath], timeout: .seconds(20))
        #expect(verify.status == 0, "\(verify.output)\(verify.stderr)")
        let summary = try await Harness.run(["audit", "summary", team.auditPath], timeout: .seconds(20))
        #expect(
            summary.output.contains("1 limited") && summary.output.contains("limits.echo-rate"),
            "\(summary.output)"
        )
    }

    @Test("a quota survives a restart: used up, muxgate stopped and started again, still refused; explain shows it")
    func quotaAcrossRestart() async throws {
        let config = """
            servers:
            \(Harness.fixture("fx"))
            limits:
              daily: { tools: [fx_echo], quota: 2/day }
            """
        let first = try Harness.start(config)
        try await first.initialize()
        for id in 1...2 {
            let answer = await first.call("fx_echo", id: id)
            #expect(answer?.result?["isError"]?.bool != true, "\(answer?.root.text ?? first.muxgate.stderr)")
        }
        let third = await first.call("fx_echo", id: 3)
        #expect(third?.result?["isError"]?.bool == true && third?.firstText?.contains("limit 'daily'") == true)
        #expect(await first.shutDown())
        let journal = first.directory + "/muxgate/limits.journal"
        #expect(FileManager.default.fileExists(atPath: journal))

        let state = ["XDG_STATE_HOME": first.directory]
        let second = try Harness.start(configFile: first.configPath, environment: state)
        try await second.initialize()
        let again = await second.call("fx_echo", id: 1)
        let text = again?.firstText ?? ""
        #expect(again?.result?["isError"]?.bool == true, "\(again?.root.text ?? second.muxgate.stderr)")
        #expect(text.contains("2 of 2 used") && text.contains("retry in"), "\(text)")
        #expect(again?.result?["_meta"]?["muxgate/limit"]?["kind"]?.string == "quota")
        #expect(await second.shutDown())

        let environment = ProcessInfo.processInfo.environment.merging(state) { $1 }
        let explain = try await Harness.run(
            ["explain", "fx_echo", "--config", first.configPath],
            environment: environment,
            timeout: .seconds(60)
        )
        #expect(
            explain.output.contains("limit     daily: 2/day (UTC); 2 of 2 used this day by local"),
            "\(explain.output)\(explain.stderr)"
        )
        let summary = try await Harness.run(["audit", "summary", first.auditPath], timeout: .seconds(20))
        #expect(summary.output.contains("2 limited") && summary.output.contains("LIMITED"), "\(summary.output)")
        let verify = try await Harness.run(["audit", "verify", first.auditPath], timeout: .seconds(20))
        #expect(verify.status == 0, "\(verify.output)\(verify.stderr)")
    }

    @Test("a place in flight comes back however the call ends: a tool error, a timeout, a cancel, the child's exit")
    func concurrencyNeverLeaks() async throws {
        let harness = try Harness.start(
            """
            audit: { enabled: false }
            servers:
            \(Harness.fixture("fx", extra: ["call_timeout: 1s"]))
            limits:
              one-at-a-time: { tools: ["fx_*"], concurrency: 1 }
            """
        )
        defer { _ = harness.muxgate.closeInput() }
        try await harness.initialize()
        func echoAdmitted(_ id: Int, after: String) async {
            let echo = await harness.call("fx_echo", id: id)
            #expect(echo?.result?["isError"]?.bool != true, "after \(after): \(echo?.root.text ?? "no answer")")
        }
        let failed = await harness.call("fx_fail", id: 1)
        #expect(failed?.result?["isError"]?.bool == true && failed?.firstText?.contains("limit") == false)
        await echoAdmitted(2, after: "a tool error")
        let timedOut = await harness.call("fx_slow", #"{"ms":20000}"#, id: 3)
        #expect(timedOut?.error != nil, "\(timedOut?.root.text ?? "no answer")")
        await echoAdmitted(4, after: "a timeout")
        // A call cancelled while the child works on it; the ping after the cancel is answered
        // once the cancel was handled (the front hands both to the gateway in order).
        harness.muxgate.send(
            #"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"fx_slow","arguments":{"ms":20000}}}"#
        )
        harness.muxgate.send(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":5}}"#)
        #expect(await harness.muxgate.request(id: 6, method: "ping").response?.result != nil)
        await echoAdmitted(7, after: "a cancel")
        let crashed = await harness.call("fx_crash", id: 8)
        #expect(crashed?.error != nil, "\(crashed?.root.text ?? "no answer")")
        await echoAdmitted(9, after: "the child's exit")
        #expect(await harness.shutDown())
    }

    @Test("a reload that keeps a limit keeps its counters; a limit renamed starts from zero")
    func countersSurviveReload() async throws {
        let limits = """
            limits:
              hourly: { tools: [fx_echo], rate: 1/hour }
            """
        let harness = try Harness.start(
            """
            audit: { enabled: false }
            servers:
            \(Harness.fixture("fx"))
            \(limits)
            """
        )
        try await harness.initialize()
        #expect(await harness.call("fx_echo", id: 1)?.result?["isError"]?.bool != true)
        #expect(await harness.call("fx_echo", id: 2)?.firstText?.contains("limit 'hourly'") == true)
        func reload(_ old: String, _ new: String, count: Int) async throws {
            let text = try String(contentsOfFile: harness.configPath, encoding: .utf8)
            try text.replacingOccurrences(of: old, with: new).write(
                toFile: harness.configPath,
                atomically: true,
                encoding: .utf8
            )
            kill(harness.muxgate.process.processIdentifier, SIGHUP)
            #expect(await harness.muxgate.waitForStderr("config reloaded", count: count), "\(harness.muxgate.stderr)")
        }
        // Kept (a burst added): the bucket is still empty.
        try await reload("rate: 1/hour }", "rate: 1/hour, burst: 1 }", count: 1)
        #expect(await harness.call("fx_echo", id: 3)?.firstText?.contains("limit 'hourly'") == true)
        // Renamed: the old limit is dropped, the new one counts from zero.
        try await reload("hourly:", "other:", count: 2)
        #expect(await harness.call("fx_echo", id: 4)?.result?["isError"]?.bool != true)
        #expect(await harness.shutDown())
    }
}
