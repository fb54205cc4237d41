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

// muxgate-bench: muxgate against a direct connection to the same child (the baseline).
//
//   swift run -c release muxgate-bench [--calls N] [--only latency|throughput|children|large|audit|durable|http|team] [--window N]
//
// 1. latency: sequential calls, p50/p99, audit off and on, read (group-committed) and write (fsync'd)
// 2. throughput: pipelined calls at 1 and 16 in flight, audit off, from a lean load generator,
//    direct, through a byte relay (the floor for any extra process) and through muxgate
//    (Pipelined.swift), with the CPU each process spends per call
// 3. children: 10 x 50 and 100 x 100 tools: initialize answer, first complete tools/list, list
//    latency, RSS
// 4. large: 64 KiB and 4 MiB results
// 5b. audit: the audit trail's own cost per call, in process
// 7. http: a remote child over Streamable HTTP, direct and through muxgate
// 8. team: N HTTP clients against one team-mode muxgate vs the same clients with a stdio muxgate each
// discovery: the tool-discovery engine's quality and speed (`muxgate-bench discovery`, DiscoveryBench.swift)
// guards: the result guard's cost per call and false positives (`muxgate-bench guards`, GuardBench.swift)
// limits: one limit check in process (`muxgate-bench limits`, LimitBench.swift)
// 6. durable: the default configuration (audit on, no policy) with a child whose tools carry no
//    annotations — destructive, so each decision is fsynced before the call is forwarded —
//    against the read path and direct, with this disk's own fsync latency and fsyncs per call
// Results go to stdout as Markdown tables for docs/performance.md.

let arguments = CommandLine.arguments
if arguments.count > 2, arguments[1] == "relay" { try relay(Array(arguments.dropFirst(2))) }
if arguments.count > 1, arguments[1] == "guards" {
    try guardsBench(Array(arguments.dropFirst(2)), root: TestPaths.root)
    exit(0)
}
if arguments.count > 1, arguments[1] == "limits" {
    try LimitBench.run(Array(arguments.dropFirst(2)))
    exit(0)
}
if arguments.count > 1, arguments[1] == "discovery" {
    try discoveryBench(Array(arguments.dropFirst(2)), root: TestPaths.root)
    exit(0)
}
let calls = arguments.firstIndex(of: "--calls").flatMap { Int(arguments[$0 + 1]) } ?? 2000
let only = arguments.firstIndex(of: "--only").map { arguments[$0 + 1] }
func runs(_ scenario: String) -> Bool { only == nil || only == scenario }
let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
let fixture = binaries + "/muxgate-fixture"
let muxgate = binaries + "/muxgate"

/// A connection to an MCP server over stdio, initialized.
func connect(_ executable: String, _ arguments: [String]) async throws -> LineProcess {
    let process = try LineProcess(executable, arguments, environment: ["MUXGATE_LOG_LEVEL": "error"])
    let (response, _) = await process.request(
        id: 0,
        method: "initialize",
        params: #"{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}"#
    )
    guard response?.result != nil else { throw BenchError("\(executable) did not initialize: \(process.stderr)") }
    process.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
    _ = await process.request(id: 1, method: "tools/list")
    return process
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Sequential call latencies in microseconds, after a warm-up.
func measure(
    _ process: LineProcess,
    tool: String,
    count: Int,
    warmUp: Int = 200,
    arguments: String = #"{"text":"hello"}"#
) async throws -> [Double] {
    var samples: [Double] = []
    samples.reserveCapacity(count)
    for index in 0..<(count + warmUp) {
        let line =
            #"{"jsonrpc":"2.0","id":\#(index + 10),"method":"tools/call","params":{"name":"\#(tool)","arguments":\#(arguments)}}"#
        let started = ContinuousClock.now
        process.send(line)
        guard let answer = await process.next(timeout: .seconds(10)) else { throw BenchError("no answer for \(tool)") }
        let elapsed = ContinuousClock.now - started
        guard !String(decoding: answer.prefix(200), as: UTF8.self).contains("\"error\"") else {
            throw BenchError("\(tool) failed: \(String(decoding: answer.prefix(300), as: UTF8.self))")
        }
        if index >= warmUp { samples.append(elapsed.seconds * 1e6) }
    }
    return samples.sorted()
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

/// Total CPU time (user + system) a process has used, in microseconds.
func cpuMicroseconds(_ pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
    return ticks / Double(sysconf(Int32(_SC_CLK_TCK))) * 1e6
}

func rssKiB(_ pid: Int32) -> Int {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
}

/// A total from `/proc/PID/smaps_rollup` (`Pss`: shared pages divided among the processes
/// mapping them; `Anonymous`: the process's own heap and stacks), in KiB.
func memoryKiB(_ pid: Int32, _ field: String) -> Int {
    let rollup = (try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8)) ?? ""
    let line = rollup.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
}

let work = NSTemporaryDirectory() + "muxgate-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
func config(audit: Bool) throws -> String {
    let text = """
        servers:
          fx:
            command: \(fixture)
            args: [--name, fx]
            scopes: { read: [echo], write: [tool_0] }
        audit: { enabled: \(audit), path: \(work)/audit-\(UUID().uuidString.prefix(6)).jsonl }
        """
    let path = work + "/muxgate-\(audit).yaml"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

func printTable(_ title: String, _ header: String, _ rows: [String]) {
    print("\n\(title)\n")
    print(header)
    print("|" + String(repeating: "---|", count: header.filter { $0 == "|" }.count - 1))
    for row in rows { print(row) }
}

if runs("latency") {
    var rows: [String] = []
    let direct = try await connect(fixture, ["--name", "fx"])
    let baseline = try await measure(direct, tool: "echo", count: calls)
    direct.terminate()
    rows.append(
        String(
            format: "| direct to the child | read | %.0f | %.0f | — | — |",
            percentile(baseline, 0.5),
            percentile(baseline, 0.99)
        )
    )
    for audit in [false, true] {
        let proxy = try await connect(muxgate, ["serve", "--config", try config(audit: audit)])
        for (tool, scope) in [("fx_echo", "read"), ("fx_tool_0", "write")] {
            let cpuBefore = cpuMicroseconds(proxy.process.processIdentifier)
            let samples = try await measure(proxy, tool: tool, count: calls)
            let cpu = (cpuMicroseconds(proxy.process.processIdentifier) - cpuBefore) / Double(calls + 200)
            let overhead = percentile(samples, 0.5) - percentile(baseline, 0.5)
            rows.append(
                String(
                    format: "| muxgate, audit %@ | %@ | %.0f | %.0f | %+.0f (%+.0f%%) | %.0f |",
                    audit ? "on" : "off",
                    scope,
                    percentile(samples, 0.5),
                    percentile(samples, 0.99),
                    overhead,
                    overhead / percentile(baseline, 0.5) * 100,
                    cpu
                )
            )
        }
        rows.append(
            "<!-- RSS of muxgate with one child, audit \(audit ? "on" : "off"): \(rssKiB(proxy.process.processIdentifier)) KiB -->"
        )
        proxy.closeInput()
        _ = await proxy.waitForExit()
    }
    printTable(
        "1, 5. Sequential `tools/call` latency, \(calls) calls after 200 warm-up calls (µs):",
        "| path | scope | p50 | p99 | p50 overhead vs direct | muxgate CPU per call |",
        rows
    )
}

if runs("throughput") {
    // Pipelined runs need many more calls than latency samples to be steady: at ~40,000 calls/s
    // the default 3,000 last 75 ms.
    let total = max(calls * 10, 30_000)
    var rows: [String] = []
    let windows = arguments.firstIndex(of: "--window").flatMap { Int(arguments[$0 + 1]) }.map { [$0] } ?? [1, 16]
    for window in windows {
        let direct = try RawPeer(fixture, ["--name", "fx"])
        try warmUp(direct, tool: "echo")
        let directChild = direct.process.processIdentifier
        let directChildBefore = cpuMicroseconds(directChild)
        let baseline = try pipelined(direct, tool: "echo", count: total, window: window)
        let directChildCPU = (cpuMicroseconds(directChild) - directChildBefore) / Double(total)
        direct.close()
        let floor = try RawPeer(CommandLine.arguments[0], ["relay", fixture, "--name", "fx"])
        try warmUp(floor, tool: "echo")
        let relayed = try pipelined(floor, tool: "echo", count: total, window: window)
        floor.close()
        let proxy = try RawPeer(muxgate, ["serve", "--config", try config(audit: false)])
        try warmUp(proxy, tool: "fx_echo")
        let muxgatePID = proxy.process.processIdentifier
        let child = proxy.childPIDs.first ?? 0
        let (muxgateBefore, childBefore) = (cpuMicroseconds(muxgatePID), cpuMicroseconds(child))
        let threadsBefore = threadCPUMicroseconds(muxgatePID)
        let through = try pipelined(proxy, tool: "fx_echo", count: total, window: window)
        let muxgateCPU = (cpuMicroseconds(muxgatePID) - muxgateBefore) / Double(total)
        let childCPU = (cpuMicroseconds(child) - childBefore) / Double(total)
        let threads = threadCPUMicroseconds(muxgatePID)
        func perCall(_ thread: String) -> Double {
            ((threads[thread] ?? 0) - (threadsBefore[thread] ?? 0)) / Double(total)
        }
        proxy.close()
        rows.append(
            String(
                format:
                    "| %d | %.0f | %.0f (%.0f%%) | %.0f | %.0f%% | %.1f (%.1f + %.1f) | %.1f / %.1f | %.1f / %.1f |",
                window,
                baseline.rate,
                relayed.rate,
                relayed.rate / baseline.rate * 100,
                through.rate,
                through.rate / baseline.rate * 100,
                muxgateCPU,
                perCall("muxgate.stdin"),
                perCall("muxgate.child"),
                directChildCPU,
                childCPU,
                baseline.clientCPU,
                through.clientCPU
            )
        )
    }
    printTable(
        "2. Pipelined throughput, \(total) calls, audit off (calls/s; CPU µs per call, direct / through muxgate):",
        "| in flight | direct | through a byte relay (/ direct) | through muxgate | muxgate / direct | muxgate CPU (stdin thread + child reader thread) | child CPU | load generator CPU |",
        rows
    )
}

if runs("children") {
    // One start is one sample of a noisy quantity: the median of 15 starts (one child).
    var starts: [Double] = []
    let oneChild = try config(audit: false)
    for _ in 0..<15 {
        let started = ContinuousClock.now
        let proxy = try LineProcess(
            muxgate,
            ["serve", "--config", oneChild],
            environment: ["MUXGATE_LOG_LEVEL": "error"]
        )
        let (hello, _) = await proxy.request(
            id: 0,
            method: "initialize",
            params: #"{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}"#
        )
        guard hello?.result != nil else { throw BenchError("no initialize answer: \(proxy.stderr)") }
        starts.append((ContinuousClock.now - started).seconds * 1e3)
        proxy.closeInput()
        _ = await proxy.waitForExit()
    }
    starts.sort()
    print(
        String(
            format:
                "\n3a. `initialize` answered after the process was started, one child, 15 starts: median %.1f ms, min %.1f, max %.1f",
            percentile(starts, 0.5),
            starts[0],
            starts[starts.count - 1]
        )
    )
    var rows: [String] = []
    for (count, tools) in [(10, 50), (100, 100)] {
        let servers = (0..<count).map { index in
            "  s\(index):\n    command: \(fixture)\n    args: [--name, s\(index), --tools, \"\(tools)\"]\n"
        }.joined()
        let path = work + "/children-\(count).yaml"
        try ("audit: { enabled: false }\nservers:\n" + servers).write(toFile: path, atomically: true, encoding: .utf8)
        let spawned = ContinuousClock.now
        let proxy = try LineProcess(muxgate, ["serve", "--config", path], environment: ["MUXGATE_LOG_LEVEL": "error"])
        let sent = ContinuousClock.now
        let (hello, _) = await proxy.request(
            id: 0,
            method: "initialize",
            params: #"{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}"#
        )
        let answered = ContinuousClock.now
        guard hello?.result != nil else { throw BenchError("no initialize answer: \(proxy.stderr)") }
        proxy.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        let (first, _) = await proxy.request(id: 1, method: "tools/list", timeout: .seconds(120))
        let listed = ContinuousClock.now
        let listedCount = first?.result?["tools"]?.elements.count ?? 0
        var latencies: [Double] = []
        var cursorless = 0
        for index in 0..<20 {
            let started = ContinuousClock.now
            let (page, _) = await proxy.request(id: 10 + index, method: "tools/list")
            latencies.append((ContinuousClock.now - started).seconds * 1e6)
            if page?.result?["nextCursor"] == nil { cursorless += 1 }
        }
        latencies.sort()
        rows.append(
            String(
                format: "| %d × %d | %.1f | %.1f | %.0f | %d | %.0f | %.1f | %.1f | %.1f |",
                count,
                tools,
                (answered - sent).seconds * 1e3,
                (answered - spawned).seconds * 1e3,
                (listed - sent).seconds * 1e3,
                listedCount,
                percentile(latencies, 0.5) / 1e3,
                Double(rssKiB(proxy.process.processIdentifier)) / 1024,
                Double(memoryKiB(proxy.process.processIdentifier, "Pss")) / 1024,
                Double(memoryKiB(proxy.process.processIdentifier, "Anonymous")) / 1024
            )
        )
        proxy.closeInput()
        _ = await proxy.waitForExit(timeout: .seconds(60))
    }
    printTable(
        "3. Many children (fixture children, audit off; lists are muxgate's first page of 500):",
        "| children × tools | initialize answered ms (from request) | ms (from spawn) | first complete tools/list ms | tools in first page | tools/list p50 ms | RSS MB | PSS MB | anonymous MB |",
        rows
    )
}

if runs("large") { try await largeBench() }
if runs("audit") { try AuditBench.inProcess() }

if runs("durable") { try AuditBench.durable() }

if runs("http") {
    try await RemoteBench.run(calls: min(calls, 2000), work: work, muxgate: muxgate)
}

if runs("team") {
    try await TeamBench.run(calls: min(calls, 1000), work: work, muxgate: muxgate, fixture: fixture)
}

try? FileManager.default.removeItem(atPath: work)
