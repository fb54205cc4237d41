import AsyncHTTPClient
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
import NIOCore
import NIOHTTP1

/// Scenario 7: a remote child over Streamable HTTP, called directly by a lean HTTP client and
/// through muxgate, one call at a time and 16 in flight.
enum RemoteBench {
    /// A direct MCP session over HTTP: initialize, then `tools/call quick` as fast as it answers.
    final class DirectSession: Sendable {
        let client: HTTPClient
        let url: String
        let session: String?
        let token: String?

        /// - Parameter token: A bearer token (team mode).
        init(url: String, token: String? = nil) async throws {
            self.url = url
            self.token = token
            client = HTTPClient(
                eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                configuration: .init(
                    timeout: .init(connect: .seconds(5)),
                    connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
                )
            )
            let hello = try await Self.post(
                client,
                url,
                session: nil,
                token: token,
                #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#
            )
            session = hello.session
            _ = try await Self.post(
                client,
                url,
                session: session,
                token: token,
                #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#
            )
        }

        func call(_ id: Int, tool: String = "quick") async throws {
            let answer = try await Self.post(
                client,
                url,
                session: session,
                token: token,
                #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"\#(tool)","arguments":{"text":"hello"}}}"#
            )
            guard answer.body.contains(#""result""#) else {
                throw BenchError("direct call failed: \(answer.body.prefix(200))")
            }
        }

        func shutdown() async {
            try? await client.shutdown()
        }

        static func post(_ client: HTTPClient, _ url: String, session: String?, token: String?, _ body: String)
            async throws -> (
                session: String?, body: String
            )
        {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Accept", value: "application/json, text/event-stream")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "MCP-Protocol-Version", value: "2025-11-25")
            if let session { request.headers.add(name: "Mcp-Session-Id", value: session) }
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            request.body = .bytes(ByteBuffer(string: body))
            let response = try await client.execute(request, timeout: .seconds(30))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            return (response.headers["mcp-session-id"].first, text)
        }
    }

    static func run(calls: Int, work: String, muxgate: String) async throws {
        let server = try await TestServer(TestPaths.python, [TestPaths.root + "/Tests/e2e/http_server.py", "json"])
        defer { server.stop() }
        let url = server.url("/mcp")
        let total = max(calls * 2, 2000)
        // Direct: the lean HTTP client.
        let direct = try await DirectSession(url: url)
        for index in 0..<100 { try await direct.call(index) }
        var directLatency: [Double] = []
        for index in 0..<calls {
            let started = ContinuousClock.now
            try await direct.call(1000 + index)
            directLatency.append((ContinuousClock.now - started).seconds * 1e6)
        }
        directLatency.sort()
        let directRate = try await concurrent(total, window: 16) { try await direct.call(100_000 + $0) }
        await direct.shutdown()
        // Through muxgate.
        let config = work + "/remote.yaml"
        try "audit: { enabled: false }\nservers:\n  web:\n    url: \(url)\n".write(
            toFile: config,
            atomically: true,
            encoding: .utf8
        )
        let proxy = try RawPeer(muxgate, ["serve", "--config", config])
        try warmUp(proxy, tool: "web_quick", count: 100)
        let pid = proxy.process.processIdentifier
        let cpuBefore = cpuMicroseconds(pid)
        let latency = try sequential(proxy, tool: "web_quick", count: calls)
        let through = try pipelined(proxy, tool: "web_quick", count: total, window: 16)
        let cpu = (cpuMicroseconds(pid) - cpuBefore) / Double(calls + total)
        proxy.close()
        let spread = percentile(directLatency, 0.9) - percentile(directLatency, 0.1)
        let overhead = percentile(latency, 0.5) - percentile(directLatency, 0.5)
        printTable(
            "7. A remote child (the SDK's MCPServer, Streamable HTTP, JSON answers) — \(calls) sequential calls, then \(total) at 16 in flight (µs; calls/s):",
            "| path | sequential p50 | p99 | p50 overhead | direct p10–p90 spread | 16 in flight calls/s | / direct | muxgate CPU µs per call |",
            [
                String(
                    format: "| direct (a lean HTTP client) | %.0f | %.0f | — | %.0f | %.0f | — | — |",
                    percentile(directLatency, 0.5),
                    percentile(directLatency, 0.99),
                    spread,
                    directRate
                ),
                String(
                    format: "| through muxgate (stdio in, HTTP out) | %.0f | %.0f | %+.0f | — | %.0f | %.0f%% | %.0f |",
                    percentile(latency, 0.5),
                    percentile(latency, 0.99),
                    overhead,
                    through.rate,
                    through.rate / directRate * 100,
                    cpu
                ),
            ]
        )
    }

    /// Calls per second with `window` calls in flight.
    static func concurrent(_ count: Int, window: Int, _ call: @escaping @Sendable (Int) async throws -> Void)
        async throws
        -> Double
    {
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<window {
                group.addTask {
                    var index = worker
                    while index < count {
                        try await call(index)
                        index += window
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(count) / (ContinuousClock.now - started).seconds
    }
}
