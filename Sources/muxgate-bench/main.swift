import Foundation
import MuxgateCore
import MuxgateTesting

// muxgate-bench: call latency through muxgate against a direct connection to the same child,
// with the audit trail off and on, for read calls (group-committed) and write calls (fsync'd).
//
//   swift run -c release muxgate-bench [--calls N]
//
// Results go to stdout as a Markdown table for docs/performance.md.

let arguments = CommandLine.arguments
let calls = arguments.firstIndex(of: "--calls").flatMap { Int(arguments[$0 + 1]) } ?? 2000
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
func measure(_ process: LineProcess, tool: String, count: Int) async throws -> [Double] {
    var samples: [Double] = []
    samples.reserveCapacity(count)
    for index in 0..<(count + 200) {
        let line =
            #"{"jsonrpc":"2.0","id":\#(index + 10),"method":"tools/call","params":{"name":"\#(tool)","arguments":{"text":"hello"}}}"#
        let started = ContinuousClock.now
        process.send(line)
        guard let answer = await process.next(timeout: .seconds(10)) else { throw BenchError("no answer for \(tool)") }
        let elapsed = ContinuousClock.now - started
        guard !String(decoding: answer.prefix(200), as: UTF8.self).contains("\"error\"") else {
            throw BenchError("\(tool) failed: \(String(decoding: answer.prefix(300), as: UTF8.self))")
        }
        if index >= 200 { samples.append(elapsed.seconds * 1e6) }
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
                format: "| muxgate, audit %@ | %@ | %.0f | %.0f | %+.0f | %.0f |",
                audit ? "on" : "off",
                scope,
                percentile(samples, 0.5),
                percentile(samples, 0.99),
                overhead,
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

print("Sequential `tools/call` latency, \(calls) calls after 200 warm-up calls (µs):\n")
print("| path | scope | p50 | p99 | p50 overhead vs direct | muxgate CPU per call |")
print("|---|---|---|---|---|---|")
for row in rows { print(row) }
try? FileManager.default.removeItem(atPath: work)
