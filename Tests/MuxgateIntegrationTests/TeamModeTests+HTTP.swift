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
import NIOSSL
import Testing

/// Team-mode tests' HTTP helpers: a lean client that posts, reads streams and opens sessions.
extension TeamModeTests {
    // MARK: - HTTP helpers

    static let initialize =
        #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"#

    static func list(_ id: Int) -> String { #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/list"}"# }

    static func call(_ id: Int, _ tool: String) -> String {
        #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"\#(tool)","arguments":{}}}"#
    }

    struct Answer {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: String
    }

    static func post(
        _ http: HTTPClient,
        _ url: String,
        _ body: String,
        token: String?,
        headers: [(String, String)] = []
    ) async throws -> Answer {
        try await request(http, url, method: .POST, body: body, token: token, headers: headers)
    }

    static func request(
        _ http: HTTPClient,
        _ url: String,
        method: HTTPMethod,
        body: String? = nil,
        token: String?,
        headers: [(String, String)] = []
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json, text/event-stream")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await http.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: response.status, headers: response.headers, body: String(buffer: bytes))
    }

    /// An SSE stream being read: its events as they come.
    final class EventStream: Sendable {
        struct Event: CustomStringConvertible {
            var id: String?
            var data: String
            var description: String { "id \(id ?? "none"): \(data)" }
        }

        let events: AsyncStream<Event>
        let task: Task<Void, Never>

        init(events: AsyncStream<Event>, task: Task<Void, Never>) {
            self.events = events
            self.task = task
        }

        /// The next event, at most 30 s away.
        func next() async -> Event? {
            try? await withTimeout(.seconds(30)) { [events] in
                var iterator = events.makeAsyncIterator()
                return await iterator.next()
            }
        }

        func close() { task.cancel() }
    }

    static func openStream(_ http: HTTPClient, _ url: String, token: String, session: String, lastEventID: String?)
        async throws -> EventStream
    {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "text/event-stream")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Mcp-Session-Id", value: session)
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
        let response = try await http.execute(request, timeout: .seconds(120))
        try #require(response.status.code == 200, "GET /mcp: \(response.status)")
        let (events, continuation) = AsyncStream.makeStream(of: EventStream.Event.self)
        let task = Task {
            var pending = ""
            do {
                for try await chunk in response.body {
                    pending += String(buffer: chunk)
                    while let end = pending.range(of: "\n\n") {
                        let block = pending[..<end.lowerBound]
                        pending = String(pending[end.upperBound...])
                        var event = EventStream.Event(id: nil, data: "")
                        for line in block.split(separator: "\n") {
                            if line.hasPrefix("id: ") { event.id = String(line.dropFirst(4)) }
                            if line.hasPrefix("data: ") { event.data += line.dropFirst(6) }
                        }
                        continuation.yield(event)
                    }
                }
            } catch {}
            continuation.finish()
        }
        return EventStream(events: events, task: task)
    }

    /// Opens a connection and sends a request's headers a byte every 0.4 s until the server closes it.
    static func trickledConnectionSeconds(port: Int) async throws -> Double {
        let output = try await TestEnvironment.shared.run(
            TestPaths.python,
            [
                "-c",
                """
                import socket, time
                s = socket.create_connection(("127.0.0.1", \(port)))
                start = time.monotonic()
                try:
                    for byte in b"POST /mcp HTTP/1.1\\r\\nHost: x\\r\\nX-Slow: " + b"a" * 100:
                        s.sendall(bytes([byte]))
                        time.sleep(0.4)
                except OSError:
                    pass
                print(round(time.monotonic() - start, 2))
                """,
            ]
        )
        return Double(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    static func records(_ path: String) throws -> [JSONSlice] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try JSONSlice.parse(Array($0.utf8))
        }
    }
}
