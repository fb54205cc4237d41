import Foundation
import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateWire
import Synchronization

/// The `Authorization` header of an OAuth child's requests while `serve` runs: the stored login,
/// refreshed before it expires and once more when the server refuses it; one refresh at a time
/// (a rotated refresh token is good once). When no token can be had, the child fails with what
/// to run (`muxgate login NAME`); the other children go on serving.
package final class OAuthCredentials: HTTPCredentials {
    package let flow: OAuthFlow
    package let store: OAuthTokenStore

    private struct State {
        package var grant: OAuthGrant?
        /// When the stored file was last read (a `muxgate login` meanwhile is picked up).
        package var modified: Date?
        package var refreshing: Latch?
    }

    private let state = Mutex(State())

    package init(flow: OAuthFlow, store: OAuthTokenStore) {
        self.flow = flow
        self.store = store
    }

    private var needsLogin: HTTPTransportError {
        HTTPTransportError("server '\(flow.server)' needs a login: run `muxgate login \(flow.server)`")
    }

    package func authorization() async throws -> String {
        var grant = try current()
        if grant.expiresSoon() { grant = try await refreshed(replacing: grant.accessToken) }
        return "Bearer " + grant.accessToken
    }

    package func refused(_ value: String, challenge: String?) async -> Bool {
        guard let grant = try? current() else { return false }
        // Someone logged in or refreshed since that token was sent: try the new one.
        if "Bearer " + grant.accessToken != value { return true }
        return (try? await refreshed(replacing: grant.accessToken)) != nil
    }

    /// The stored grant, re-read when the file changed.
    private func current() throws -> OAuthGrant {
        let path = store.path(for: flow.server)
        let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
        if let cached = state.withLock({ $0.modified == modified ? $0.grant : nil }) { return cached }
        guard let grant = try store.load(flow.server) else { throw needsLogin }
        guard
            grant.resource == URLParts(flow.remote.url)?.text
                || URLParts(flow.remote.url)?.text.hasPrefix(grant.resource) == true
        else {
            throw HTTPTransportError(
                "server '\(flow.server)': the login is for \(grant.resource), not \(flow.remote.url): run `muxgate login \(flow.server)`"
            )
        }
        state.withLock {
            $0.grant = grant
            $0.modified = modified
        }
        return grant
    }

    /// A fresh access token (refreshing at most once at a time).
    private func refreshed(replacing old: String) async throws -> OAuthGrant {
        let (mine, latch) = state.withLock { state -> (Bool, Latch?) in
            if let running = state.refreshing { return (false, running) }
            let latch = Latch()
            state.refreshing = latch
            return (true, latch)
        }
        guard mine else {
            await latch?.wait()
            let grant = try current()
            guard grant.accessToken != old else { throw needsLogin }
            return grant
        }
        defer {
            state.withLock { $0.refreshing = nil }
            latch?.fire()
        }
        let grant = try current()
        guard grant.accessToken == old else { return grant }
        let http = try OAuthHTTP(caFile: flow.remote.caFile)
        do {
            let renewed = try await flow.refresh(grant, http: http)
            await http.shutdown()
            try store.save(renewed, for: flow.server)
            state.withLock {
                $0.grant = renewed
                $0.modified =
                    (try? FileManager.default.attributesOfItem(atPath: self.store.path(for: self.flow.server)))?[
                        .modificationDate
                    ] as? Date
            }
            return renewed
        } catch {
            await http.shutdown()
            throw HTTPTransportError(
                "server '\(flow.server)': the login could not be renewed (\(error)): run `muxgate login \(flow.server)`"
            )
        }
    }
}
