import AsyncHTTPClient
import Foundation
import JWTKit
package import Logging
import MuxgateAudit
import MuxgateChildren
package import MuxgateConfig
import MuxgatePolicy
import MuxgateRouting
import MuxgateTelemetry
package import MuxgateWire
import NIOCore
package import NIOHTTP1

/// Checks bearer tokens an OIDC issuer signed (`clients.NAME.issuer`): the signature against the
/// issuer's published keys (JWKS, cached, fetched again when a token names a key muxgate does not
/// know — the issuer rotated), then `iss`, `aud`, `exp` and `nbf`, then the claim that picks the
/// profile.
package actor OIDCVerifier {
    /// Who a valid token says the caller is.
    package struct Caller: Sendable {
        package let client: ClientConfig
        package let subject: String
        /// The profile the token's claim picks (nil: the configuration's active one).
        package let profile: String?
    }

    /// Why a token was refused, for the 401 the client reads.
    package struct Refusal: Error {
        package let reason: String
    }

    private struct Keys {
        package let collection: JWTKeyCollection
        package let fetched: ContinuousClock.Instant
    }

    private var keys: [String: Keys] = [:]
    private let logger: Logger
    /// Keys are fetched again after this long, or sooner for a key id not seen (at most every `minimumRefetch`).
    package static let keysLifetime: Duration = .seconds(600)
    package static let minimumRefetch: Duration = .seconds(1)

    package init(logger: Logger) {
        self.logger = logger
    }

    /// The minimal claims jwt-kit checks while verifying the signature: expiry and not-before.
    private struct Claims: JWTPayload {
        package var exp: ExpirationClaim
        package var nbf: NotBeforeClaim?

        package func verify(using algorithm: some JWTAlgorithm) async throws {
            try exp.verifyNotExpired()
            try nbf?.verifyNotBefore()
        }
    }

    /// Whether `token` looks like a JWT (three base64url parts), so it is for an issuer to vouch for.
    package static func isJWT(_ token: String) -> Bool {
        token.split(separator: ".", omittingEmptySubsequences: false).count == 3
    }

    /// The caller a token identifies, among the OIDC clients; a `Refusal` says why not.
    package func caller(token: String, among clients: [ClientConfig]) async throws(Refusal) -> Caller {
        guard let claims = Self.claims(of: token) else { throw Refusal(reason: "the token is not a JWT") }
        guard let issuer = claims["iss"]?.string,
            let client = clients.first(where: { $0.oidc?.issuer == issuer.trimmingSuffix("/") }), let oidc = client.oidc
        else {
            throw Refusal(reason: "no client trusts the token's issuer \(claims["iss"]?.text ?? "(none)")")
        }
        try await verifySignature(token, oidc)
        let audiences = claims["aud"].map { $0.kind == .array ? $0.elements.compactMap(\.string) : [$0.string ?? ""] }
        guard audiences?.contains(oidc.audience) == true else {
            throw Refusal(reason: "the token is not for this audience (aud must include '\(oidc.audience)')")
        }
        guard let subject = claims["sub"]?.string, !subject.isEmpty else {
            throw Refusal(reason: "the token names no subject (sub)")
        }
        let values: [String] =
            switch claims[oidc.claim] {
            case let value? where value.kind == .array: value.elements.compactMap(\.string)
            case let value?: [value.string ?? value.text]
            case nil: []
            }
        let profile = values.lazy.compactMap { oidc.profiles[$0] }.first ?? client.profile
        guard profile != nil || oidc.profiles.isEmpty else {
            throw Refusal(
                reason:
                    "none of the token's \(oidc.claim) (\(values.joined(separator: ", "))) has a profile in clients.\(client.name).profiles"
            )
        }
        return Caller(client: client, subject: subject, profile: profile)
    }

    private func verifySignature(_ token: String, _ oidc: OIDCConfig) async throws(Refusal) {
        var refreshed = false
        while true {
            let collection = try await keyCollection(oidc, refresh: refreshed)
            do {
                _ = try await collection.verify(token, as: Claims.self)
                return
            } catch let error as JWTError
                where [.unknownKID, .signatureVerificationFailed].contains(error.errorType) && !refreshed
            {
                // The issuer may have rotated its keys (jwt-kit tries its default key for a key id
                // it does not know): fetch them once more, at most every `minimumRefetch`.
                refreshed = true
            } catch let error as JWTError where error.errorType == .claimVerificationFailure {
                throw Refusal(reason: "the token expired or is not valid yet")
            } catch {
                throw Refusal(reason: "the token's signature does not verify against \(oidc.issuer)'s keys (\(error))")
            }
        }
    }

    /// The issuer's keys: cached, fetched when missing, stale, or when `refresh` asks (rate-limited).
    private func keyCollection(_ oidc: OIDCConfig, refresh: Bool) async throws(Refusal) -> JWTKeyCollection {
        let now = ContinuousClock.now
        if let cached = keys[oidc.issuer] {
            let age = now - cached.fetched
            if age < Self.keysLifetime && (!refresh || age < Self.minimumRefetch) { return cached.collection }
        }
        do {
            let url = try await jwksURL(oidc)
            let body = try await Self.fetch(url)
            let collection = JWTKeyCollection()
            try await collection.add(jwksJSON: String(decoding: body, as: UTF8.self))
            keys[oidc.issuer] = Keys(collection: collection, fetched: now)
            logger.info("team mode: fetched the signing keys of \(oidc.issuer) from \(url)")
            return collection
        } catch {
            if let cached = keys[oidc.issuer] {
                logger.warning(
                    "team mode: cannot fetch \(oidc.issuer)'s keys (\(error)); using the ones fetched before"
                )
                return cached.collection
            }
            throw Refusal(reason: "muxgate cannot fetch the keys of \(oidc.issuer): \(error)")
        }
    }

    private func jwksURL(_ oidc: OIDCConfig) async throws -> String {
        if let url = oidc.jwksURL { return url }
        let document = try JSONSlice.parse(try await Self.fetch(oidc.issuer + "/.well-known/openid-configuration"))
        guard let url = document["jwks_uri"]?.string else {
            throw Refusal(reason: "\(oidc.issuer)'s discovery document has no jwks_uri")
        }
        return url
    }

    private static func fetch(_ url: String) async throws -> [UInt8] {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        guard response.status.code == 200 else { throw Refusal(reason: "GET \(url) answered \(response.status)") }
        return Array(try await response.body.collect(upTo: 1 << 20).readableBytesView)
    }

    /// A JWT's claims, not yet verified (to find its issuer).
    package static func claims(of token: String) -> JSONSlice? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let bytes = base64URLDecode(parts[1]) else { return nil }
        return try? JSONSlice.parse(bytes)
    }

    package static func base64URLDecode(_ text: Substring) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map { Array($0) }
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
