import Dispatch
import Foundation
import MuxgateConfig
import MuxgateWire
import Synchronization

/// The group commit: one thread fsyncs for every record that waits, and runs what waited.
extension AuditLog {
    /// Starts the group-commit thread (`muxgate.audit`): it fsyncs as soon as a durable record
    /// waits (covering every record written meanwhile) and runs what waited for it, and otherwise
    /// fsyncs non-durable records within `groupCommit`. From now on no append fsyncs on its
    /// caller's thread unless it asks to (`append(_:durable:)` with `durable`). `close` stops it.
    ///
    /// - Parameter failed: Told of an fsync that failed while no record waited for it.
    package func startGroupCommit(failed: @escaping @Sendable (AuditError) -> Void = { _ in }) {
        let start = state.withLock { state -> Bool in
            guard !state.committerRunning, !state.closed else { return false }
            state.committerRunning = true
            state.syncsInBackground = true
            return true
        }
        guard start else { return }
        let thread = Thread { [self] in
            nameThisThread("muxgate.audit")
            runGroupCommit(failed: failed)
            committerExited.signal()
        }
        thread.name = "muxgate.audit"
        thread.start()
    }

    /// What the group-commit thread does next.
    private enum CommitStep {
        case sync(AuditFile, seq: UInt64, writes: UInt64)
        case sleep(until: ContinuousClock.Instant?)
        /// The fsync could not even begin: what waits gets the error.
        case fail(AuditError)
        case exit
    }

    private func runGroupCommit(failed: @Sendable (AuditError) -> Void) {
        while true {
            let step = state.withLock { state -> CommitStep in
                // Awake (after a wakeup, a producer marked it so already; after a timeout, here).
                state.committerIdle = false
                let waiting = state.waitersHead < state.waiters.count
                let due = state.dirty && (state.committerStopping || .now - state.lastSync >= groupCommit)
                if waiting || due, let file = state.file {
                    // A duplicate: a rotation may close the original while the disk works.
                    let copy = fcntl(file.descriptor, F_DUPFD_CLOEXEC, 0)
                    guard copy >= 0 else {
                        return .fail(
                            AuditError(
                                .syncFailed,
                                path: path,
                                "cannot duplicate the descriptor: \(AuditFile.describe(errno))"
                            )
                        )
                    }
                    return .sync(AuditFile(descriptor: copy, path: path), seq: state.lastSeq, writes: state.writes)
                }
                if state.committerStopping && !waiting { return .exit }
                state.committerIdle = true
                return .sleep(until: state.dirty ? state.lastSync + groupCommit : nil)
            }
            switch step {
            case .exit:
                return
            case .fail(let error):
                let waiting = state.withLock { state -> [GroupCommitWaiter] in
                    defer {
                        state.waiters = []
                        state.waitersHead = 0
                    }
                    return Array(state.waiters[state.waitersHead...])
                }
                if waiting.isEmpty { failed(error) }
                for waiter in waiting { waiter.ticket.resolve(waiter.durable ? error : nil) }
                // Not again at once: the next record, or the interval, tries again.
                _ = committerWakeup.wait(timeout: .now() + .nanoseconds(Int(groupCommit.seconds * 1e9)))
            case .sleep(let until):
                if let until {
                    let wait = max(.zero, until - .now)
                    _ = committerWakeup.wait(timeout: .now() + .nanoseconds(Int(wait.seconds * 1e9)))
                } else {
                    committerWakeup.wait()
                }
            case .sync(let file, let seq, let writes):
                beforeCommit()
                var failure: AuditError?
                do throws(AuditError) {
                    try file.sync()
                } catch {
                    failure = error
                }
                file.release()
                let ready = state.withLock { state -> [GroupCommitWaiter] in
                    if failure == nil {
                        if state.writes == writes { state.dirty = false }
                        state.syncedSeq = max(state.syncedSeq, seq)
                        state.statistics.syncs += 1
                    }
                    state.lastSync = .now
                    // Behind a durable record the fsync did not cover, everything waits.
                    var ready: [GroupCommitWaiter] = []
                    while state.waitersHead < state.waiters.count {
                        let next = state.waiters[state.waitersHead]
                        guard !next.durable || next.seq <= seq else { break }
                        ready.append(next)
                        state.waitersHead += 1
                    }
                    if state.waitersHead == state.waiters.count || state.waitersHead > 1024 {
                        state.waiters.removeFirst(state.waitersHead)
                        state.waitersHead = 0
                    }
                    return ready
                }
                if let failure, ready.isEmpty { failed(failure) }
                for waiter in ready { waiter.ticket.resolve(waiter.durable ? failure : nil) }
            }
        }
    }

    /// Whether the group-commit thread sleeps and must be woken (it is then marked awake, so one
    /// wakeup is signalled however many appends find it asleep).
    package static func wakeCommitter(_ state: inout State) -> Bool {
        guard state.committerRunning, state.committerIdle else { return false }
        state.committerIdle = false
        return true
    }

    /// Stops the group-commit thread once everything waiting for it has run.
    package func stopGroupCommit() {
        let running = state.withLock { state -> Bool in
            guard state.committerRunning else { return false }
            state.committerRunning = false
            state.committerStopping = true
            state.committerIdle = false
            return true
        }
        guard running else { return }
        committerWakeup.signal()
        committerExited.wait()
    }
}
