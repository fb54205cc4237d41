package import Foundation
import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateWire

/// What `muxgate login NAME` obtained for one remote server: the client registration at its
/// authorization server and the tokens. Kept in `$XDG_STATE_HOME/muxgate/oauth/NAME.json`, mode
/// 0600 in a 0700 directory; never logged, never audited.
package struct OAuthGrant: Codable, Sendable, Equatable {
    /// The server URL the grant is for (a changed `url` needs a new login).
    package var resource: String
    package var issuer: String
    package var tokenEndpoint: String
    package var clientID: String
    package var clientSecret: String?
    /// How the client authenticates at the token endpoint (`none`, `client_secret_post`, `client_secret_basic`).
    package var tokenEndpointAuthMethod: String
    package var redirectURI: String
    package var accessToken: String
    package var refreshToken: String?
    /// Seconds since 1970 when the access token expires; nil: the server did not say.
    package var expiresAt: Double?
    /// How long the access token was valid for when it was issued (`expires_in`).
    package var lifetime: Double?
    package var scope: String?

    package enum CodingKeys: String, CodingKey {
        case resource, issuer, scope
        case tokenEndpoint = "token_endpoint"
        case clientID = "client_id"
        case clientSecret = "client_secret"
        case tokenEndpointAuthMethod = "token_endpoint_auth_method"
        case redirectURI = "redirect_uri"
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
        case expiresAt = "expires_at"
        case lifetime
    }

    /// Whether the access token is gone or about to be: within a minute of its expiry, or within a
    /// tenth of its lifetime for a short-lived one.
    package func expiresSoon(now: Date = Date()) -> Bool {
        guard let expiresAt else { return false }
        let margin = min(60, (lifetime ?? 600) / 10)
        return expiresAt - now.timeIntervalSince1970 < margin
    }
}

/// Reads and writes `OAuthGrant`s, one file per server.
package struct OAuthTokenStore: Sendable {
    package let directory: String

    package init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        directory = AuditConfig.stateDirectory(environment: environment) + "/oauth"
    }

    package func path(for server: String) -> String { directory + "/\(server).json" }

    /// The grant for `server`, if one was stored.
    ///
    /// - Throws: `OAuthError` when the file exists but cannot be read or is not a grant.
    package func load(_ server: String) throws(OAuthError) -> OAuthGrant? {
        let file = path(for: server)
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw OAuthError("cannot read \(file)")
        }
        do {
            let grant = try JSONDecoder().decode(OAuthGrant.self, from: data)
            grant.registerSecrets()
            return grant
        } catch {
            throw OAuthError("\(file) is not a muxgate login (\(error)); run `muxgate login \(server)` again")
        }
    }

    /// Stores `grant` atomically with mode 0600 (a temporary file renamed over the old one).
    package func save(_ grant: OAuthGrant, for server: String) throws(OAuthError) {
        grant.registerSecrets()
        var notes: [String] = []
        do {
            try AuditFile.prepareDirectory(directory, notes: &notes)
        } catch {
            throw OAuthError("cannot use \(directory): \(error.message)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let data: Data
        do {
            data = try encoder.encode(grant)
        } catch {
            throw OAuthError("cannot encode the login: \(error)")
        }
        let final = path(for: server)
        let temporary = final + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw OAuthError("cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        let written = writeAll(Array(data), to: descriptor)
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written.error == nil, synced, rename(temporary, final) == 0 else {
            unlink(temporary)
            throw OAuthError("cannot write \(final): \(String(cString: strerror(errno)))")
        }
    }

    /// Forgets `server`'s login; false when there was none.
    @discardableResult
    package func remove(_ server: String) -> Bool {
        unlink(path(for: server)) == 0
    }
}

/// Something in an OAuth step failed: says what, and what to do.
package struct OAuthError: Error, CustomStringConvertible, Sendable {
    package let description: String
    package init(_ description: String) { self.description = description }
}

extension OAuthGrant {
    /// Its tokens and client secret are secrets to every sink (`Secrets`): a server that echoes its
    /// `Authorization` header in an error body cannot put the token in muxgate's output.
    package func registerSecrets() {
        Secrets.shared.add([accessToken, refreshToken, clientSecret].compactMap { $0 })
    }
}
