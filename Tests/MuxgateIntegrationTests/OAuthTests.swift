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
import Testing

/// OAuth end to end on loopback: an authorization server and a protected MCP server built on the
/// Python SDK's auth components (discovery, dynamic registration, PKCE, refresh, expiry), the
/// browser played by a script, `muxgate login` / `serve` / `logout`.
@Suite("Remote children with OAuth: login, use, refresh, expiry, logout", .serialized)
struct OAuthTests {
    init() async throws {
        try await TestEnvironment.shared.preparePython()
    }

    /// The authorization server (tokens live `ttl` seconds) and the MCP server it protects.
    static func servers(ttl: Int) async throws -> (authorization: TestServer, resource: TestServer) {
        let authorization = try await TestServer(
            TestPaths.python,
            portArgument: [TestPaths.root + "/Tests/e2e/oauth_as.py", "--port", "{port}", "--token-ttl", "\(ttl)"]
        )
        let resource = try await TestServer(
            TestPaths.python,
            portArgument: [
                TestPaths.root + "/Tests/e2e/oauth_rs.py", "--port", "{port}", "--as-url", authorization.url(""),
                "--challenge-scope", "mcp:read",
            ]
        )
        return (authorization, resource)
    }

    /// What the authorization server saw (every exchange, bodies included).
    static func exchanges(_ server: TestServer) async throws -> [JSONSlice] {
        let text = try await TestEnvironment.shared.run(
            TestPaths.python,
            [
                "-c",
                "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())",
                server.url("/_test/log"),
            ]
        )
        return try JSONSlice.parse(text).elements
    }

    static func post(_ server: TestServer, _ path: String) async throws {
        try await TestEnvironment.shared.run(
            TestPaths.python,
            [
                "-c",
                "import urllib.request,sys; urllib.request.urlopen(urllib.request.Request(sys.argv[1], method='POST'))",
                server.url(path),
            ]
        )
    }

    @Test("no login: a clear error naming the command; login; calls work and the token is renewed after expiry")
    func loginUseRefresh() async throws {
        let (authorization, resource) = try await Self.servers(ttl: 3)
        defer {
            authorization.stop()
            resource.stop()
        }
        let directory = try TestPaths.temporaryDirectory()
        let state = directory + "/state"
        let config = try TestPaths.write(
            "\(TestPaths.loadedStartup)\naudit: { path: \(directory)/audit.jsonl }\nservers:\n"
                + "  linear:\n    url: \(resource.url("/mcp"))\n    auth: oauth\n" + Harness.fixture("calm"),
            to: directory,
            name: "muxgate.yaml"
        )
        let environment = ["XDG_STATE_HOME": state]
        // Before any login the child fails with what to do; the other child serves.
        let before = try Harness.start(configFile: config, environment: environment)
        defer { before.muxgate.terminate() }
        try await before.initialize()
        let refused = await before.muxgate.request(
            id: 2,
            method: "tools/call",
            params: #"{"name":"linear_echo","arguments":{"text":"x"}}"#
        )
        #expect(
            refused.response?.errorMessage.contains("muxgate login linear") == true,
            "\(refused.response?.root.text ?? "")"
        )
        #expect(await before.call("calm_echo", #"{"a":1}"#, id: 3)?.firstText == #"{"a":1}"#)
        #expect(await before.shutDown())

        let login = try await Harness.run(
            [
                "login", "linear", "--config", config, "--browser",
                "\(TestPaths.python) \(TestPaths.root)/Tests/e2e/fake_browser.py",
            ],
            environment: environment
        )
        #expect(login.status == 0, "\(login.output) \(login.stderr)")
        #expect(login.output.contains("logged in to 'linear'"), "\(login.output)")
        let stored = state + "/muxgate/oauth/linear.json"
        let mode = try FileManager.default.attributesOfItem(atPath: stored)[.posixPermissions] as? Int
        #expect(mode == 0o600, "the token file is the user's alone")
        let grant = try JSONSlice.parse(String(contentsOfFile: stored, encoding: .utf8))
        let firstToken = try #require(grant["access_token"]?.string)

        // What the authorization server saw: registration as a native public client, PKCE S256,
        // the resource on both the authorization and the token request.
        let seen = try await Self.exchanges(authorization)
        let register = try #require(seen.first { $0["path"]?.string == "/register" })
        #expect(register["body"]?["application_type"]?.string == "native")
        #expect(register["body"]?["token_endpoint_auth_method"]?.string == "none")
        let authorize = try #require(seen.first { $0["path"]?.string == "/authorize" })
        #expect(authorize["query"]?["code_challenge_method"]?.string == "S256")
        #expect(authorize["query"]?["resource"]?.string == resource.url("/mcp"))
        let token = try #require(seen.first { $0["path"]?.string == "/token" })
        #expect(token["body"]?["grant_type"]?.string == "authorization_code")
        #expect(token["body"]?["resource"]?.string == resource.url("/mcp"))
        #expect(token["body"]?["code_verifier"]?.string?.count ?? 0 >= 43)

        let harness = try Harness.start(configFile: config, environment: environment)
        defer { harness.muxgate.terminate() }
        try await harness.initialize()
        let who = try JSONSlice.parse(try #require(await harness.call("linear_whoami", id: 2)?.firstText))
        #expect(who["scopes"]?.elements.compactMap(\.string) == ["mcp:read"], "\(who.text)")
        // The token lives 3 s: wait past that (the clock is what is tested), then call again.
        try await Task.sleep(for: .milliseconds(3_500))
        #expect(await harness.call("linear_echo", #"{"text":"after expiry"}"#, id: 3)?.firstText == "after expiry")
        let refreshes = try await Self.exchanges(authorization).filter {
            $0["body"]?["grant_type"]?.string == "refresh_token"
        }
        #expect(!refreshes.isEmpty, "the token was renewed with the refresh token")
        #expect(refreshes.allSatisfy { $0["body"]?["resource"]?.string == resource.url("/mcp") })
        let renewed = try JSONSlice.parse(String(contentsOfFile: stored, encoding: .utf8))
        #expect(renewed["access_token"]?.string != firstToken, "the renewed token was stored")

        // Everything revoked at the server: the child fails saying to log in; the other serves.
        try await Self.post(authorization, "/_test/revoke-access")
        try await Self.post(authorization, "/_test/revoke-refresh")
        let failed = await harness.muxgate.request(
            id: 4,
            method: "tools/call",
            params: #"{"name":"linear_echo","arguments":{"text":"x"}}"#
        )
        let reason = failed.response?.errorMessage ?? failed.response?.firstText ?? ""
        #expect(reason.contains("muxgate login linear"), "\(failed.response?.root.text ?? "")")
        #expect(await harness.call("calm_echo", #"{"b":2}"#, id: 5)?.firstText == #"{"b":2}"#)
        #expect(await harness.shutDown())

        // No token of any kind in the log or the audit trail.
        let audit = try String(contentsOfFile: directory + "/audit.jsonl", encoding: .utf8)
        for secret in [firstToken, renewed["access_token"]?.string ?? "", renewed["refresh_token"]?.string ?? ""]
        where !secret.isEmpty {
            #expect(
                !harness.muxgate.stderr.contains(secret) && !audit.contains(secret) && !login.output.contains(secret)
            )
        }

        let logout = try await Harness.run(["logout", "linear", "--config", config], environment: environment)
        #expect(logout.status == 0 && logout.output.contains("logged out"), "\(logout.output)")
        #expect(!FileManager.default.fileExists(atPath: stored))
    }

    @Test("login refuses an authorization server that does not offer PKCE S256, and a denied login says why")
    func refusals() async throws {
        for (flags, expected) in [(["--no-pkce-metadata"], "PKCE"), (["--deny"], "access_denied")] {
            let authorization = try await TestServer(
                TestPaths.python,
                portArgument: [TestPaths.root + "/Tests/e2e/oauth_as.py", "--port", "{port}"] + flags
            )
            let resource = try await TestServer(
                TestPaths.python,
                portArgument: [
                    TestPaths.root + "/Tests/e2e/oauth_rs.py", "--port", "{port}", "--as-url", authorization.url(""),
                ]
            )
            defer {
                authorization.stop()
                resource.stop()
            }
            let directory = try TestPaths.temporaryDirectory()
            let config = try TestPaths.write(
                "servers:\n  linear:\n    url: \(resource.url("/mcp"))\n    auth: oauth\n",
                to: directory,
                name: "muxgate.yaml"
            )
            let login = try await Harness.run(
                [
                    "login", "linear", "--config", config, "--browser",
                    "\(TestPaths.python) \(TestPaths.root)/Tests/e2e/fake_browser.py",
                ],
                environment: ["XDG_STATE_HOME": directory + "/state"]
            )
            #expect(login.status == 1, "\(flags): \(login.output) \(login.stderr)")
            #expect(login.stderr.contains(expected), "\(flags): \(login.stderr)")
            #expect(!FileManager.default.fileExists(atPath: directory + "/state/muxgate/oauth/linear.json"))
        }
    }
}
