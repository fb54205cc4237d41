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

/// Hot reload (SIGHUP, `serve --watch`) and lazy servers.
@Suite("Reload and lazy start", .serialized)
struct ReloadTests {
    init() async throws {
        try await TestEnvironment.shared.prepare()
    }

    /// How many `initialize` requests a fixture child logged: one per process it ran as.
    static func starts(_ log: String) -> Int {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { $0.contains(#""method":"initialize""#) }.count
    }

    /// Sends `ping` and returns the notifications that arrived before its answer.
    static func notificationsBeforePing(_ harness: Harness, id: Int) async throws -> [String] {
        let (pong, before) = await harness.muxgate.request(id: id, method: "ping")
        try #require(pong?.result != nil, "no ping answer; stderr:\n\(harness.muxgate.stderr)")
        return before.compactMap(\.method)
    }

    @Test("SIGHUP: unchanged children keep running, changed ones restart, one list_changed, bad config rejected")
    func sighup() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let alphaLog = directory + "/alpha.log"
        let betaLog = directory + "/beta.log"
        let before =
            "servers:\n" + Harness.fixture("alpha", ["--log", alphaLog]) + Harness.fixture("beta", ["--log", betaLog])
            + Harness.fixture("gamma")
        let path = try TestPaths.write(before, to: directory, name: "muxgate.yaml")
        let harness = try Harness.start(configFile: path)
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let names = try await harness.toolNames()
        #expect(names.contains("alpha_tool_0") && names.contains("gamma_echo") && !names.contains("beta_tool_3"))
        #expect(await harness.muxgate.waitForStderr("SIGHUP reloads"))

        // alpha: same launch, new shaping; beta: new arguments; gamma: removed; delta: added.
        let after =
            "servers:\n" + Harness.fixture("alpha", ["--log", alphaLog], extra: ["tools:", "  deny: [tool_0]"])
            + Harness.fixture("beta", ["--log", betaLog, "--tools", "5"]) + Harness.fixture("delta")
        _ = try TestPaths.write(after, to: directory, name: "muxgate.yaml")
        kill(harness.muxgate.process.processIdentifier, SIGHUP)
        #expect(await harness.muxgate.waitForStderr("config reloaded: 1 added, 1 removed, 1 restarted, 1 kept"))
        let notifications = try await Self.notificationsBeforePing(harness, id: 2)
        #expect(
            notifications.filter { $0 == "notifications/tools/list_changed" }.count == 1,
            "one list_changed for the whole reload: \(notifications)"
        )
        let reloaded = try await harness.toolNames(id: 3)
        #expect(!reloaded.contains("alpha_tool_0"), "alpha's new shaping applies")
        #expect(reloaded.contains("alpha_echo") && reloaded.contains("beta_tool_4") && reloaded.contains("delta_echo"))
        #expect(!reloaded.contains { $0.hasPrefix("gamma_") })
        #expect(Self.starts(alphaLog) == 1, "alpha kept running")
        #expect(Self.starts(betaLog) == 2, "beta restarted with its new arguments")
        #expect(await harness.call("beta_echo", #"{"text":"b"}"#, id: 4)?.firstText == #"{"text":"b"}"#)

        // A configuration that fails to load is rejected; the running one stays.
        _ = try TestPaths.write(
            "servers:\n  alpha:\n    comand: nothing\n",
            to: directory,
            name: "muxgate.yaml"
        )
        kill(harness.muxgate.process.processIdentifier, SIGHUP)
        #expect(await harness.muxgate.waitForStderr("config reload rejected"))
        #expect(harness.muxgate.stderr.contains("comand"), "the error names the bad key")
        #expect(await harness.call("delta_echo", #"{"text":"d"}"#, id: 5)?.firstText == #"{"text":"d"}"#)
        #expect(try await harness.toolNames(id: 6) == reloaded)

        #expect(await harness.shutDown())
        #expect(harness.leftoverProcesses().isEmpty, "gamma and the first beta are gone too")
        let reloads = try harness.auditRecords().filter { $0["event"]?.string == "reload" }
        #expect(reloads.count == 2)
        #expect(reloads.first?["result"]?.string == "applied")
        #expect(reloads.first?["added"]?.elements.compactMap(\.string) == ["delta"])
        #expect(reloads.first?["removed"]?.elements.compactMap(\.string) == ["gamma"])
        #expect(reloads.first?["restarted"]?.elements.compactMap(\.string) == ["beta"])
        #expect(reloads.last?["result"]?.string == "rejected")
        let verified = try await Harness.run(["audit", "verify", "--config", path, harness.auditPath])
        #expect(verified.status == 0, "\(verified.output)\(verified.stderr)")
    }

    @Test("serve --watch applies a new policy on save, without restarting the child")
    func watch() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let log = directory + "/child.log"
        let path = try TestPaths.write(
            "servers:\n" + Harness.fixture("fx", ["--log", log]),
            to: directory,
            name: "muxgate.yaml"
        )
        let harness = try Harness.start(configFile: path, serve: ["--watch"])
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        _ = try await harness.toolNames()
        #expect(await harness.muxgate.waitForStderr("watching"))
        #expect(await harness.call("fx_tool_0", id: 2)?.result?["isError"]?.bool != true)
        _ = try TestPaths.write(
            "policy:\n  profile: readonly\nservers:\n" + Harness.fixture("fx", ["--log", log]),
            to: directory,
            name: "muxgate.yaml"
        )
        #expect(await harness.muxgate.waitForStderr("config reloaded: 0 added, 0 removed, 0 restarted, 1 kept"))
        let denied = try #require(await harness.call("fx_tool_0", id: 3))
        #expect(denied.result?["isError"]?.bool == true, "readonly denies the write tool now: \(denied.root.text)")
        #expect(denied.firstText?.contains("readonly") == true)
        #expect(Self.starts(log) == 1)
        #expect(await harness.shutDown())
    }

    @Test("lazy: first run learns the tools, the next run lists them without starting the server until a call")
    func lazy() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let state = try TestPaths.temporaryDirectory()
        let log = directory + "/lazy.log"
        let path = try TestPaths.write(
            "servers:\n" + Harness.fixture("eager") + Harness.fixture("idle", ["--log", log], extra: ["lazy: true"]),
            to: directory,
            name: "muxgate.yaml"
        )
        // First run: nothing known about the lazy server yet, so it runs once and its list is kept.
        let first = try Harness.start(configFile: path, environment: ["XDG_STATE_HOME": state])
        defer { first.muxgate.terminate() }
        try await first.initialize()
        #expect(try await first.toolNames().contains("idle_echo"))
        #expect(await first.shutDown())
        #expect(Self.starts(log) == 1)

        // Second run: listed from the kept list, started by the first call only.
        let second = try Harness.start(configFile: path, environment: ["XDG_STATE_HOME": state])
        defer { second.muxgate.terminate() }
        try await second.initialize()
        let names = try await second.toolNames()
        #expect(names.contains("idle_echo") && names.contains("eager_echo"))
        #expect(await second.call("eager_echo", #"{"text":"e"}"#, id: 2)?.firstText == #"{"text":"e"}"#)
        #expect(
            Self.starts(log) == 1,
            "not started by initialize, tools/list or another call; stderr:\n\(second.muxgate.stderr)"
        )
        #expect(await second.call("idle_echo", #"{"text":"i"}"#, id: 3)?.firstText == #"{"text":"i"}"#)
        #expect(Self.starts(log) == 2)
        #expect(await second.shutDown())
    }
}
