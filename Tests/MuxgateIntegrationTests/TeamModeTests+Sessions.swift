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

/// Team mode: sessions' own children, tasks and streams per session, OIDC identities.
extension TeamModeTests {
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
}
