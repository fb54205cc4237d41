import AsyncHTTPClient
import Foundation
import MuxgateTeam
import MuxgateTesting
import MuxgateWire
import NIOCore
import NIOHTTP1
import Testing

/// Team mode: a replica leaves rotation and stops within its bound, whatever its clients do.
extension TeamModeTests {
    @Test(
        "SIGTERM: a call in flight finishes, streams whose clients stay, vanished or never read all end; exit within grace"
    )
    func boundedShutdown() async throws {
        let received = try TestPaths.temporaryDirectory("muxgate-drain") + "/fixture.log"
        let team = try await Self.start(fixtureArguments: ["--log", received], http: ["shutdown_grace: 2s"])
        defer { team.stop() }
        let http = HTTPClient.shared
        let alice = Self.tokens["alice"]!
        #expect(try await Self.request(http, team.muxgate.url("/healthz"), method: .GET, token: nil).status == .ok)
        // Ready once every child has finished starting: polled, as a load balancer does.
        var ready = try await Self.request(http, team.muxgate.url("/readyz"), method: .GET, token: nil)
        for _ in 0..<200 where ready.status != .ok {
            try await Task.sleep(for: .milliseconds(50))
            ready = try await Self.request(http, team.muxgate.url("/readyz"), method: .GET, token: nil)
        }
        #expect(ready.status == .ok && ready.body.contains(#""fx":"ready""#), "\(ready.body)")

        func open() async throws -> String {
            let opened = try await Self.post(http, team.url, Self.initialize, token: alice)
            return try #require(opened.headers.first(name: "Mcp-Session-Id"), "\(opened.status) \(opened.body)")
        }
        // One client reads its stream; one opened its stream and vanished (no DELETE); one keeps
        // its connection open and never reads.
        let reading = try await open()
        let stream = try await Self.openStream(http, team.url, token: alice, session: reading, lastEventID: nil)
        let vanished = try await open()
        let vanishedSocket = try Self.rawGet(port: team.muxgate.port, token: alice, session: vanished)
        close(vanishedSocket)
        let silent = try await open()
        let silentSocket = try Self.rawGet(port: team.muxgate.port, token: alice, session: silent)
        defer { close(silentSocket) }
        // A call that needs most of the grace.
        let headers = [("Mcp-Session-Id", reading)]
        _ = try await Self.post(http, team.url, Self.list(2), token: alice, headers: headers)
        let slow = Task {
            try await Self.post(
                http,
                team.url,
                #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"fx_slow","arguments":{"ms":1200}}}"#,
                token: alice,
                headers: headers
            )
        }
        // SIGTERM once the child has the call (the fixture logs every line it reads).
        for _ in 0..<400 {
            if let log = try? String(contentsOfFile: received, encoding: .utf8), log.contains(#""name":"slow""#) {
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }

        let signalled = ContinuousClock.now
        kill(team.muxgate.process.process.processIdentifier, SIGTERM)
        #expect(await team.muxgate.process.waitForStderr("draining", timeout: .seconds(10)))
        // Draining: no new session here (503, or the listener already closed).
        let refused = try? await Self.post(http, team.url, Self.initialize, token: alice)
        #expect(refused.map { $0.status != .ok } ?? true, "a new session while draining: \(refused?.status as Any)")

        let answer = try await slow.value
        #expect(answer.status == .ok && answer.body.contains("done"), "the call in flight: \(answer.body)")
        #expect(await stream.next() == nil, "the reading client's stream did not end")
        let exited = await team.muxgate.process.waitForExit(timeout: .seconds(20))
        let took = ContinuousClock.now - signalled
        #expect(exited, "still running \(took) after SIGTERM")
        #expect(took < .seconds(2) + TeamFront.shutdownSlack, "shutdown took \(took)")
        let events = try Self.records(team.auditPath).compactMap { $0["event"]?.string }
        #expect(events.last == "stop", "\(events.suffix(5))")
    }

    /// Opens `GET /mcp` for `session` on a plain socket and returns it unread.
    static func rawGet(port: Int, token: String, session: String) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(connected == 0, "connect: \(errno)")
        let request =
            "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
            + "Authorization: Bearer \(token)\r\nMcp-Session-Id: \(session)\r\n\r\n"
        let sent = request.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count - 1) }
        try #require(sent == request.utf8.count)
        return descriptor
    }
}
