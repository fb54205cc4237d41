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

/// Starts `muxgate serve` on a config and speaks to it as an IDE would.
struct Harness {
    let directory: String
    let configPath: String
    let muxgate: LineProcess
    /// A token in every child's environment, to find leftover processes.
    let token: String

    /// Writes `config` (YAML) to a temporary directory and starts muxgate on it.
    static func start(_ config: String, environment: [String: String] = [:], serve: [String] = []) throws -> Harness {
        let directory = try TestPaths.temporaryDirectory()
        return try start(
            configFile: try TestPaths.write(config, to: directory, name: "muxgate.yaml"),
            environment: environment,
            serve: serve
        )
    }

    /// Starts muxgate on an existing config file (with whatever lies beside it, e.g. `muxgate.lock`).
    ///
    /// - Parameters:
    ///   - environment: Added to muxgate's; an `XDG_STATE_HOME` here replaces the fresh one.
    ///   - serve: More arguments for `muxgate serve` (e.g. `--watch`).
    static func start(configFile path: String, environment: [String: String] = [:], serve: [String] = []) throws
        -> Harness
    {
        let state = try environment["XDG_STATE_HOME"] ?? TestPaths.temporaryDirectory()
        let token = UUID().uuidString
        let process = try LineProcess(
            TestPaths.muxgate,
            ["serve", "--config", path] + serve,
            environment: ["MUXGATE_LOG_LEVEL": "debug", "XDG_STATE_HOME": state].merging(environment) { $1 }
                .merging(["MUXGATE_TEST_TOKEN": token]) { $1 }
        )
        return Harness(directory: state, configPath: path, muxgate: process, token: token)
    }

    /// The audit log this harness's muxgate writes by default.
    var auditPath: String { directory + "/muxgate/audit.jsonl" }

    /// The audit records written so far, parsed.
    func auditRecords() throws -> [JSONSlice] {
        try String(contentsOfFile: auditPath, encoding: .utf8).split(separator: "\n").map {
            try JSONSlice.parse(String($0))
        }
    }

    /// A YAML server entry (under `servers:`) running the fixture with `arguments`.
    static func fixture(_ name: String, _ arguments: [String] = [], extra: [String] = []) -> String {
        let args = (["--name", name] + arguments).map { JSONValue.string($0).encodedString }.joined(separator: ", ")
        let lines =
            ["  \(name):", "    command: \(TestPaths.fixture)", "    args: [\(args)]"] + extra.map { "    " + $0 }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Sends `initialize` and `notifications/initialized`; returns the initialize result.
    @discardableResult
    func initialize(version: String = "2025-06-18", capabilities: String = "{}") async throws -> JSONRPCMessage {
        let (response, _) = await muxgate.request(
            id: 0,
            method: "initialize",
            params:
                #"{"protocolVersion":"\#(version)","capabilities":\#(capabilities),"clientInfo":{"name":"test","version":"1"}}"#
        )
        let message = try #require(response, "no initialize answer; stderr:\n\(muxgate.stderr)")
        muxgate.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        return message
    }

    /// `tools/list` → exposed names in order.
    func toolNames(id: Int = 1) async throws -> [String] {
        let (response, _) = await muxgate.request(id: id, method: "tools/list")
        let result = try #require(
            response?.result,
            "tools/list failed: \(response?.root.text ?? "no answer"); stderr:\n\(muxgate.stderr)"
        )
        return result["tools"]?.elements.compactMap { $0["name"]?.string } ?? []
    }

    /// `tools/call` → the response.
    func call(_ tool: String, _ arguments: String = "{}", id: Int, timeout: Duration = .seconds(150)) async
        -> JSONRPCMessage?
    {
        await muxgate.request(
            id: id,
            method: "tools/call",
            params: #"{"name":"\#(tool)","arguments":\#(arguments)}"#,
            timeout: timeout
        ).response
    }

    /// Runs a muxgate command (not `serve`) to completion: its exit status, stdout and stderr.
    static func run(_ arguments: [String], environment: [String: String]? = nil, timeout: Duration = .seconds(60))
        async throws -> (status: Int32, output: String, stderr: String)
    {
        let process = try LineProcess(TestPaths.muxgate, arguments, environment: environment)
        var output = ""
        while let line = await process.next(timeout: timeout) { output += String(decoding: line, as: UTF8.self) + "\n" }
        #expect(await process.waitForExit())
        return (process.process.terminationStatus, output, process.stderr)
    }

    /// Calls `tool`, then counts the `tools/list_changed` notifications that arrive around the call
    /// (before its answer too: they race) until the line is quiet for `quiet`.
    func listChangesAround(call tool: String, id: Int, quiet: Duration = .seconds(3)) async -> Int {
        let (_, before) = await muxgate.request(
            id: id,
            method: "tools/call",
            params: #"{"name":"\#(tool)","arguments":{}}"#
        )
        var methods = before.compactMap(\.method)
        while let message = await muxgate.nextMessage(timeout: quiet) {
            if let method = message.method { methods.append(method) }
        }
        return methods.filter { $0 == "notifications/tools/list_changed" }.count
    }

    /// Processes whose environment carries this harness's token (the children and their descendants).
    func leftoverProcesses() -> [Int32] {
        Self.processes(withEnvironment: "MUXGATE_TEST_TOKEN=\(token)").filter {
            $0 != muxgate.process.processIdentifier
        }
    }

    static func processes(withEnvironment entry: String) -> [Int32] {
        let needle = Array(entry.utf8)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return data.split(separator: 0).contains { Array($0) == needle }
        }
    }

    /// Closes stdin and waits for muxgate to exit; returns true if it exited in time.
    func shutDown(timeout: Duration = .seconds(60)) async -> Bool {
        muxgate.closeInput()
        return await muxgate.waitForExit(timeout: timeout)
    }
}

extension JSONRPCMessage {
    /// The text of the first content item of a tool result.
    var firstText: String? { result?["content"]?.elements.first?["text"]?.string }
    var errorCode: Int? { error?["code"]?.int }
    var errorMessage: String { error?["message"]?.string ?? "" }
}
