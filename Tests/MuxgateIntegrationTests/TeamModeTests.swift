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

/// Team mode: one muxgate over Streamable HTTP for many IDEs, each with its own identity and
/// profile — the official client over HTTP, two identities at once, isolation under load, bad
/// input, and the standalone stream resumed with `Last-Event-ID`. Loopback only.
@Suite("Team mode: many IDEs over Streamable HTTP, each caller with its own identity and profile", .serialized)
struct TeamModeTests {
    init() async throws {
        try await TestEnvironment.shared.preparePython()
    }

    static let tokens = ["alice": "alice-secret-token", "bob": "bob-secret-token", "carol": "carol-secret-token"]

    /// A team-mode muxgate in front of the Python SDK's HTTP server (`web`) and the fixture (`fx`).
    struct Team {
        let web: TestServer
        let muxgate: TestServer
        let directory: String

        var url: String { muxgate.url("/mcp") }
        var auditPath: String { directory + "/audit.jsonl" }

        func stop() {
            muxgate.stop()
            web.stop()
        }
    }

    /// - Parameters:
    ///   - extra: More configuration: under `clients:` when `clientsExtra`, else at the top level.
    ///   - servers: More servers, under `servers:`.
    static func start(
        extra: String = "",
        clientsExtra: Bool = false,
        fixtureArguments: [String] = [],
        servers: String = "",
        http httpExtra: [String] = []
    ) async throws -> Team {
        let web = try await TestServer(TestPaths.python, [RemoteChildTests.httpServer, "stateful"])
        let directory = try TestPaths.temporaryDirectory("muxgate-team")
        func digest(_ name: String) -> String { TeamAuthenticator.hash(tokens[name]!) }
        let config = """
            \(TestPaths.loadedStartup)
            max_message_size: 64KiB
            servers:
              web:
                url: \(web.url("/mcp"))
              fx:
                command: \(TestPaths.fixture)
                args: [\(fixtureArguments.map { "\"\($0)\"" }.joined(separator: ", "))]
            \(servers)
            policy:
              profile: full
            clients:
              alice: { token_sha256: "\(digest("alice"))", profile: full }
              bob: { token_sha256: "\(digest("bob"))", profile: readonly }
              carol: { token_sha256: "\(digest("carol"))" }
            \(clientsExtra ? extra : "")
            audit:
              path: \(directory)/audit.jsonl
            http:
              idle_timeout: 3s
              header_timeout: 2s
              allowed_origins: ["https://ide.example.com"]
            \(httpExtra.map { "  " + $0 }.joined(separator: "\n"))
            \(clientsExtra ? "" : extra)
            """
        let path = try TestPaths.write(config, to: directory, name: "team.yaml")
        let muxgate = try await TestServer(TestPaths.muxgate, ["serve", "--config", path, "--http", "127.0.0.1:0"])
        return Team(web: web, muxgate: muxgate, directory: directory)
    }

    /// The official client (`Tests/e2e/mcp_client.py --url`) as `client`, running `calls`.
    static func officialClient(_ team: Team, as client: String, calls: String, options: [String] = [])
        async throws -> JSONSlice
    {
        try await officialClient(team, token: tokens[client]!, calls: calls, options: options)
    }

    /// The official client with bearer `token`, running `calls`.
    static func officialClient(_ team: Team, token: String, calls: String, options: [String] = [])
        async throws -> JSONSlice
    {
        let script = try TestPaths.write(#"{"calls": \#(calls)}"#, to: team.directory, name: "script-\(UUID()).json")
        let output = try await TestEnvironment.shared.run(
            TestPaths.python,
            [TestPaths.clientScript, "--timeout", "90", "--mode", "legacy", "--url", team.url]
                + ["--bearer", token] + options + ["script", script]
        )
        return try JSONSlice.parse(output)
    }

    @Test("the official client over Streamable HTTP: list, a call with progress, an elicitation round trip")
    func officialClientOverHTTP() async throws {
        let team = try await Self.start()
        defer { team.stop() }
        let report = try await Self.officialClient(
            team,
            as: "alice",
            calls: #"[{"tool": "web_echo", "arguments": {"text": "over team mode"}}, {"tool": "web_ask_name"}]"#,
            options: ModernProtocolTests.acceptAda
        )
        let tools = (report["tools"]?.elements ?? []).compactMap { $0["name"]?.string }
        #expect(tools.contains("web_echo") && tools.contains("fx_echo"), "\(report.text)")
        let results = report["results"]?.elements ?? []
        try #require(results.count == 2, "\(report.text)")
        #expect(results[0]["content"]?.text.contains("over team mode") == true, "\(results[0].text)")
        #expect(
            results[0]["progress"]?.elements.count == 2,
            "both progress reports reached the call: \(results[0].text)"
        )
        #expect(results[1]["content"]?.text.contains("Hello, Ada!") == true, "\(results[1].text)")
        #expect(report["serverRequests"]?.elements.first?["method"]?.string == "elicitation/create")
        #expect(report["transportErrors"]?.elements.isEmpty == true, "\(report.text)")
    }

    @Test("two identities at once: a write tool runs for one and is denied for the other; a bad token gets 401")
    func twoIdentities() async throws {
        let team = try await Self.start()
        defer { team.stop() }
        let call = #"[{"tool": "fx_echo", "arguments": {"who": "caller"}}]"#
        async let alice = Self.officialClient(team, as: "alice", calls: call)
        async let bob = Self.officialClient(team, as: "bob", calls: call)
        let (allowed, denied) = try await (alice, bob)
        #expect(allowed["results"]?.elements.first?["isError"]?.bool == false, "\(allowed.text)")
        #expect(allowed["results"]?.elements.first?["content"]?.text.contains("caller") == true)
        let refusal = denied["results"]?.elements.first
        #expect(refusal?["isError"]?.bool == true, "\(denied.text)")
        #expect(refusal?["content"]?.text.contains("denied by profile 'readonly'") == true, "\(denied.text)")
        let bobTools = (denied["tools"]?.elements ?? []).compactMap { $0["name"]?.string }
        #expect(!bobTools.contains("fx_echo"), "readonly hides what it denies: \(bobTools)")

        let http = HTTPClient.shared
        let unknown = try await Self.post(http, team.url, Self.initialize, token: "not-a-token")
        #expect(unknown.status.code == 401)
        #expect(unknown.headers.first(name: "WWW-Authenticate")?.contains("resource_metadata=") == true)
        #expect(unknown.headers.first(name: "WWW-Authenticate")?.contains("invalid_token") == true)
        let none = try await Self.post(http, team.url, Self.initialize, token: nil)
        #expect(none.status.code == 401)

        let records = try Self.records(team.auditPath)
        let decisions = records.filter { $0["event"]?.string == "decision" && $0["tool"]?.string == "fx_echo" }
        #expect(
            decisions.map { "\($0["client"]?.string ?? "?"):\($0["decision"]?.string ?? "?")" }.sorted()
                == ["alice:allow", "bob:deny"],
            "\(decisions.map(\.text))"
        )
        let outcomes = records.filter { $0["event"]?.string == "outcome" && $0["tool"]?.string == "fx_echo" }
        #expect(outcomes.map { $0["client"]?.string } == ["alice"], "the denied call never reached the child")
        let opened = records.filter { $0["event"]?.string == "client" && $0["state"]?.string == "opened" }
        #expect(Set(opened.compactMap { $0["client"]?.string }) == ["alice", "bob"], "\(opened.map(\.text))")
        let text = try String(contentsOfFile: team.auditPath, encoding: .utf8)
        #expect(!text.contains("secret-token"), "no token in the audit trail")
        let verify = try await Harness.run(["audit", "verify", team.auditPath], timeout: .seconds(20))
        #expect(verify.status == 0, "\(verify.output) \(verify.stderr)")
    }

    @Test("20 sessions x 200 calls, 8 in flight each: every answer and progress reached its own call only")
    func isolationUnderLoad() async throws {
        let team = try await Self.start()
        defer { team.stop() }
        let output = try await TestEnvironment.shared.run(
            TestPaths.python,
            [TestPaths.root + "/Tests/e2e/team_load.py", team.url, "web_echo", "20", "200", "8"]
                + [Self.tokens["alice"]!, Self.tokens["carol"]!]
        )
        let report = try JSONSlice.parse(output)
        #expect(report["calls"]?.int == 4000)
        for key in ["wrong", "progressWrong", "foreignLogs", "errors"] {
            #expect(report[key]?.elements.isEmpty == true, "\(key): \(report.text)")
        }
    }

    @Test("bad input gets a clear HTTP error each, and the server keeps serving the others")
    func badInput() async throws {
        let team = try await Self.start()
        defer { team.stop() }
        let http = HTTPClient.shared
        let alice = Self.tokens["alice"]!
        let opened = try await Self.post(http, team.url, Self.initialize, token: alice)
        let session = try #require(opened.headers.first(name: "Mcp-Session-Id"))
        #expect(opened.status.code == 200)

        let origin = try await Self.post(
            http,
            team.url,
            Self.initialize,
            token: alice,
            headers: [("Origin", "https://evil.example")]
        )
        #expect(origin.status.code == 403, "a foreign Origin (DNS rebinding)")
        let allowedOrigin = try await Self.post(
            http,
            team.url,
            Self.initialize,
            token: alice,
            headers: [("Origin", "https://ide.example.com")]
        )
        #expect(allowedOrigin.status.code == 200)
        let noSession = try await Self.post(http, team.url, Self.list(2), token: alice)
        #expect(noSession.status.code == 400 && noSession.body.contains("Mcp-Session-Id"), "\(noSession.body)")
        let foreign = try await Self.post(
            http,
            team.url,
            Self.list(2),
            token: Self.tokens["bob"]!,
            headers: [("Mcp-Session-Id", session)]
        )
        #expect(foreign.status.code == 404, "another identity's session id is not accepted")
        let oversized = try await Self.post(
            http,
            team.url,
            #"{"jsonrpc":"2.0","id":3,"method":"ping","params":{"pad":""#
                + String(repeating: "x", count: 100_000) + #""}}"#,
            token: alice,
            headers: [("Mcp-Session-Id", session)]
        )
        #expect(oversized.status.code == 413, "\(oversized.body)")
        let malformed = try await Self.post(
            http,
            team.url,
            #"{"jsonrpc":"2.0","id":4,"method":"#,
            token: alice,
            headers: [("Mcp-Session-Id", session)]
        )
        #expect(malformed.status.code == 400 && malformed.body.contains("-32700"), "\(malformed.body)")
        let version = try await Self.post(
            http,
            team.url,
            Self.list(5),
            token: alice,
            headers: [("Mcp-Session-Id", session), ("MCP-Protocol-Version", "1999-01-01")]
        )
        #expect(version.status.code == 400, "\(version.body)")

        // Headers trickled in a byte every 0.4 s (each within idle_timeout, 3 s): the connection is
        // closed at header_timeout (2 s) all the same.
        let trickled = try await Self.trickledConnectionSeconds(port: team.muxgate.port)
        #expect(trickled >= 1.5 && trickled < 8, "closed after \(trickled) s")
        // A call that takes longer than both is not cut.
        let slow = try await Self.post(
            http,
            team.url,
            #"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"fx_slow","arguments":{"ms":4000}}}"#,
            token: alice,
            headers: [("Mcp-Session-Id", session)]
        )
        #expect(slow.status.code == 200 && slow.body.contains("done"), "\(slow.body)")

        // Through all of it the session still serves.
        let listed = try await Self.post(
            http,
            team.url,
            Self.list(6),
            token: alice,
            headers: [("Mcp-Session-Id", session)]
        )
        #expect(listed.status.code == 200 && listed.body.contains("fx_echo"), "\(listed.body)")
        let deleted = try await Self.request(
            http,
            team.url,
            method: .DELETE,
            token: alice,
            headers: [("Mcp-Session-Id", session)]
        )
        #expect(deleted.status.code == 204)
        let gone = try await Self.post(
            http,
            team.url,
            Self.list(7),
            token: alice,
            headers: [("Mcp-Session-Id", session)]
        )
        #expect(gone.status.code == 404, "a deleted session is gone")
    }

    @Test(
        "the standalone stream: list_changed arrives with event ids; a stream resumed with Last-Event-ID misses nothing"
    )
    func resumeStandaloneStream() async throws {
        let team = try await Self.start(fixtureArguments: ["--change-tools-after-call"])
        defer { team.stop() }
        let http = HTTPClient.shared
        let alice = Self.tokens["alice"]!
        let opened = try await Self.post(http, team.url, Self.initialize, token: alice)
        let session = try #require(opened.headers.first(name: "Mcp-Session-Id"))
        let headers = [("Mcp-Session-Id", session)]
        _ = try await Self.post(http, team.url, Self.list(2), token: alice, headers: headers)

        // First stream: the fixture adds a tool after its first call → list_changed, event 1.
        let first = try await Self.openStream(http, team.url, token: alice, session: session, lastEventID: nil)
        let call = try await Self.post(http, team.url, Self.call(3, "fx_echo"), token: alice, headers: headers)
        #expect(call.status.code == 200)
        let event = try #require(await first.next(), "no event on the stream")
        #expect(event.id == "1" && event.data.contains("notifications/tools/list_changed"), "\(event)")
        first.close()
        // While no stream is open the remote child grows: list_changed, event 2, kept.
        _ = try await Self.post(http, team.url, Self.list(4), token: alice, headers: headers)
        let grow = try await Self.post(http, team.url, Self.call(5, "web_grow"), token: alice, headers: headers)
        #expect(grow.status.code == 200, "\(grow.body)")
        let resumed = try await Self.openStream(http, team.url, token: alice, session: session, lastEventID: "1")
        defer { resumed.close() }
        let replayed = try #require(await resumed.next(), "nothing replayed after Last-Event-ID 1")
        #expect(replayed.id == "2" && replayed.data.contains("list_changed"), "\(replayed)")
    }

    @Test("a call its client cancels ends its POST (202), reaches the child as a cancel, and frees its id")
    func cancelOverHTTP() async throws {
        let team = try await Self.start()
        defer { team.stop() }
        let http = HTTPClient.shared
        let alice = Self.tokens["alice"]!
        let opened = try await Self.post(http, team.url, Self.initialize, token: alice)
        let headers = [("Mcp-Session-Id", try #require(opened.headers.first(name: "Mcp-Session-Id")))]
        _ = try await Self.post(http, team.url, Self.list(2), token: alice, headers: headers)
        let slowCall =
            #"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"web_slow","arguments":{"ms":20000}}}"#
        async let slow = Self.post(http, team.url, slowCall, token: alice, headers: headers)
        #expect(await team.web.process.waitForStderr("slow 20000 started", timeout: .seconds(60)))
        let cancel = try await Self.post(
            http,
            team.url,
            #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9,"reason":"changed my mind"}}"#,
            token: alice,
            headers: headers
        )
        #expect(cancel.status.code == 202)
        let ended = try await slow
        #expect(ended.status.code == 202 && ended.body.isEmpty, "\(ended.status) \(ended.body)")
        #expect(await team.web.process.waitForStderr("slow 20000 cancelled"), "the child heard the cancel")
        let again = try await Self.post(
            http,
            team.url,
            #"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"fx_echo","arguments":{"again":true}}}"#,
            token: alice,
            headers: headers
        )
        #expect(again.status.code == 200 && again.body.contains("again"), "\(again.body)")
    }

}
