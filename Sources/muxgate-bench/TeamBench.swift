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

/// Scenario 8: team mode. N IDEs (lean HTTP clients, each its own session) against one muxgate
/// over Streamable HTTP, against the same N clients each with its own stdio muxgate (and child):
/// what sharing one process costs or saves. The default configuration (audit on, no policy) with
/// the fixture's `echo`, which carries no annotations — the durable path most users are on.
enum TeamBench {
    static func run(calls: Int, work: String, muxgate: String, fixture: String) async throws {
        var rows: [String] = []
        for clients in [1, 8] {
            let team = try await teamMode(
                clients: clients,
                calls: calls,
                work: work,
                muxgate: muxgate,
                fixture: fixture
            )
            let stdio = try await perClient(
                clients: clients,
                calls: calls,
                work: work,
                muxgate: muxgate,
                fixture: fixture
            )
            rows.append(row("\(clients) × team mode (one muxgate, one child)", clients, team))
            rows.append(row("\(clients) × stdio (a muxgate and a child each)", clients, stdio))
        }
        printTable(
            "8. Team mode against a stdio muxgate per client — each client makes \(calls) sequential calls of `fx_echo` (no annotations: durable audit), all clients at once (µs; calls/s):",
            "| path | clients | p50 | p99 | calls/s (all clients) | muxgate CPU µs per call | muxgate RSS MiB (sum) |",
            rows
        )
    }

    struct Result {
        var latencies: [Double]
        var rate: Double
        var cpuPerCall: Double
        var rssMiB: Double
    }

    static func row(_ label: String, _ clients: Int, _ result: Result) -> String {
        String(
            format: "| %@ | %d | %.0f | %.0f | %.0f | %.0f | %.1f |",
            label,
            clients,
            percentile(result.latencies, 0.5),
            percentile(result.latencies, 0.99),
            result.rate,
            result.cpuPerCall,
            result.rssMiB
        )
    }

    static func configText(work: String, fixture: String, clients: String) -> String {
        """
        servers:
          fx:
            command: \(fixture)
            args: [--name, fx]
        audit: { path: \(work)/team-audit-\(UUID().uuidString.prefix(6)).jsonl }
        \(clients)
        """
    }

    static func teamMode(clients: Int, calls: Int, work: String, muxgate: String, fixture: String) async throws
        -> Result
    {
        let tokens = (0..<clients).map { "bench-token-\($0)" }
        let entries = tokens.enumerated().map {
            "  c\($0.offset): { token_sha256: \"\(TeamAuthenticator.hash($0.element))\" }"
        }
        let path = work + "/team-\(clients).yaml"
        try configText(work: work, fixture: fixture, clients: "clients:\n" + entries.joined(separator: "\n"))
            .write(toFile: path, atomically: true, encoding: .utf8)
        let server = try await TestServer(muxgate, ["serve", "--config", path, "--http", "127.0.0.1:0"])
        defer { server.stop() }
        var sessions: [RemoteBench.DirectSession] = []
        for token in tokens {
            let session = try await RemoteBench.DirectSession(url: server.url("/mcp"), token: token)
            for index in 0..<100 { try await session.call(index, tool: "fx_echo") }
            sessions.append(session)
        }
        let pid = server.process.process.processIdentifier
        let cpuBefore = cpuMicroseconds(pid)
        let started = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for session in sessions {
                group.addTask {
                    var samples: [Double] = []
                    for index in 0..<calls {
                        let began = ContinuousClock.now
                        try await session.call(1000 + index, tool: "fx_echo")
                        samples.append((ContinuousClock.now - began).seconds * 1e6)
                    }
                    return samples
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let elapsed = (ContinuousClock.now - started).seconds
        let cpu = (cpuMicroseconds(pid) - cpuBefore) / Double(clients * calls)
        let rss = Double(rssKiB(pid)) / 1024
        for session in sessions { await session.shutdown() }
        return Result(
            latencies: latencies.sorted(),
            rate: Double(clients * calls) / elapsed,
            cpuPerCall: cpu,
            rssMiB: rss
        )
    }

    static func perClient(clients: Int, calls: Int, work: String, muxgate: String, fixture: String) async throws
        -> Result
    {
        let path = work + "/stdio-team.yaml"
        try configText(work: work, fixture: fixture, clients: "").write(toFile: path, atomically: true, encoding: .utf8)
        var peers: [LineProcess] = []
        for _ in 0..<clients {
            let peer = try await connect(muxgate, ["serve", "--config", path])
            _ = try await measure(peer, tool: "fx_echo", count: 1, warmUp: 100)
            peers.append(peer)
        }
        let pids = peers.map(\.process.processIdentifier)
        let cpuBefore = pids.map(cpuMicroseconds).reduce(0, +)
        let started = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for peer in peers {
                group.addTask { try await measure(peer, tool: "fx_echo", count: calls, warmUp: 0) }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let elapsed = (ContinuousClock.now - started).seconds
        let cpu = (pids.map(cpuMicroseconds).reduce(0, +) - cpuBefore) / Double(clients * calls)
        let rss = Double(pids.map(rssKiB).reduce(0, +)) / 1024
        for peer in peers { peer.terminate() }
        return Result(
            latencies: latencies.sorted(),
            rate: Double(clients * calls) / elapsed,
            cpuPerCall: cpu,
            rssMiB: rss
        )
    }
}
