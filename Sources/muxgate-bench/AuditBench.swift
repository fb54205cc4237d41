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

/// Scenarios 5b and 6: what the audit trail costs in process, and the path users are on (an
/// unannotated tool under the default configuration: a durable decision per call) next to the
/// read path and the disk's own fsync.
@MainActor
enum AuditBench {
    /// 5b: redaction and the decision and outcome records of one call, in process (no pipes, no child).
    static func inProcess() throws {
        // The audit trail's own cost per call, in process (no pipes, no child): redacting the
        // arguments and appending the decision and outcome records of one call, fsyncs left to the
        // group commit as in `serve`.
        let log = try AuditLog(path: work + "/micro.jsonl", key: nil)
        log.startGroupCommit()
        let redactor = Redactor(patterns: AuditConfig.defaultRedact)
        let arguments = try JSONSlice.parse(Array(#"{"path":"/tmp/x","text":"hello","options":{"depth":2}}"#.utf8))
        let requestID = try JSONSlice.parse(Array("42".utf8))
        let count = calls * 10
        let (toolDigest, resultDigest) = (String(repeating: "a", count: 64), String(repeating: "b", count: 64))
        let cpuBefore = ownCPUMicroseconds()
        let started = ContinuousClock.now
        for _ in 0..<count {
            let (redacted, digest) = redactor.redact(tool: "fx_echo", arguments: arguments)
            try log.append(
                .decision(
                    requestID: requestID,
                    server: "fx",
                    tool: "fx_echo",
                    upstreamTool: "echo",
                    toolSHA256: toolDigest,
                    scope: "read",
                    scopeSource: "operator",
                    decision: .allow,
                    rule: "profile full: allow read",
                    reason: "tool 'fx_echo' (scope read) is allowed by profile 'full': its entry 'allow: read' matches",
                    args: redacted,
                    argsSHA256: digest
                ),
                durable: false
            )
            try log.append(
                .outcome(
                    requestID: requestID,
                    server: "fx",
                    tool: "fx_echo",
                    outcome: .ok,
                    duration: .microseconds(45),
                    resultBytes: 120,
                    resultSHA256: resultDigest,
                    error: nil
                ),
                durable: false
            )
        }
        let wall = (ContinuousClock.now - started).seconds * 1e6 / Double(count)
        let cpu = (ownCPUMicroseconds() - cpuBefore) / Double(count)
        printTable(
            "5b. The audit trail's cost per call in process, \(count) calls (decision + outcome records, redaction):",
            "| wall µs per call | CPU µs per call | bytes per call |",
            [String(format: "| %.1f | %.1f | %.0f |", wall, cpu, Double(log.statistics.bytes) / Double(count))]
        )
        try log.close(reason: "bench")
    }

    /// 6: sequential and 16 in flight, direct, audit off, the read path and the default config.
    static func durable() throws {
        // This disk's own fsync: what one durable decision must wait for, at best.
        let probe = open(work + "/fsync-probe", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        var fsyncs: [Double] = []
        let record = [UInt8](repeating: 0x78, count: 299) + [0x0A]
        for _ in 0..<2000 {
            let started = ContinuousClock.now
            _ = writeAll(record, to: probe)
            fsync(probe)
            fsyncs.append((ContinuousClock.now - started).seconds * 1e6)
        }
        close(probe)
        fsyncs.sort()
        let fsyncP50 = percentile(fsyncs, 0.5)
        print(
            String(
                format: "\n6. This disk: write + fsync of a 300-byte record, 2,000 times: p50 %.0f µs, p99 %.0f µs",
                fsyncP50,
                percentile(fsyncs, 0.99)
            )
        )
        let total = max(calls * 5, 20_000)
        let direct = try RawPeer(fixture, ["--name", "fx"])
        try warmUp(direct, tool: "echo")
        let directLatency = try sequential(direct, tool: "echo", count: calls)
        let directRate = try pipelined(direct, tool: "echo", count: total, window: 16).rate
        direct.close()
        // The floor: a C process that only copies bytes between the pipes (muxgate-relay).
        let floor = try RawPeer(binaries + "/muxgate-relay", [fixture, "--name", "fx"])
        try warmUp(floor, tool: "echo")
        let floorLatency = try sequential(floor, tool: "echo", count: calls)
        let floorCPUBefore = cpuMicroseconds(floor.process.processIdentifier)
        let floorRate = try pipelined(floor, tool: "echo", count: total, window: 16).rate
        let floorCPU = (cpuMicroseconds(floor.process.processIdentifier) - floorCPUBefore) / Double(total)
        floor.close()
        let floorOverhead = percentile(floorLatency, 0.5) - percentile(directLatency, 0.5)
        var rows = [
            String(
                format: "| direct to the child | %.0f | %.0f | — | — | — | %.0f | — | — | — | — |",
                percentile(directLatency, 0.5),
                percentile(directLatency, 0.99),
                directRate
            ),
            String(
                format:
                    "| **the floor**: a C byte relay (muxgate-relay) | %.0f | %.0f | %+.0f | — | — | %.0f | %.0f%% | — | — | %.1f |",
                percentile(floorLatency, 0.5),
                percentile(floorLatency, 0.99),
                floorOverhead,
                floorRate,
                floorRate / directRate * 100,
                floorCPU
            ),
        ]
        var readRate = 0.0
        for (label, scopes) in [
            (
                "muxgate, audit off (the floor of the two below)",
                "\n    scopes: { read: [echo] }\naudit: { enabled: false }"
            ),
            ("muxgate, audit on, read path (`scopes: { read: [echo] }`)", "\n    scopes: { read: [echo] }"),
            ("muxgate, **default config** (echo unannotated → destructive: durable)", ""),
            (
                "muxgate, default config with `audit.durable_before: forward` (the default until 2026-12-07)",
                "\naudit: { durable_before: forward }"
            ),
        ] {
            let path = work + "/durable-\(UUID().uuidString.prefix(6)).yaml"
            try "servers:\n  fx:\n    command: \(fixture)\n    args: [--name, fx]\(scopes)\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
            /// One session: what `measure` did, the muxgate CPU it took per call, and its fsyncs per call.
            func session<T>(calls: Int, _ measure: (RawPeer) throws -> T) throws -> (T, cpu: Double, fsyncs: Double?) {
                let log = work + "/stderr-\(UUID().uuidString.prefix(6)).txt"
                let proxy = try RawPeer(
                    muxgate,
                    ["serve", "--config", path],
                    environment: [
                        "XDG_STATE_HOME": work + "/state-\(UUID().uuidString.prefix(6))", "MUXGATE_LOG_LEVEL": "info",
                    ],
                    stderr: log
                )
                try warmUp(proxy, tool: "fx_echo")
                let pid = proxy.process.processIdentifier
                let cpuBefore = cpuMicroseconds(pid)
                let result = try measure(proxy)
                let cpu = (cpuMicroseconds(pid) - cpuBefore) / Double(calls)
                proxy.close()
                // "closed after N records and M fsyncs": the whole session, its 500 warm-up calls included.
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                let counts =
                    text.split(separator: "\n").last { $0.contains("closed after") }?
                    .split(separator: " ").compactMap { Int($0) } ?? []
                return (result, cpu, counts.count >= 2 ? Double(counts[1]) / Double(calls + 500) : nil)
            }
            let (latency, sequentialCPU, sequentialFsyncs) = try session(calls: calls) {
                try sequential($0, tool: "fx_echo", count: calls)
            }
            let (run, pipelinedCPU, pipelinedFsyncs) = try session(calls: total) {
                try pipelined($0, tool: "fx_echo", count: total, window: 16)
            }
            if label.contains("read path") { readRate = run.rate }
            let overhead = percentile(latency, 0.5) - percentile(directLatency, 0.5)
            func fsyncs(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "—" }
            rows.append(
                String(
                    format:
                        "| %@ | %.0f | %.0f | %+.0f (relay %+.0f; %.2f × fsync p50) | %@ | %.0f | %.0f | %.0f%% (relay's: %.0f%%) | %@ | %@ | %.0f |",
                    label,
                    percentile(latency, 0.5),
                    percentile(latency, 0.99),
                    overhead,
                    overhead - floorOverhead,
                    overhead / fsyncP50,
                    fsyncs(sequentialFsyncs),
                    sequentialCPU,
                    run.rate,
                    run.rate / directRate * 100,
                    run.rate / floorRate * 100,
                    label.contains("default config") ? String(format: "%.0f%%", run.rate / readRate * 100) : "—",
                    fsyncs(pipelinedFsyncs),
                    pipelinedCPU
                )
            )
        }
        printTable(
            "6. The path users are on: \(calls) sequential calls, then \(total) at 16 in flight (µs; calls/s):",
            "| path | sequential p50 | p99 | p50 overhead vs direct | fsyncs per call | muxgate CPU µs per call | 16 in flight: calls/s | / direct | / read path | fsyncs per call | muxgate CPU µs per call |",
            rows
        )
    }
}
