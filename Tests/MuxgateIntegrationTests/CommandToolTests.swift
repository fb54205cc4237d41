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

/// Command tools (`commands:`): real git and coreutils commands through muxgate, with the
/// official client as the IDE and raw JSON-RPC where the test needs the wire.
@Suite("Command tools: schemas, argument checks, no shell, bounds, timeouts, approval")
struct CommandToolTests {
    init() async throws {
        try await TestEnvironment.shared.preparePython()
    }

    /// A config with `commands` (YAML under `commands:`) and what else is given.
    static func config(_ commands: String, extra: String = "", directory: String) -> String {
        "audit: { path: \(directory)/audit.jsonl }\n\(extra)commands:\n" + commands
    }

    static func text(_ answer: JSONRPCMessage?) -> String {
        answer?.result?["content"]?.elements.compactMap { $0["text"]?.string }.joined() ?? ""
    }

    @Test("schemas from args; a valid call runs git; bad arguments, injection and options never run anything")
    func argumentsAndInjection() async throws {
        let repository = try TestEnvironment.shared.makeGitRepository()
        let directory = try TestPaths.temporaryDirectory()
        let marker = directory + "/marker"
        let commands = """
              log:
                description: Recent commits.
                run: [git, log, --oneline, "-n", "{count}"]
                args:
                  count: { type: integer, minimum: 1, maximum: 50, default: 5 }
                scope: read
                cwd: \(repository)
              mark:
                run: [touch, "\(marker)-{name}"]
                args:
                  name: { type: string, pattern: "^[a-z]{1,12}$" }
                scope: write
              say:
                run: [printf, "%s", "{text}"]
                args:
                  text: { type: string, description: anything at all }
                scope: read
                cwd: \(directory)
            """
        let harness = try Harness.start(Self.config(commands, directory: directory))
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let (list, _) = await harness.muxgate.request(id: 1, method: "tools/list")
        let tools = try #require(list?.result?["tools"]?.elements)
        #expect(tools.compactMap { $0["name"]?.string } == ["cmd_log", "cmd_mark", "cmd_say"])
        let log = try #require(tools.first { $0["name"]?.string == "cmd_log" })
        #expect(
            log["inputSchema"]?["properties"]?["count"]?.text
                == #"{"type":"integer","minimum":1,"maximum":50,"default":5}"#
        )
        #expect(log["inputSchema"]?["additionalProperties"]?.bool == false && log["inputSchema"]?["required"] == nil)
        #expect(log["annotations"]?["readOnlyHint"]?.bool == true)
        #expect(
            log["_meta"]?["muxgate/command"]?["run"]?.text.contains("git") == true,
            "the template is in the definition"
        )

        let commits = await harness.call("cmd_log", #"{"count":1}"#, id: 2)
        #expect(Self.text(commits).contains("initial commit"), "\(commits?.root.text ?? "")")
        #expect(commits?.result?["structuredContent"]?["exit_status"]?.int == 0)

        // Refused before anything runs: the marker never appears.
        for (index, bad) in [
            #"{"name":"UPPER"}"#, #"{"name":"a; touch x"}"#, #"{}"#, #"{"name":"ok","extra":1}"#, #"{"name":5}"#,
        ].enumerated() {
            let answer = await harness.call("cmd_mark", bad, id: 10 + index)
            #expect(answer?.result?["isError"]?.bool == true, "\(bad): \(answer?.root.text ?? "")")
            #expect(Self.text(answer).contains("argument '"), "names the argument: \(Self.text(answer))")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(!names.contains { $0.hasPrefix("marker") }, "nothing ran: \(names)")
        #expect(Self.text(await harness.call("cmd_mark", #"{"name":"good"}"#, id: 20)).isEmpty)
        #expect(FileManager.default.fileExists(atPath: marker + "-good"), "a valid call runs")

        // No shell: what would inject a command is passed literally.
        for (index, value) in ["; touch pwned", "$(touch pwned)", "`touch pwned`", "a\nb", "| cat /etc/passwd"]
            .enumerated()
        {
            let encoded = JSONValue.string(value).encodedString
            let answer = await harness.call("cmd_say", #"{"text":\#(encoded)}"#, id: 30 + index)
            #expect(Self.text(answer) == value, "literally: \(answer?.root.text ?? "")")
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/pwned"), "no command was injected")
        // An option, and a NUL, are refused.
        let option = await harness.call("cmd_say", #"{"text":"--version"}"#, id: 40)
        #expect(
            option?.result?["isError"]?.bool == true && Self.text(option).contains("puts '-' at the start"),
            "\(Self.text(option))"
        )
        let nul = await harness.call("cmd_say", #"{"text":"a\u0000b"}"#, id: 41)
        #expect(Self.text(nul).contains("NUL"), "\(Self.text(nul))")
        #expect(await harness.shutDown())

        // The audit trail has what ran: the argv, the status, the output's digest.
        let outcomes = try harness.auditRecords(at: directory + "/audit.jsonl").filter {
            $0["event"]?.string == "outcome" && $0["tool"]?.string == "cmd_log"
        }
        #expect(outcomes.first?["command"]?["argv"]?.text == #"["git","log","--oneline","-n","1"]"#)
        #expect(outcomes.first?["command"]?["exit_status"]?.int == 0)
        #expect(outcomes.first?["command"]?["stdout_sha256"]?.string?.count == 64)
    }

    @Test(
        "a hanging command is timed out with its whole process group; 54 MB of output is bounded; a failure is a tool error"
    )
    func bounds() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let tag = "\(Int.random(in: 900...999))"
        let commands = """
              hang:
                run: [sh, -c, "sleep 30\(tag) & sleep 30\(tag)"]
                timeout: 1s
                scope: read
              flood:
                run: [seq, "1", "7000000"]
                scope: read
              fail:
                run: [ls, /no/such/place]
                scope: read
            """
        let harness = try Harness.start(Self.config(commands, directory: directory))
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let hang = await harness.call("cmd_hang", id: 2)
        #expect(hang?.result?["structuredContent"]?["timed_out"]?.bool == true, "\(hang?.root.text ?? "")")
        #expect(Self.text(hang).contains("process group was killed"))
        // SIGKILL is sent before the answer; a loaded machine may take a moment to run it.
        var leftovers = Harness.processes(commandLineContaining: "sleep 30\(tag)")
        for _ in 0..<200 where !leftovers.isEmpty {
            try await Task.sleep(for: .milliseconds(25))  // until the kernel has ended it
            leftovers = Harness.processes(commandLineContaining: "sleep 30\(tag)")
        }
        #expect(leftovers.isEmpty, "the background sleep went with its group: \(leftovers)")
        let started = ContinuousClock.now
        let flood = await harness.call("cmd_flood", id: 3)
        let text = Self.text(flood)
        #expect(text.utf8.count < 110_000, "bounded: \(text.utf8.count) bytes")
        #expect(text.contains("more bytes of output were dropped"), "says so")
        #expect((flood?.result?["structuredContent"]?["stdout_dropped_bytes"]?.int ?? 0) > 50_000_000)
        #expect(ContinuousClock.now - started < .seconds(30))
        let fail = await harness.call("cmd_fail", id: 4)
        #expect(fail?.result?["isError"]?.bool == true)
        #expect(fail?.result?["structuredContent"]?["exit_status"]?.int == 2, "\(fail?.root.text ?? "")")
        #expect(Self.text(fail).contains("No such file"), "stderr shown to the model: \(Self.text(fail))")
        #expect(await harness.shutDown())
    }

    @Test("progress while it runs, a cancel kills it, and max_parallel 1 keeps two calls from overlapping")
    func progressCancelParallel() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let tag = "\(Int.random(in: 900...999))"
        let commands = """
              wait:
                run: [sleep, "2.5"]
                scope: read
              long:
                run: [sleep, "40\(tag)"]
                scope: read
              exclusive:
                run: [sh, -c, "mkdir \(directory)/lock && sleep 0.5 && rmdir \(directory)/lock"]
                scope: write
            """
        let harness = try Harness.start(Self.config(commands, directory: directory))
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let (answer, before) = await harness.muxgate.request(
            id: 2,
            method: "tools/call",
            params: #"{"name":"cmd_wait","arguments":{},"_meta":{"progressToken":"tick"}}"#
        )
        #expect(answer?.result?["isError"]?.bool == false)
        let ticks = before.filter { $0.method == "notifications/progress" }
        #expect(ticks.count >= 2, "a tick a second: \(before.map(\.root.text))")
        #expect(ticks.first?.params?["progressToken"]?.string == "tick")

        harness.muxgate.send(
            #"{"jsonrpc":"2.0","id":"gone","method":"tools/call","params":{"name":"cmd_long","arguments":{}}}"#
        )
        var running: [Int32] = []
        for _ in 0..<200 where running.isEmpty {
            running = Harness.processes(commandLineContaining: "sleep 40\(tag)")
            if running.isEmpty { try await Task.sleep(for: .milliseconds(25)) }  // until the process shows in /proc
        }
        #expect(!running.isEmpty)
        harness.muxgate.send(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"gone"}}"#)
        var gone = false
        for _ in 0..<200 where !gone {
            gone = Harness.processes(commandLineContaining: "sleep 40\(tag)").isEmpty
            if !gone { try await Task.sleep(for: .milliseconds(25)) }  // until the kernel reaped it
        }
        #expect(gone, "the cancel killed it")

        // Two at once: with max_parallel 1 (a write command's default) the second waits.
        harness.muxgate.send(
            #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"cmd_exclusive","arguments":{}}}"#
        )
        harness.muxgate.send(
            #"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"cmd_exclusive","arguments":{}}}"#
        )
        var answers: [JSONRPCMessage] = []
        while answers.count < 2, let message = await harness.muxgate.nextMessage(timeout: .seconds(20)) {
            if message.id?.int == 7 || message.id?.int == 8 { answers.append(message) }
        }
        // Overlapping runs would find the lock directory taken (mkdir fails, exit 1).
        #expect(
            answers.count == 2 && answers.allSatisfy { $0.result?["isError"]?.bool == false },
            "\(answers.map(\.root.text))"
        )
        #expect(await harness.shutDown())
    }

    @Test("a destructive command asks (the client's answer decides); readonly denies it before it runs")
    func approval() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let marker = directory + "/deployed"
        let commands = """
              deploy_preview:
                run: [touch, "\(marker)-{branch}"]
                args:
                  branch: { type: string, pattern: "^[a-z0-9][a-z0-9._/-]{0,62}$" }
                scope: destructive
            """
        let script = try TestPaths.write(
            #"{"calls": [{"tool": "cmd_deploy_preview", "arguments": {"branch": "feature"}}]}"#,
            to: directory,
            name: "script.json"
        )
        func run(profile: String, answer: String) async throws -> JSONSlice {
            let config = try TestPaths.write(
                Self.config(commands, extra: "policy: { profile: \(profile) }\n", directory: directory),
                to: directory,
                name: "\(profile)-\(answer).yaml"
            )
            let output = try await TestEnvironment.shared.run(
                TestPaths.python,
                [
                    TestPaths.clientScript, "--elicitation", answer, "--mode", "legacy", "script", script, "--",
                    TestPaths.muxgate, "serve", "--config", config,
                ]
            )
            return try #require(try JSONSlice.parse(output)["results"]?.elements.first)
        }
        let declined = try await run(profile: "developer", answer: "decline")
        #expect(declined["isError"]?.bool == true && !FileManager.default.fileExists(atPath: marker + "-feature"))
        let accepted = try await run(profile: "developer", answer: "accept")
        #expect(accepted["isError"]?.bool != true, "\(accepted.text)")
        #expect(FileManager.default.fileExists(atPath: marker + "-feature"), "approved: it ran")
        try FileManager.default.removeItem(atPath: marker + "-feature")
        let denied = try await run(profile: "readonly", answer: "accept")
        #expect(denied["isError"]?.bool == true && denied["content"]?.text.contains("denied") == true, "\(denied.text)")
        #expect(!FileManager.default.fileExists(atPath: marker + "-feature"), "readonly: it never ran")
    }

    @Test("a changed run template is a changed definition (diff shows it, the tool is quarantined); SIGHUP applies it")
    func pinningAndReload() async throws {
        let directory = try TestPaths.temporaryDirectory()
        func commands(_ word: String) -> String {
            Self.config(
                "  greet:\n    run: [printf, \"\(word) %s\", \"{name}\"]\n    args:\n      name: { type: string }\n"
                    + "    scope: read\n",
                directory: directory
            )
        }
        let path = try TestPaths.write(commands("hello"), to: directory, name: "muxgate.yaml")

        // Hot reload: the new template runs without restarting muxgate, with one list_changed.
        let harness = try Harness.start(configFile: path)
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let first = await harness.call("cmd_greet", #"{"name":"ada"}"#, id: 2)
        #expect(
            Self.text(first) == "hello ada",
            "\(first?.root.text ?? "no answer"); stderr:\n\(harness.muxgate.stderr)"
        )
        #expect(await harness.muxgate.waitForStderr("SIGHUP reloads"))
        _ = try TestPaths.write(commands("bye"), to: directory, name: "muxgate.yaml")
        kill(harness.muxgate.process.processIdentifier, SIGHUP)
        #expect(await harness.muxgate.waitForStderr("config reloaded: 0 added, 0 removed, 1 restarted, 0 kept"))
        #expect(Self.text(await harness.call("cmd_greet", #"{"name":"ada"}"#, id: 3)) == "bye ada")
        #expect(await harness.shutDown())

        // Pinning: the lockfile holds the template; a changed one is quarantined until approved.
        let locked = try await Harness.run(["lock", "--config", path])
        #expect(locked.status == 0, "\(locked.output)\(locked.stderr)")
        _ = try TestPaths.write(commands("pwned"), to: directory, name: "muxgate.yaml")
        let diff = try await Harness.run(["diff", "--config", path])
        #expect(diff.status == 1)
        #expect(diff.output.contains("~ cmd/greet: changed") && diff.output.contains("pwned"), "\(diff.output)")
        let pinned = try Harness.start(configFile: path)
        defer { pinned.muxgate.terminate() }
        try await pinned.initialize()
        #expect(try await pinned.toolNames().isEmpty)
        let refused = await pinned.call("cmd_greet", #"{"name":"ada"}"#, id: 2)
        #expect(refused?.result?["isError"]?.bool == true)
        #expect(refused?.firstText?.contains("muxgate lock --update") == true, "\(refused?.root.text ?? "")")
        #expect(await pinned.shutDown())
    }
}

extension Harness {
    /// The audit records of the log at `path`.
    func auditRecords(at path: String) throws -> [JSONSlice] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { try JSONSlice.parse(String($0)) }
    }

    /// Processes whose command line contains `text` (arguments joined with spaces).
    static func processes(commandLineContaining text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let line = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
            return line.contains(text) && !line.contains("sh -c")
        }
    }
}
