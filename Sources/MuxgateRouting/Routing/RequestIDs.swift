import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
import MuxgateWire

/// The ids of the IDE's requests in flight: an id is taken while its request is worked on, and free
/// again the moment its answer is handed to the sink.
///
/// JSON-RPC lets a client reuse an id once it has read the answer, and a fast client does so at
/// once (a test client counting from 0 after `tools/list` answered id 1). Freeing the id only when
/// the work that sent the answer returned left a window in which that legitimate reuse was refused
/// as a duplicate. Each claim has a serial number, so the end of a request's work frees its id only
/// if no later request has claimed it meanwhile.
package final class RequestIDs: Sendable {
    private struct State {
        package var claims: [[UInt8]: UInt64] = [:]
        package var next: UInt64 = 0
    }

    private let state = Locked(State())

    package init() {}

    /// Takes `id` for a new request: its claim, or nil when a request in flight holds it.
    package func claim(_ id: [UInt8]) -> UInt64? {
        state.withLock { state in
            guard state.claims[id] == nil else { return nil }
            state.next &+= 1
            state.claims[id] = state.next
            return state.next
        }
    }

    /// Whether a request in flight holds `id`.
    package func contains(_ id: [UInt8]) -> Bool {
        state.withLock { $0.claims[id] != nil }
    }

    /// The request holding `id` was answered: the IDE may reuse the id from now on.
    package func answered(_ id: [UInt8]) {
        state.withLock { _ = $0.claims.removeValue(forKey: id) }
    }

    /// The work of the request that made `claim` ended: frees `id` unless it was answered and
    /// claimed again by a later request. True when this freed it: the request was never answered.
    @discardableResult
    package func release(_ id: [UInt8], claim: UInt64) -> Bool {
        state.withLock { state in
            guard state.claims[id] == claim else { return false }
            state.claims.removeValue(forKey: id)
            return true
        }
    }
}
