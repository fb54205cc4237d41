import Foundation
import Testing

@testable import MuxgateAudit
@testable import MuxgateCLI
@testable import MuxgateChildren
@testable import MuxgateCommands
@testable import MuxgateConfig
@testable import MuxgatePolicy
@testable import MuxgateRemote
@testable import MuxgateRouting
@testable import MuxgateTeam
@testable import MuxgateTelemetry
@testable import MuxgateWire

@Suite("Remote servers: configuration, URLs, challenges")
struct RemoteConfigTests {
    static func load(_ yaml: String, environment: [String: String] = [:]) throws -> MuxgateConfig {
        try ConfigLoader(environment: environment, currentDirectory: "/etc/muxgate").parse(
            yaml,
            file: "/etc/muxgate/muxgate.yaml"
        )
    }

    @Test("url, transport, headers with ${VAR}, auth, ca_file and connect_timeout decode into one remote server")
    func decodes() throws {
        let config = try Self.load(
            """
            servers:
              github:
                url: https://api.githubcopilot.com/mcp/
                headers: { Authorization: "Bearer ${GITHUB_TOKEN}" }
              jira:
                url: https://mcp.example.com/v1/sse
                transport: sse
                ca_file: certs/corp.pem
              linear:
                url: https://mcp.example.com/mcp
                auth: { type: oauth, client_id: muxgate-cli, scopes: [read, write], redirect_port: 53682 }
                connect_timeout: 3s
            """,
            environment: ["GITHUB_TOKEN": "ghp_secret"]
        )
        let remote = config.servers.map { server -> RemoteServerConfig? in
            if case .http(let remote) = server.transport { return remote }
            return nil
        }
        #expect(
            remote[0]
                == RemoteServerConfig(
                    url: "https://api.githubcopilot.com/mcp/",
                    headers: ["Authorization": "Bearer ghp_secret"]
                )
        )
        #expect(remote[1]?.kind == .sse && remote[1]?.caFile == "/etc/muxgate/certs/corp.pem")
        #expect(
            remote[2]?.auth
                == .oauth(OAuthClientConfig(clientID: "muxgate-cli", scopes: ["read", "write"], redirectPort: 53682))
        )
        #expect(remote[2]?.connectTimeout?.duration == .seconds(3))
        #expect(config.secrets.contains("ghp_secret"), "header values are secrets")
    }

    @Test(
        "bad remote entries are errors that name the key",
        arguments: [
            ("url: ftp://example.com/mcp", "servers.web.url"),
            ("url: http://example.com/mcp", "loopback"),
            ("url: https://example.com/mcp\n    transport: websocket", "servers.web.transport"),
            ("url: https://example.com/mcp\n    auth: basic", "servers.web.auth"),
            ("command: x\n    transport: sse", "url servers only"),
            ("url: https://example.com/mcp\n    type: stdio", "needs a command"),
        ]
    )
    func errors(entry: String, expected: String) {
        do {
            _ = try Self.load("servers:\n  web:\n    \(entry)\n")
            Issue.record("accepted: \(entry)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test("URLs: parts, origin, loopback, and an endpoint resolved against its SSE URL, never to another origin")
    func urls() throws {
        let url = try #require(URLParts("HTTP://Example.COM:8080/v1/sse?x=1"))
        #expect(
            url.scheme == "http" && url.host == "example.com" && url.port == 8080 && url.pathAndQuery == "/v1/sse?x=1"
        )
        #expect(url.origin == "http://example.com:8080" && url.path == "/v1/sse")
        #expect(
            URLParts("http://[::1]:9/mcp")?.isLoopback == true && URLParts("http://127.0.0.2/mcp")?.isLoopback == true
        )
        #expect(URLParts("https://user@example.com/") == nil && URLParts("https://example.com/#x") == nil)
        #expect(url.resolving("/messages/?session_id=ab")?.text == "http://example.com:8080/messages/?session_id=ab")
        #expect(url.resolving("messages?s=1")?.text == "http://example.com:8080/v1/messages?s=1")
        #expect(url.resolving("http://example.com:8080/other")?.path == "/other")
        #expect(url.resolving("http://evil.example/messages") == nil, "another origin is refused")
    }

    @Test("WWW-Authenticate: Bearer parameters in any order, quoted or bare, among other challenges")
    func challenges() throws {
        let sdk = try #require(
            BearerChallenge(
                #"Bearer error="invalid_token", error_description="Authentication required", resource_metadata="http://127.0.0.1:9200/.well-known/oauth-protected-resource/mcp", scope="mcp:read""#
            )
        )
        #expect(sdk.error == "invalid_token" && sdk.scope == "mcp:read")
        #expect(sdk.resourceMetadata == "http://127.0.0.1:9200/.well-known/oauth-protected-resource/mcp")
        let mixed = try #require(BearerChallenge(#"Basic realm="x", Bearer scope="a b", error=insufficient_scope"#))
        #expect(mixed.scope == "a b" && mixed.error == "insufficient_scope" && mixed.parameters["realm"] == nil)
        #expect(BearerChallenge(#"Basic realm="only basic""#) == nil)
        #expect(BearerChallenge(#"Bearer realm="a \"quoted\" b""#)?.parameters["realm"] == #"a "quoted" b"#)
    }

    @Test("2026-07-28 header values: safe ASCII as is, anything else base64-wrapped")
    func headerValues() {
        #expect(ParamHeaders.headerValue("tools/call") == "tools/call")
        #expect(ParamHeaders.headerValue("héllo") == "=?base64?aMOpbGxv?=")
        #expect(ParamHeaders.headerValue(" padded") == "=?base64?IHBhZGRlZA==?=")
    }

    @Test("x-mcp-header: declarations through properties only, typed, unique; Mcp-Param values from the arguments")
    func paramHeaders() throws {
        func schema(_ text: String) throws -> JSONSlice { try JSONSlice.parse(Array(text.utf8)) }
        let valid = try schema(
            #"{"type":"object","properties":{"region":{"type":"string","x-mcp-header":"Region"},"#
                + #""spec":{"type":"object","properties":{"count":{"type":"integer","x-mcp-header":"Count"}}},"#
                + #""dry":{"type":"boolean","x-mcp-header":"Dry-Run"},"note":{"type":"string"}}}"#
        )
        let declared = try ParamHeaders.declarations(in: valid)
        #expect(
            declared == [
                .init(path: ["region"], token: "Region"), .init(path: ["spec", "count"], token: "Count"),
                .init(path: ["dry"], token: "Dry-Run"),
            ]
        )
        let arguments = try schema(#"{"region":"eu-west","spec":{"count":3},"dry":false,"note":"x"}"#)
        #expect(
            ParamHeaders.headers(declared, arguments: arguments).map { "\($0): \($1)" } == [
                "Mcp-Param-Region: eu-west", "Mcp-Param-Count: 3", "Mcp-Param-Dry-Run: false",
            ]
        )
        // Absent or null: no header. Unsafe text: base64, a value that looks like the wrapper too.
        let odd = try schema(#"{"region":"=?base64?eA==?=","spec":null}"#)
        #expect(
            ParamHeaders.headers(declared, arguments: odd).map { "\($0): \($1)" } == [
                "Mcp-Param-Region: =?base64?PT9iYXNlNjQ/ZUE9PT89?="
            ]
        )
        #expect(ParamHeaders.headers(declared, arguments: try schema(#"{"region":"é"}"#)).first?.1 == "=?base64?w6k=?=")

        let invalid: [(String, String)] = [
            (#"{"properties":{"a":{"type":"array","items":{"type":"string","x-mcp-header":"A"}}}}"#, "no argument"),
            (#"{"properties":{"a":{"type":"number","x-mcp-header":"A"}}}"#, "string, integer and boolean"),
            (
                #"{"properties":{"a":{"type":"string","x-mcp-header":"A"},"b":{"type":"string","x-mcp-header":"a"}}}"#,
                "already used by 'a'"
            ),
            (#"{"properties":{"a":{"type":"string","x-mcp-header":"Bad Name"}}}"#, "RFC 9110"),
            (#"{"anyOf":[{"properties":{"a":{"type":"string","x-mcp-header":"A"}}}]}"#, "no argument"),
            (#"{"properties":{"a":{"type":"string","x-mcp-header":7}}}"#, "must be a string"),
        ]
        for (text, reason) in invalid {
            let parsed = try schema(text)
            do {
                let found = try ParamHeaders.declarations(in: parsed)
                Issue.record("\(text) is invalid, yet declared \(found)")
            } catch {
                #expect(error.description.contains(reason), "\(text): \(error)")
            }
        }
    }

    @Test("PKCE: a verifier of the allowed characters and length, its S256 challenge unpadded base64url")
    func pkce() {
        let (verifier, challenge) = OAuthFlow.pkce()
        #expect((43...128).contains(verifier.count))
        #expect(verifier.allSatisfy { $0.isLetter || $0.isNumber || "-._~".contains($0) })
        #expect(
            challenge.count == 43 && !challenge.contains("=") && !challenge.contains("+") && !challenge.contains("/")
        )
        #expect(OAuthFlow.formComponent("a b/c+d") == "a%20b%2Fc%2Bd")
    }

    @Test("an OAuth grant is renewed a minute before it expires, or a tenth of a short lifetime")
    func expiry() {
        let now = Date()
        var grant = OAuthGrant(
            resource: "r",
            issuer: "i",
            tokenEndpoint: "t",
            clientID: "c",
            tokenEndpointAuthMethod: "none",
            redirectURI: "u",
            accessToken: "a",
            expiresAt: now.timeIntervalSince1970 + 120,
            lifetime: 3600
        )
        #expect(!grant.expiresSoon(now: now))
        grant.expiresAt = now.timeIntervalSince1970 + 30
        #expect(grant.expiresSoon(now: now))
        grant.lifetime = 3
        grant.expiresAt = now.timeIntervalSince1970 + 2
        #expect(!grant.expiresSoon(now: now), "a 3 s token is not renewed on every call")
    }
}
