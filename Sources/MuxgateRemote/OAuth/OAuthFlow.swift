package import AsyncHTTPClient
import Crypto
import Foundation
import MuxgateAudit
import MuxgateChildren
package import MuxgateConfig
import MuxgatePolicy
package import MuxgateWire
import NIOCore
package import NIOHTTP1
import NIOSSL

/// OAuth 2.1 for one remote MCP server, as the MCP authorization spec describes it for a client:
/// protected-resource metadata from the 401's `WWW-Authenticate` (or the well-known URLs),
/// authorization-server metadata (RFC 8414 and OpenID discovery, issuer checked, PKCE S256
/// required), dynamic client registration where offered (a configured `client_id` otherwise),
/// the authorization code with PKCE and the `resource` parameter (RFC 8707), and refresh.
package struct OAuthFlow: Sendable {
    package let server: String
    package let remote: RemoteServerConfig
    package let config: OAuthClientConfig
    package let environment: [String: String]

    package init(server: String, remote: RemoteServerConfig, config: OAuthClientConfig, environment: [String: String]) {
        self.server = server
        self.remote = remote
        self.config = config
        self.environment = environment
    }

    /// Where the server's authorization server is and what it offers.
    package struct Endpoints: Sendable {
        package var issuer: String
        package var authorization: String
        package var token: String
        package var registration: String?
        /// The scopes to ask for: configured, else the server's challenge, else all it supports.
        package var scope: String?
        /// The `resource` parameter: the canonical URL of the MCP server.
        package var resource: String
        package var authMethods: [String]
        /// RFC 9207: the authorization server says it sends `iss` back.
        package var issInResponse: Bool
    }

    // MARK: - Discovery

    /// Asks the server without a token, then follows its metadata to the authorization server.
    package func discover(using http: OAuthHTTP) async throws(OAuthError) -> Endpoints {
        guard let url = URLParts(remote.url) else { throw OAuthError("servers.\(server).url is not a URL") }
        let probe = JSONRPC.request(
            id: Array("1".utf8),
            method: "initialize",
            params: .object([
                ("protocolVersion", .string(ProtocolVersion.latest)), ("capabilities", .object([])),
                ("clientInfo", .object([("name", .string("muxgate")), ("version", .string(MuxgateVersion.current))])),
            ])
        )
        let first = try await http.send(
            .POST,
            remote.url,
            headers: [
                ("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"),
            ] + remote.headers.map { ($0.key, $0.value) },
            body: probe
        )
        guard first.status == 401 else {
            throw OAuthError(
                "\(remote.url) answered HTTP \(first.status) without a token, not 401: it asks for no OAuth login "
                    + "(remove auth: oauth, or check the url)"
            )
        }
        let challenge = first.headers.first { $0.0.lowercased() == "www-authenticate" }.flatMap {
            BearerChallenge($0.1)
        }
        // Protected-resource metadata (RFC 9728): the challenge's URL, else path-aware, else root.
        var candidates: [String] = []
        if let named = challenge?.resourceMetadata { candidates.append(named) }
        if url.path != "/" { candidates.append(url.origin + "/.well-known/oauth-protected-resource" + url.path) }
        candidates.append(url.origin + "/.well-known/oauth-protected-resource")
        var metadata: JSONSlice?
        for candidate in candidates {
            guard let answer = try? await http.send(.GET, candidate), answer.status == 200,
                let parsed = try? JSONSlice.parse(answer.body),
                parsed["authorization_servers"]?.elements.isEmpty == false
            else { continue }
            metadata = parsed
            break
        }
        guard let resourceMetadata = metadata else {
            throw OAuthError("no protected-resource metadata at \(candidates.joined(separator: ", "))")
        }
        let issuer = resourceMetadata["authorization_servers"]!.elements[0].string ?? ""
        let serverMetadata = try await authorizationServerMetadata(issuer, http: http)
        guard
            serverMetadata["code_challenge_methods_supported"]?.elements.contains(where: { $0.string == "S256" })
                == true
        else {
            throw OAuthError(
                "the authorization server \(issuer) does not say it supports PKCE with S256 "
                    + "(code_challenge_methods_supported): muxgate does not log in without it"
            )
        }
        guard let authorization = serverMetadata["authorization_endpoint"]?.string,
            let token = serverMetadata["token_endpoint"]?.string
        else { throw OAuthError("the authorization server \(issuer) names no authorization or token endpoint") }
        // The resource is the server's URL, unless its metadata names a prefix of it.
        var resource = url.text
        if let named = resourceMetadata["resource"]?.string, url.text.hasPrefix(named) { resource = named }
        let supported = resourceMetadata["scopes_supported"]?.elements.compactMap(\.string) ?? []
        let scope =
            config.scopes?.joined(separator: " ") ?? challenge?.scope
            ?? (supported.isEmpty ? nil : supported.joined(separator: " "))
        return Endpoints(
            issuer: issuer,
            authorization: authorization,
            token: token,
            registration: serverMetadata["registration_endpoint"]?.string,
            scope: scope,
            resource: resource,
            authMethods: serverMetadata["token_endpoint_auth_methods_supported"]?.elements.compactMap(\.string)
                ?? ["client_secret_basic"],
            issInResponse: serverMetadata["authorization_response_iss_parameter_supported"]?.bool == true
        )
    }

    /// RFC 8414 and OpenID discovery, in the spec's order; the document must name `issuer` exactly.
    package func authorizationServerMetadata(_ issuer: String, http: OAuthHTTP) async throws(OAuthError) -> JSONSlice {
        guard let url = URLParts(issuer) else { throw OAuthError("the authorization server '\(issuer)' is not a URL") }
        let path = url.path == "/" ? "" : url.path
        let candidates =
            path.isEmpty
            ? [
                url.origin + "/.well-known/oauth-authorization-server",
                url.origin + "/.well-known/openid-configuration",
            ]
            : [
                url.origin + "/.well-known/oauth-authorization-server" + path,
                url.origin + "/.well-known/openid-configuration" + path,
                url.origin + path + "/.well-known/openid-configuration",
            ]
        for candidate in candidates {
            guard let answer = try? await http.send(.GET, candidate), answer.status == 200,
                let parsed = try? JSONSlice.parse(answer.body)
            else { continue }
            guard parsed["issuer"]?.string == issuer else {
                throw OAuthError("\(candidate) names issuer \(parsed["issuer"]?.text ?? "none"), not \(issuer)")
            }
            return parsed
        }
        throw OAuthError("no authorization-server metadata for \(issuer) at \(candidates.joined(separator: ", "))")
    }

    // MARK: - Registration

    /// The client muxgate is at `endpoints`: the configured one, the one registered last time for
    /// this issuer and redirect URI, or a new one (dynamic client registration, RFC 7591).
    package func client(
        _ endpoints: Endpoints,
        redirectURI: String,
        previous: OAuthGrant?,
        http: OAuthHTTP
    ) async throws(OAuthError) -> (id: String, secret: String?, method: String) {
        if let id = config.clientID {
            let secret = try config.clientSecretEnv.map { name throws(OAuthError) -> String in
                guard let value = environment[name], !value.isEmpty else {
                    throw OAuthError("servers.\(server).auth.client_secret_env names \(name), which is not set")
                }
                Secrets.shared.add([value])
                return value
            }
            let method =
                secret == nil
                ? "none"
                : (endpoints.authMethods.contains("client_secret_post") ? "client_secret_post" : "client_secret_basic")
            return (id, secret, method)
        }
        if let previous, previous.issuer == endpoints.issuer, previous.redirectURI == redirectURI {
            return (previous.clientID, previous.clientSecret, previous.tokenEndpointAuthMethod)
        }
        guard let registration = endpoints.registration else {
            throw OAuthError(
                "the authorization server \(endpoints.issuer) offers no dynamic registration: register muxgate there "
                    + "(redirect URI \(redirectURI)) and set servers.\(server).auth.client_id"
            )
        }
        var body: [(String, JSONValue)] = [
            ("client_name", .string("muxgate")),
            ("redirect_uris", .array([.string(redirectURI)])),
            ("grant_types", .array([.string("authorization_code"), .string("refresh_token")])),
            ("response_types", .array([.string("code")])),
            ("token_endpoint_auth_method", .string("none")),
            ("application_type", .string("native")),
        ]
        if let scope = endpoints.scope { body.append(("scope", .string(scope))) }
        let answer = try await http.send(
            .POST,
            registration,
            headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
            body: JSONValue.object(body).encoded
        )
        guard (200..<300).contains(answer.status), let parsed = try? JSONSlice.parse(answer.body),
            let id = parsed["client_id"]?.string
        else {
            throw OAuthError(
                "registration at \(registration) failed: HTTP \(answer.status) \(Self.excerpt(answer.body))"
            )
        }
        let secret = parsed["client_secret"]?.string
        let method = parsed["token_endpoint_auth_method"]?.string ?? (secret == nil ? "none" : "client_secret_basic")
        return (id, secret, method)
    }

    // MARK: - Authorization and tokens

    /// PKCE (RFC 7636): a 64-character verifier and its S256 challenge.
    package static func pkce() -> (verifier: String, challenge: String) {
        let verifier = randomURLSafe(48)
        let challenge = base64URL(Array(SHA256.hash(data: Array(verifier.utf8))))
        return (verifier, challenge)
    }

    package static func randomURLSafe(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return base64URL((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    package static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(
            of: "/",
            with: "_"
        )
        .replacingOccurrences(of: "=", with: "")
    }

    /// The authorization request the browser goes to.
    package static func authorizationURL(
        _ endpoints: Endpoints,
        clientID: String,
        redirectURI: String,
        state: String,
        challenge: String
    ) -> String {
        var query: [(String, String)] = [
            ("response_type", "code"), ("client_id", clientID), ("redirect_uri", redirectURI), ("state", state),
            ("code_challenge", challenge), ("code_challenge_method", "S256"), ("resource", endpoints.resource),
        ]
        if let scope = endpoints.scope { query.append(("scope", scope)) }
        let separator = endpoints.authorization.contains("?") ? "&" : "?"
        return endpoints.authorization + separator + formEncoded(query)
    }

    /// A token request (code or refresh); the answer becomes a grant.
    package func tokens(
        _ parameters: [(String, String)],
        endpoint: String,
        client: (id: String, secret: String?, method: String),
        http: OAuthHTTP
    ) async throws(OAuthError) -> (
        access: String, refresh: String?, expiresAt: Double?, lifetime: Double?, scope: String?
    ) {
        var form = parameters + [("client_id", client.id)]
        var headers: [(String, String)] = [
            ("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"),
        ]
        if let secret = client.secret {
            if client.method == "client_secret_basic" {
                let pair = Self.formComponent(client.id) + ":" + Self.formComponent(secret)
                headers.append(("Authorization", "Basic " + Data(pair.utf8).base64EncodedString()))
            } else {
                form.append(("client_secret", secret))
            }
        }
        let answer = try await http.send(.POST, endpoint, headers: headers, body: Array(Self.formEncoded(form).utf8))
        guard answer.status == 200, let parsed = try? JSONSlice.parse(answer.body),
            let access = parsed["access_token"]?.string
        else {
            let error = (try? JSONSlice.parse(answer.body))?["error"]?.string
            throw OAuthError(
                "the token endpoint refused: HTTP \(answer.status)\(error.map { " \($0)" } ?? "") "
                    + "— run `muxgate login \(server)` again"
            )
        }
        let expiresIn = parsed["expires_in"]?.int
        return (
            access, parsed["refresh_token"]?.string, expiresIn.map { Date().timeIntervalSince1970 + Double($0) },
            expiresIn.map(Double.init), parsed["scope"]?.string
        )
    }

    /// Renews `grant`'s access token with its refresh token (the refresh token may rotate).
    package func refresh(_ grant: OAuthGrant, http: OAuthHTTP) async throws(OAuthError) -> OAuthGrant {
        guard let refreshToken = grant.refreshToken else {
            throw OAuthError("the login to '\(server)' expired and has no refresh token: run `muxgate login \(server)`")
        }
        let answer = try await tokens(
            [("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("resource", grant.resource)],
            endpoint: grant.tokenEndpoint,
            client: (grant.clientID, grant.clientSecret, grant.tokenEndpointAuthMethod),
            http: http
        )
        var renewed = grant
        renewed.accessToken = answer.access
        renewed.refreshToken = answer.refresh ?? refreshToken
        renewed.expiresAt = answer.expiresAt
        renewed.lifetime = answer.lifetime
        renewed.scope = answer.scope ?? grant.scope
        return renewed
    }

    // MARK: - Encoding

    package static func formEncoded(_ pairs: [(String, String)]) -> String {
        pairs.map { formComponent($0.0) + "=" + formComponent($0.1) }.joined(separator: "&")
    }

    /// Percent-encodes all but RFC 3986's unreserved characters.
    package static func formComponent(_ text: String) -> String {
        var allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        allowed.remove(charactersIn: "")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    package static func excerpt(_ body: [UInt8]) -> String {
        String(decoding: body.prefix(200), as: UTF8.self)
    }
}

/// The HTTP muxgate's OAuth steps use: one client, TLS as the server's (`ca_file`), no redirects.
package final class OAuthHTTP: Sendable {
    package let client: HTTPClient

    package init(caFile: String?) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile { tls.additionalTrustRoots = [.file(caFile)] }
        client = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: .init(
                tlsConfiguration: tls,
                redirectConfiguration: .disallow,
                timeout: .init(connect: .seconds(10), read: .seconds(30))
            )
        )
    }

    package func shutdown() async {
        try? await client.shutdown()
    }

    package struct Answer {
        package let status: UInt
        package let headers: [(String, String)]
        package let body: [UInt8]
    }

    package func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil)
        async throws(OAuthError) -> Answer
    {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: "muxgate/\(MuxgateVersion.current)")
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            let collected = try await response.body.collect(upTo: 1 << 20)
            return Answer(
                status: response.status.code,
                headers: response.headers.map { ($0.name, $0.value) },
                body: Array(buffer: collected)
            )
        } catch {
            throw OAuthError("\(method) \(url) failed: \(HTTPSession.describe(error))")
        }
    }
}
