import Foundation
import MuxgateConfig
import MuxgateWire
import Synchronization

/// A record waiting for the group commit, and what it resolves.
package struct GroupCommitWaiter: Sendable {
    package let seq: UInt64
    package let durable: Bool
    package let ticket: AuditTicket
}

/// What waits for a record's group commit (`AuditLog.appendAwaitable`): resolved once, after the
/// fsync that covers the record (or one that failed).
package final class AuditTicket: Sendable {
    private enum State {
        case waiting((@Sendable (AuditError?) -> Void)?)
        case resolved(AuditError?)
    }

    private let state = Mutex(State.waiting(nil))

    package init() {}

    /// Runs `body` once the ticket is resolved (at once, on this thread, if it is already), with
    /// the error of the fsync that should have covered the record, if it failed.
    package func whenResolved(_ body: @escaping @Sendable (AuditError?) -> Void) {
        let resolved = state.withLock { state -> AuditError?? in
            switch state {
            case .waiting:
                state = .waiting(body)
                return nil
            case .resolved(let error):
                return .some(error)
            }
        }
        if let resolved { body(resolved) }
    }

    package func resolve(_ error: AuditError?) {
        let body = state.withLock { state -> (@Sendable (AuditError?) -> Void)? in
            guard case .waiting(let body) = state else { return nil }
            state = .resolved(error)
            return body
        }
        body?(error)
    }
}
