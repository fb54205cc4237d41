import Foundation
import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateWire

extension OAuthFlow {
    /// `muxgate login NAME`: the authorization code flow with PKCE, the browser sent to the
    /// authorization server and back to a loopback listener on 127.0.0.1; returns the grant.
    ///
    /// - Parameters:
    ///   - previous: The last login (its registration is reused for the same issuer and port).
    ///   - openBrowser: Opens the URL (it is printed either way).
    ///   - say: Where the user's instructions go.
    package func login(
        previous: OAuthGrant?,
        openBrowser: @Sendable (String) -> Void,
        say: @Sendable (String) -> Void,
        timeout: Duration = .seconds(300)
    ) async throws(OAuthError) -> OAuthGrant {
        let http: OAuthHTTP
        do {
            http = try OAuthHTTP(caFile: remote.caFile)
        } catch {
            throw OAuthError("cannot set up HTTPS: \(error)")
        }
        do throws(OAuthError) {
            let grant = try await loginSteps(
                previous: previous,
                http: http,
                openBrowser: openBrowser,
                say: say,
                timeout: timeout
            )
            await http.shutdown()
            return grant
        } catch {
            await http.shutdown()
            throw error
        }
    }

    private func loginSteps(
        previous: OAuthGrant?,
        http: OAuthHTTP,
        openBrowser: @Sendable (String) -> Void,
        say: @Sendable (String) -> Void,
        timeout: Duration
    ) async throws(OAuthError) -> OAuthGrant {
        let endpoints = try await discover(using: http)
        // The port registered last time, so the registered redirect URI still matches (many
        // authorization servers compare it exactly, port included).
        let previousPort = previous.flatMap { URLParts($0.redirectURI)?.port }
        let listener: OAuthCallbackListener
        do {
            listener = try await OAuthCallbackListener.bind(port: config.redirectPort ?? previousPort ?? 0)
        } catch {
            do {
                listener = try await OAuthCallbackListener.bind(port: config.redirectPort ?? 0)
            } catch {
                throw OAuthError("cannot listen on 127.0.0.1 for the login's redirect: \(error)")
            }
        }
        let redirectURI = "http://127.0.0.1:\(listener.port)/callback"
        do throws(OAuthError) {
            let client = try await client(endpoints, redirectURI: redirectURI, previous: previous, http: http)
            let (verifier, challenge) = Self.pkce()
            let state = Self.randomURLSafe(24)
            let url = Self.authorizationURL(
                endpoints,
                clientID: client.id,
                redirectURI: redirectURI,
                state: state,
                challenge: challenge
            )
            say("To log in to '\(server)' (\(endpoints.issuer)), open:\n\n  \(url)\n")
            openBrowser(url)
            guard let callback = await listener.callback(timeout: timeout) else {
                throw OAuthError(
                    "no answer from the browser within \(Int(timeout.seconds))s; run `muxgate login \(server)` again"
                )
            }
            guard callback["state"] == state else {
                throw OAuthError("the login's answer carries another state: ignored (was it meant for another login?)")
            }
            if let iss = callback["iss"] {
                guard iss == endpoints.issuer else {
                    throw OAuthError("the login's answer names issuer \(iss), not \(endpoints.issuer): ignored")
                }
            } else if endpoints.issInResponse {
                throw OAuthError("the authorization server promised to name itself in its answer (iss) and did not")
            }
            if let error = callback["error"] {
                let detail = callback["error_description"].map { ": \($0)" } ?? ""
                throw OAuthError("the authorization server refused the login: \(error)\(detail)")
            }
            guard let code = callback["code"] else { throw OAuthError("the login's answer carries no code") }
            let tokens = try await tokens(
                [
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
                    ("code_verifier", verifier), ("resource", endpoints.resource),
                ],
                endpoint: endpoints.token,
                client: client,
                http: http
            )
            await listener.close()
            return OAuthGrant(
                resource: endpoints.resource,
                issuer: endpoints.issuer,
                tokenEndpoint: endpoints.token,
                clientID: client.id,
                clientSecret: client.secret,
                tokenEndpointAuthMethod: client.method,
                redirectURI: redirectURI,
                accessToken: tokens.access,
                refreshToken: tokens.refresh,
                expiresAt: tokens.expiresAt,
                lifetime: tokens.lifetime,
                scope: tokens.scope ?? endpoints.scope
            )
        } catch {
            await listener.close()
            throw error
        }
    }
}
