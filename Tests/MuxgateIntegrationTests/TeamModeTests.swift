import AsyncHTTPClient
import Foundation
import MuxgateAudit
import MuxgateConfig
import MuxgateCore
import MuxgatePolicy
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

    @Test("per_session: each session gets a child of its own (its roots, its logs, its state), stopped when it ends")
    func perSessionChildren() async throws {
        let team = try await Self.start(
            servers: """
                  own:
                    command: \(TestPaths.fixture)
                    per_session: true
                """
        )
        defer { team.stop() }
        func calls(_ who: String) -> String {
            #"""
            [{"tool": "own_echo", "arguments": {"who": "\#(who)"}},
             {"tool": "own_ask", "arguments": {"method": "roots/list"}},
             {"tool": "own_notify", "arguments": {"method": "notifications/message",
                                                  "params": {"level": "info", "data": "log of \#(who)"}}},
             {"tool": "own_requests"}]
            """#
        }
        async let alice = Self.officialClient(
            team,
            as: "alice",
            calls: calls("alice"),
            options: ["--root", "file:///alice"]
        )
        async let carol = Self.officialClient(
            team,
            as: "carol",
            calls: calls("carol"),
            options: ["--root", "file:///carol"]
        )
        let reports = try await ["alice": alice, "carol": carol]
        for (who, report) in reports {
            let other = who == "alice" ? "carol" : "alice"
            let results = report["results"]?.elements ?? []
            try #require(results.count == 4, "\(report.text)")
            #expect(results.allSatisfy { $0["isError"]?.bool == false }, "\(who): \(report.text)")
            let roots = results[1]["content"]?.text ?? ""
            #expect(roots.contains("file:///\(who)") && !roots.contains(other), "\(who)'s own roots: \(roots)")
            let logs = (report["logs"]?.elements ?? []).map(\.text)
            #expect(logs.contains { $0.contains("log of \(who)") }, "\(who) got its child's log line: \(logs)")
            #expect(!logs.contains { $0.contains("log of \(other)") }, "and not the other's: \(logs)")
            let seen = results[3]["content"]?.text ?? ""
            #expect(seen.contains(who) && !seen.contains(other), "\(who)'s child saw only \(who)'s calls: \(seen)")
        }
        // The clients ended their sessions (DELETE): their children stop.
        #expect(await team.muxgate.process.waitForStderr("stopped", count: 2, timeout: .seconds(30)))
        let children = try Self.records(team.auditPath).filter {
            $0["event"]?.string == "child" && $0["server"]?.string == "own"
        }
        let started = children.filter { $0["state"]?.string == "started" }
        #expect(started.count == 3, "one listing instance and one per session: \(children.map(\.text))")
        let sessions = Set(started.compactMap { $0["client_session"]?.string })
        #expect(sessions.count == 2, "\(started.map(\.text))")
        for record in started where record["client_session"] != nil {
            let pid = try #require(record["pid"]?.int)
            #expect(kill(pid_t(pid), 0) != 0, "the session's child \(pid) is gone")
        }
    }

    @Test(
        "max_stream_duration closes a call's stream early; the official client and a raw one resume it with Last-Event-ID"
    )
    func resumeCallStream() async throws {
        let team = try await Self.start(extra: "  max_stream_duration: 600ms")
        defer { team.stop() }
        // The official client: a call that outlasts four stream closes, and one with progress.
        let report = try await Self.officialClient(
            team,
            as: "alice",
            calls: #"""
                [{"tool": "web_slow", "arguments": {"ms": 2500}},
                 {"tool": "web_echo", "arguments": {"text": "after the resumes"}}]
                """#
        )
        let results = report["results"]?.elements ?? []
        try #require(results.count == 2, "\(report.text)")
        #expect(results[0]["content"]?.text.contains("slept") == true, "answered on a resumed stream: \(report.text)")
        #expect(results[1]["content"]?.text.contains("after the resumes") == true, "\(report.text)")
        #expect(report["transportErrors"]?.elements.isEmpty == true, "\(report.text)")

        // A raw client: the POST ends with a priming event; a GET with its id gets the answer.
        let http = HTTPClient.shared
        let alice = Self.tokens["alice"]!
        let opened = try await Self.post(http, team.url, Self.initialize, token: alice)
        let session = try #require(opened.headers.first(name: "Mcp-Session-Id"))
        let headers = [("Mcp-Session-Id", session)]
        let slow =
            #"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"web_slow","arguments":{"ms":1500}}}"#
        let first = try await Self.post(http, team.url, slow, token: alice, headers: headers)
        #expect(first.headers.first(name: "Content-Type") == "text/event-stream", "\(first.headers)")
        let priming = try #require(
            first.body.split(separator: "\n").first { $0.hasPrefix("id: ") }.map { String($0.dropFirst(4)) },
            "\(first.body)"
        )
        #expect(first.body.contains("retry: ") && !first.body.contains("slept"), "\(first.body)")
        // The resumed stream is closed after its duration too: resumed again from its last id.
        var answer: EventStream.Event?
        var last = priming
        var resumes = 0
        while answer == nil, resumes < 20 {
            resumes += 1
            let resumed = try await Self.openStream(http, team.url, token: alice, session: session, lastEventID: last)
            while let event = await resumed.next() {
                if let id = event.id { last = id }
                if event.data.contains("\"id\":5") { answer = event }
            }
            resumed.close()
        }
        #expect(answer?.data.contains("slept") == true, "\(String(describing: answer)) after \(resumes) resumes")
        #expect(resumes >= 2, "a 1.5 s call outlasts a 600 ms stream")
        // The answer is kept: a client whose stream broke before reading it asks again.
        let again = try await Self.openStream(
            http,
            team.url,
            token: alice,
            session: session,
            lastEventID: priming
        )
        defer { again.close() }
        #expect(await again.next()?.data.contains("slept") == true)
        let unknown = try await Self.request(
            http,
            team.url,
            method: .GET,
            token: alice,
            headers: headers + [("Last-Event-ID", "r999.1")]
        )
        #expect(unknown.status.code == 404 && unknown.body.contains("Last-Event-ID"), "\(unknown.body)")
    }

    @Test(
        "http.tls: the official client and a raw one over HTTPS; plain HTTP on that port gets nowhere; a bad key is a config error"
    )
    func tls() async throws {
        let certificates = try TestPaths.temporaryDirectory("muxgate-tls")
        try await TestEnvironment.shared.run(
            "/usr/bin/openssl",
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"]
                + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
                + ["-keyout", certificates + "/key.pem", "-out", certificates + "/cert.pem"]
        )
        let team = try await Self.start(
            extra: "  tls: { cert: \(certificates)/cert.pem, key: \(certificates)/key.pem }"
        )
        defer { team.stop() }
        let url = "https://127.0.0.1:\(team.muxgate.port)/mcp"
        let output = try await TestEnvironment.shared.run(
            "/usr/bin/env",
            ["SSL_CERT_FILE=\(certificates)/cert.pem", TestPaths.python, TestPaths.clientScript, "--timeout", "60"]
                + ["--mode", "legacy", "--url", url, "--bearer", Self.tokens["alice"]!]
                + ["call", "fx_echo", #"{"over": "tls"}"#]
        )
        let report = try JSONSlice.parse(output)
        #expect(report["content"]?.text.contains("tls") == true, "\(report.text)")

        var configuration = HTTPClient.Configuration()
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(certificates + "/cert.pem")
        configuration.tlsConfiguration = tls
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { _ = http.shutdown() }
        let opened = try await Self.post(http, url, Self.initialize, token: Self.tokens["alice"]!)
        #expect(opened.status.code == 200 && opened.headers.first(name: "Mcp-Session-Id") != nil, "\(opened.body)")
        let metadata = try await Self.request(
            http,
            url.replacing("/mcp", with: "/.well-known/oauth-protected-resource"),
            method: .GET,
            token: nil
        )
        #expect(metadata.body.contains("https://"), "the metadata names the https resource: \(metadata.body)")
        await #expect(throws: (any Error).self, "plain HTTP to a TLS port") {
            _ = try await Self.post(HTTPClient.shared, team.url, Self.initialize, token: Self.tokens["alice"]!)
        }

        // A key that is not the certificate's: the load fails, naming the section.
        try await TestEnvironment.shared.run(
            "/usr/bin/openssl",
            [
                "genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out",
                certificates + "/other.pem",
            ]
        )
        let bad = try TestPaths.write(
            """
            servers:
              fx: { command: \(TestPaths.fixture) }
            clients:
              alice: { token_sha256: "\(TeamAuthenticator.hash("x"))" }
            http:
              tls: { cert: cert.pem, key: other.pem }
            """,
            to: certificates,
            name: "bad.yaml"
        )
        let check = try await Harness.run(["check", "--config", bad], timeout: .seconds(20))
        #expect(check.status != 0 && check.stderr.contains("http.tls"), "\(check.output) \(check.stderr)")
        let missing = try TestPaths.write(
            try String(contentsOfFile: bad, encoding: .utf8).replacing("other.pem", with: "nope.pem"),
            to: certificates,
            name: "missing.yaml"
        )
        let absent = try await Harness.run(["check", "--config", missing], timeout: .seconds(20))
        #expect(absent.stderr.contains("http.tls.key") && absent.stderr.contains("nope.pem"), "\(absent.stderr)")
    }

    @Test("a task belongs to the session whose call created it: another session cannot get, list or cancel it")
    func taskIsolation() async throws {
        let team = try await Self.start(fixtureArguments: ["--tasks"])
        defer { team.stop() }
        let http = HTTPClient.shared
        func open(_ client: String) async throws -> [(String, String)] {
            let opened = try await Self.post(http, team.url, Self.initialize, token: Self.tokens[client]!)
            return [("Mcp-Session-Id", try #require(opened.headers.first(name: "Mcp-Session-Id")))]
        }
        let alice = try await open("alice")
        let carol = try await open("carol")
        func post(_ client: String, _ headers: [(String, String)], _ body: String) async throws -> String {
            try await Self.post(http, team.url, body, token: Self.tokens[client]!, headers: headers).body
        }
        let created = try await post(
            "alice",
            alice,
            #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"fx_task","arguments":{"from":"alice"},"task":{"ttl":60000}}}"#
        )
        let task = try #require(
            try? JSONSlice.parse(created)["result"]?["task"]?["taskId"]?.string,
            "\(created)"
        )
        for method in ["tasks/get", "tasks/result", "tasks/cancel"] {
            let foreign = try await post(
                "carol",
                carol,
                #"{"jsonrpc":"2.0","id":3,"method":"\#(method)","params":{"taskId":"\#(task)"}}"#
            )
            #expect(foreign.contains("Unknown task") && !foreign.contains("alice"), "\(method): \(foreign)")
        }
        let carolsList = try await post("carol", carol, #"{"jsonrpc":"2.0","id":4,"method":"tasks/list"}"#)
        #expect(carolsList.contains(#""tasks":[]"#), "\(carolsList)")
        let alicesList = try await post("alice", alice, #"{"jsonrpc":"2.0","id":4,"method":"tasks/list"}"#)
        #expect(alicesList.contains(task), "\(alicesList)")
        let result = try await post(
            "alice",
            alice,
            #"{"jsonrpc":"2.0","id":5,"method":"tasks/result","params":{"taskId":"\#(task)"}}"#
        )
        #expect(result.contains("alice"), "its own session gets the result: \(result)")
    }

    @Test("OIDC: a local issuer's token picks the profile by its groups; expired, wrong audience, rotated key")
    func oidc() async throws {
        let directory = try TestPaths.temporaryDirectory("muxgate-oidc")
        let issuerServer = try await TestServer(
            TestPaths.python,
            portArgument: ["-m", "http.server", "{port}", "--bind", "127.0.0.1", "--directory", directory]
        )
        defer { issuerServer.stop() }
        let issuer = issuerServer.url("")
        let tool = TestPaths.root + "/Tests/e2e/oidc_tool.py"
        _ = try await TestEnvironment.shared.run(TestPaths.python, [tool, "init", directory, issuer, "k1"])
        func token(_ kid: String, audience: String = "muxgate", subject: String, groups: String, seconds: Int = 300)
            async throws -> String
        {
            try await TestEnvironment.shared.run(
                TestPaths.python,
                [tool, "token", directory, kid, issuer, audience, subject, groups, "\(seconds)"]
            ).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let team = try await Self.start(
            extra: """
                  idp: { issuer: "\(issuer)", audience: muxgate, claim: groups, profile: full,
                         profiles: { auditors: readonly, engineers: developer } }
                """,
            clientsExtra: true
        )
        defer { team.stop() }
        let http = HTTPClient.shared
        let auditor = try await token("k1", subject: "user-7", groups: "auditors")
        let denied = try await Self.officialClient(
            team,
            token: auditor,
            calls: #"[{"tool": "fx_echo", "arguments": {}}]"#
        )
        #expect(
            denied["results"]?.elements.first?["content"]?.text.contains("denied by profile 'readonly'") == true,
            "the group auditors runs as readonly: \(denied.text)"
        )
        let other = try await token("k1", subject: "user-8", groups: "visitors")
        let allowed = try await Self.officialClient(
            team,
            token: other,
            calls: #"[{"tool": "fx_echo", "arguments": {}}]"#
        )
        #expect(
            allowed["results"]?.elements.first?["isError"]?.bool == false,
            "no group matches: full: \(allowed.text)"
        )

        let expired = try await Self.post(
            http,
            team.url,
            Self.initialize,
            token: try await token("k1", subject: "user-7", groups: "auditors", seconds: -120)
        )
        #expect(expired.status.code == 401 && expired.body.contains("expired"), "\(expired.body)")
        let audience = try await Self.post(
            http,
            team.url,
            Self.initialize,
            token: try await token("k1", audience: "someone-else", subject: "user-7", groups: "auditors")
        )
        #expect(audience.status.code == 401 && audience.body.contains("audience"), "\(audience.body)")

        // The issuer rotates: only k2 is published now. A k2 token makes muxgate fetch the keys again.
        _ = try await TestEnvironment.shared.run(TestPaths.python, [tool, "rotate", directory, "k2"])
        let rotated = try await Self.post(
            http,
            team.url,
            Self.initialize,
            token: try await token("k2", subject: "user-9", groups: "engineers")
        )
        #expect(rotated.status.code == 200, "\(rotated.status) \(rotated.body)")
        let retired = try await Self.post(http, team.url, Self.initialize, token: auditor)
        #expect(retired.status.code == 401, "a token of the retired key: \(retired.body)")

        let records = try Self.records(team.auditPath)
        let decisions = records.filter { $0["event"]?.string == "decision" }
        #expect(
            decisions.map {
                "\($0["client"]?.string ?? "?")/\($0["client_subject"]?.string ?? "?"):\($0["decision"]?.string ?? "?")"
            }
            .sorted() == ["idp/user-7:deny", "idp/user-8:allow"],
            "\(decisions.map(\.text))"
        )
    }

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
