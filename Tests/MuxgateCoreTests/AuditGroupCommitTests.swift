import Dispatch
import Foundation
import Synchronization
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

/// The group commit: durable records share fsyncs, and what waits for one runs only once its
/// record is on disk, in the order records were appended.
@Suite("Audit log: group commit")
struct AuditGroupCommitTests {
    /// Holds the group-commit thread before its first fsync until `release()`.
    final class Gate: Sendable {
        private let held = Mutex(true)
        private let reached = DispatchSemaphore(value: 0)
        private let opened = DispatchSemaphore(value: 0)

        func beforeCommit() {
            guard held.withLock({ $0 }) else { return }
            reached.signal()
            opened.wait()
        }

        /// Waits until the thread is held at its first fsync.
        func awaitHeld() { reached.wait() }

        func release() {
            held.withLock { $0 = false }
            opened.signal()
        }
    }

    /// What the waiting bodies saw: their names in the order they ran, and the fsyncs done by then.
    final class Runs: Sendable {
        private let entries = Mutex<[(name: String, syncs: Int)]>([])
        private let done = DispatchSemaphore(value: 0)

        func body(_ name: String, _ log: @escaping @Sendable () -> AuditLog?) -> @Sendable (AuditError?) -> Void {
            { [self] error in
                entries.withLock { $0.append((error == nil ? name : name + " failed", log()?.statistics.syncs ?? -1)) }
                done.signal()
            }
        }

        func awaitCount(_ count: Int) -> Bool {
            for _ in 0..<count where done.wait(timeout: .now() + 10) == .timedOut { return false }
            return true
        }

        var names: [String] { entries.withLock { $0.map(\.name) } }
        var syncs: [Int] { entries.withLock { $0.map(\.syncs) } }
    }

    /// `appendAwaitable`, with `body` run when what waits on the record may go on.
    static func append(
        _ log: AuditLog,
        _ event: AuditEvent,
        durable: Bool,
        then body: @escaping @Sendable (AuditError?) -> Void
    ) throws {
        guard let ticket = try log.appendAwaitable(event, durable: durable) else { return body(nil) }
        ticket.whenResolved(body)
    }

    /// A log whose bodies can read it back (set once it exists).
    final class Box: Sendable {
        let log = Mutex<AuditLog?>(nil)
        var get: @Sendable () -> AuditLog? { { [self] in log.withLock { $0 } } }
    }

    @Test("durable records appended while an fsync runs share the next one; each body runs after its record's fsync")
    func sharedFsync() throws {
        let scratch = try AuditScratch()
        let gate = Gate()
        let log = try AuditLog(
            path: scratch.path,
            key: nil,
            groupCommit: .seconds(60),
            beforeCommit: { gate.beforeCommit() }
        )
        let box = Box()
        box.log.withLock { $0 = log }
        log.startGroupCommit()
        let runs = Runs()
        try Self.append(log, AuditScratch.decision(0, decision: .deny), durable: true, then: runs.body("d0", box.get))
        gate.awaitHeld()
        for index in 1...40 {
            try Self.append(
                log,
                AuditScratch.decision(index, decision: .deny),
                durable: true,
                then: runs.body("d\(index)", box.get)
            )
        }
        #expect(runs.names.isEmpty, "nothing runs before its record is on disk")
        gate.release()
        #expect(runs.awaitCount(41))
        #expect(runs.names == (0...40).map { "d\($0)" }, "in the order appended")
        #expect(log.statistics.syncs == 2, "the first fsync for d0, one more for the 40 appended meanwhile")
        #expect(runs.syncs.first == 1 && runs.syncs.dropFirst().allSatisfy { $0 == 2 }, "\(runs.syncs)")
        try log.close(reason: "done")
        #expect(scratch.verify().isIntact)
    }

    @Test("a read's work waits behind a durable record still waiting, and runs at once when nothing waits")
    func orderKept() throws {
        let scratch = try AuditScratch()
        let gate = Gate()
        let log = try AuditLog(
            path: scratch.path,
            key: nil,
            groupCommit: .seconds(60),
            beforeCommit: { gate.beforeCommit() }
        )
        let box = Box()
        box.log.withLock { $0 = log }
        log.startGroupCommit()
        let runs = Runs()
        try Self.append(log, AuditScratch.decision(0), durable: false, then: runs.body("read before", box.get))
        #expect(runs.names == ["read before"], "nothing waited: it ran on the caller's thread")
        try Self.append(
            log,
            AuditScratch.decision(1, decision: .deny),
            durable: true,
            then: runs.body("write", box.get)
        )
        gate.awaitHeld()
        try Self.append(log, AuditScratch.decision(2), durable: false, then: runs.body("read after", box.get))
        #expect(runs.names == ["read before"], "the read behind the waiting write waits too")
        gate.release()
        #expect(runs.awaitCount(3))
        #expect(runs.names == ["read before", "write", "read after"])
        try log.close(reason: "done")
    }

    @Test("close runs what still waits for the group commit before its stop record")
    func closeDrains() throws {
        let scratch = try AuditScratch()
        let log = try AuditLog(path: scratch.path, key: nil, groupCommit: .seconds(60))
        let box = Box()
        box.log.withLock { $0 = log }
        log.startGroupCommit()
        let runs = Runs()
        for index in 0..<10 {
            try Self.append(
                log,
                AuditScratch.decision(index, decision: .deny),
                durable: true,
                then: runs.body("d\(index)", box.get)
            )
        }
        try log.close(reason: "done")
        #expect(runs.names == (0..<10).map { "d\($0)" })
        #expect(try scratch.lines().last?.contains(#""event":"stop""#) == true)
        #expect(scratch.verify().isIntact)
    }

    @Test("a non-durable record is fsynced by the committer within its interval, without a durable one to wake it")
    func intervalCommit() async throws {
        let scratch = try AuditScratch()
        let log = try AuditLog(path: scratch.path, key: nil, groupCommit: .milliseconds(20))
        log.startGroupCommit()
        try log.append(AuditScratch.decision(0), durable: false)
        let deadline = ContinuousClock.now + .seconds(10)
        while log.statistics.syncs == 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))  // the interval itself is what is tested
        }
        #expect(log.statistics.syncs == 1)
        try log.close(reason: "done")
    }
}
