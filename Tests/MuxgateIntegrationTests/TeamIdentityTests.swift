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
import Testing

/// Team mode judges each request by the profile its credential maps to now: a caller demoted by a
/// reload, revoked, or presenting a token without the group that gave it more, is judged anew on
/// its next request in the same session; and one caller cannot take every session.
@Suite("Team mode: identity judged on every request, sessions limited per caller", .serialized)
struct TeamIdentityTests {
    init() async throws {
        try await TestEnvironment.shared.preparePython()
    }

    struct TurnError: Error {
        let path: String
    }

    /// A named pipe the official client and the test hand a turn through (no polling).
    struct Turn {
        let path: String

        init(_ directory: String, _ name: String) throws {
            path = directory + "/" + name
            guard mkfifo(path, 0o600) == 0 else { throw TurnError(path: path) }
        }

        /// Waits for the other side to write a line (it opens the pipe to write).
        func wait() async throws {
            _ = try await TestEnvironment.shared.run("/bin/cat", [path])
        }

        /// Lets the other side go on.
        func give() async throws {
            _ = try await TestEnvironment.shared.run("/bin/sh", ["-c", "echo go > \"$0\"", path])
        }
    }

    static func reload(_ team: TeamModeTests.Team, replacing old: String, with new: String, count: Int = 1) async throws
    {
        let path = team.directory + "/team.yaml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(old))
        try text.replacingOccurrences(of: old, with: new).write(toFile: path, atomically: true, encoding: .utf8)
        kill(team.muxgate.process.process.processIdentifier, SIGHUP)
        #expect(
            await team.muxgate.process.waitForStderr("config reloaded", count: count),
            "\(team.muxgate.process.stderr)"
        )
    }

    @Test("a caller demoted by a reload is judged by its new profile on its open session's next call (official client)")
    func demotedMidSession() async throws {
        let team = try await TeamModeTests.start()
        defer { team.stop() }
        let done = try Turn(team.directory, "done")
        let go = try Turn(team.directory, "go")
        async let report = TeamModeTests.officialClient(
            team,
            as: "alice",
            calls: #"""
                [{"tool": "fx_echo", "arguments": {"n": 1}}, {"signal": "\#(done.path)"}, {"wait": "\#(go.path)"},
                 {"tool": "fx_echo", "arguments": {"n": 2}}, {"list": true}]
                """#
        )
        try await done.wait()
        let digest = TeamAuthenticator.hash(TeamModeTests.tokens["alice"]!)
        try await Self.reload(
            team,
            replacing: "alice: { token_sha256: \"\(digest)\", profile: full }",
            with: "alice: { token_sha256: \"\(digest)\", profile: readonly }"
        )
        try await go.give()
        let result = try await report
        let results = result["results"]?.elements ?? []
        try #require(results.count == 2, "\(result.text)")
        #expect(results[0]["isError"]?.bool == false, "allowed while alice ran as full: \(result.text)")
        #expect(results[1]["isError"]?.bool == true, "\(result.text)")
        #expect(results[1]["content"]?.text.contains("denied by profile 'readonly'") == true, "\(results[1].text)")
        let lists = result["lists"]?.elements ?? []
        #expect(lists.count == 1 && lists.first?.elements.contains { $0.string == "fx_echo" } == false, "\(lists)")
        let methods = (result["notifications"]?.elements ?? []).compactMap { $0["method"]?.string }
        #expect(methods.contains("notifications/tools/list_changed"), "\(methods)")

        let records = try TeamModeTests.records(team.auditPath)
        let decisions = records.filter { $0["event"]?.string == "decision" && $0["tool"]?.string == "fx_echo" }
        #expect(decisions.compactMap { $0["decision"]?.string } == ["allow", "deny"], "\(decisions.map(\.text))")
        let changed = records.filter { $0["event"]?.string == "client" && $0["state"]?.string == "changed" }
        #expect(changed.count == 1 && changed.first?["profile"]?.string == "readonly", "\(changed.map(\.text))")
    }

    @Test("a revoked caller's open session is refused (401) on its next request")
    func revokedMidSession() async throws {
        let team = try await TeamModeTests.start()
        defer { team.stop() }
        let http = HTTPClient.shared
        let token = TeamModeTests.tokens["alice"]!
        let opened = try await TeamModeTests.post(http, team.url, TeamModeTests.initialize, token: token)
        let session = try #require(opened.headers.first(name: "Mcp-Session-Id"))
        let headers = [("Mcp-Session-Id", session), ("MCP-Protocol-Version", "2025-11-25")]
        let before = try await TeamModeTests.post(
            http,
            team.url,
            TeamModeTests.call(2, "fx_echo"),
            token: token,
            headers: headers
        )
        #expect(before.status.code == 200 && before.body.contains("\"result\""), "\(before.body)")
        let digest = TeamAuthenticator.hash(token)
        // Her token is revoked: another one's digest takes its place.
        try await Self.reload(team, replacing: digest, with: TeamAuthenticator.hash("alice-new-token"))
        let after = try await TeamModeTests.post(
            http,
            team.url,
            TeamModeTests.call(3, "fx_echo"),
            token: token,
            headers: headers
        )
        #expect(after.status.code == 401, "\(after.status) \(after.body)")
        let outcomes = try TeamModeTests.records(team.auditPath).filter { $0["event"]?.string == "outcome" }
        #expect(outcomes.count == 1, "only the call before the revocation ran")
    }

    @Test("OIDC: the same subject's token without the admin group is judged by the lesser profile in the same session")
    func oidcGroupDropped() async throws {
        let directory = try TestPaths.temporaryDirectory("muxgate-oidc")
        let issuerServer = try await TestServer(
            TestPaths.python,
            portArgument: ["-m", "http.server", "{port}", "--bind", "127.0.0.1", "--directory", directory]
        )
        defer { issuerServer.stop() }
        let issuer = issuerServer.url("")
        let tool = TestPaths.root + "/Tests/e2e/oidc_tool.py"
        _ = try await TestEnvironment.shared.run(TestPaths.python, [tool, "init", directory, issuer, "k1"])
        func token(groups: String) async throws -> String {
            try await TestEnvironment.shared.run(
                TestPaths.python,
                [tool, "token", directory, "k1", issuer, "muxgate", "user-7", groups, "300"]
            ).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let team = try await TeamModeTests.start(
            extra: """
                  idp: { issuer: "\(issuer)", audience: muxgate, claim: groups, profile: readonly,
                         profiles: { admins: full } }
                """,
            clientsExtra: true
        )
        defer { team.stop() }
        let admin = try await token(groups: "admins")
        let plain = try await token(groups: "engineers")
        let report = try await TeamModeTests.officialClient(
            team,
            token: admin,
            calls: #"""
                [{"tool": "fx_echo", "arguments": {"n": 1}}, {"bearer": "\#(plain)"},
                 {"tool": "fx_echo", "arguments": {"n": 2}}, {"bearer": "\#(admin)"},
                 {"tool": "fx_echo", "arguments": {"n": 3}}]
                """#
        )
        let results = report["results"]?.elements ?? []
        try #require(results.count == 3, "\(report.text)")
        #expect(results.map { $0["isError"]?.bool } == [false, true, false], "\(report.text)")
        #expect(results[1]["content"]?.text.contains("denied by profile 'readonly'") == true)
        let decisions = try TeamModeTests.records(team.auditPath).filter {
            $0["event"]?.string == "decision" && $0["tool"]?.string == "fx_echo"
        }
        #expect(decisions.compactMap { $0["client_session"]?.string }.count == 3)
        #expect(Set(decisions.compactMap { $0["client_session"]?.string }).count == 1, "one session throughout")
    }

    @Test("one caller cannot take every session: its own limit, its idle session replaced, 429 when all are busy")
    func sessionsPerCaller() async throws {
        let team = try await TeamModeTests.start(http: ["max_sessions: 6", "max_sessions_per_client: 2"])
        defer { team.stop() }
        let http = HTTPClient.shared
        func open(_ who: String) async throws -> (status: UInt, session: String?) {
            let answer = try await TeamModeTests.post(
                http,
                team.url,
                TeamModeTests.initialize,
                token: TeamModeTests.tokens[who]!
            )
            return (answer.status.code, answer.headers.first(name: "Mcp-Session-Id"))
        }
        func list(_ who: String, _ session: String) async throws -> UInt {
            try await TeamModeTests.post(
                http,
                team.url,
                TeamModeTests.list(5),
                token: TeamModeTests.tokens[who]!,
                headers: [("Mcp-Session-Id", session), ("MCP-Protocol-Version", "2025-11-25")]
            ).status.code
        }
        // bob (read-only) opens session after session: each beyond two replaces his oldest idle one.
        var bobs: [String] = []
        for _ in 0..<6 {
            let (status, session) = try await open("bob")
            #expect(status == 200)
            bobs.append(try #require(session))
        }
        #expect(try await list("bob", bobs[5]) == 200)
        #expect(try await list("bob", bobs[0]) == 404, "replaced")
        // Everyone else still gets in.
        #expect(try await open("carol").status == 200)
        // alice's two sessions both busy (a call waiting on her answer to its child's question): a
        // third is refused, and her running ones are not touched.
        let asking =
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","#
            + #""capabilities":{"elicitation":{}},"clientInfo":{"name":"raw","version":"1"}}}"#
        var busy: [HTTPClientResponse] = []
        // Each waits at a different child: a shared child's question goes to the one session with
        // a request in flight to it.
        let questions = [
            #"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"web_ask_name","arguments":{}}}"#,
            #"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"fx_ask","arguments":"#
                + #"{"method":"elicitation/create","params":{"message":"wait","requestedSchema":{"type":"object"}}}}}"#,
        ]
        for question in questions {
            let opened = try await TeamModeTests.post(http, team.url, asking, token: TeamModeTests.tokens["alice"]!)
            let session = try #require(opened.headers.first(name: "Mcp-Session-Id"))
            var request = HTTPClientRequest(url: team.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Accept", value: "application/json, text/event-stream")
            request.headers.add(name: "Authorization", value: "Bearer \(TeamModeTests.tokens["alice"]!)")
            request.headers.add(name: "Mcp-Session-Id", value: session)
            request.body = .bytes(ByteBuffer(string: question))
            // The head arrives with the child's question on the call's stream: the call is in flight.
            busy.append(try await http.execute(request, timeout: .seconds(60)))
        }
        for response in busy where response.headers.first(name: "Content-Type")?.contains("event-stream") != true {
            let body = try await response.body.collect(upTo: 1 << 20)
            Issue.record("the call did not wait: \(response.status) \(String(buffer: body))")
        }
        let third = try await TeamModeTests.post(http, team.url, asking, token: TeamModeTests.tokens["alice"]!)
        #expect(
            third.status.code == 429 && third.headers.first(name: "Retry-After") != nil,
            "\(third.status) \(third.body)\n\(team.muxgate.process.stderr)"
        )
        #expect(try await open("carol").status == 200, "others still get in")
        let records = try TeamModeTests.records(team.auditPath)
        #expect(
            records.contains { $0["event"]?.string == "client" && $0["reason"]?.string?.contains("replaced") == true }
        )
    }
}
