import Dispatch
package import Foundation
package import MuxgateConfig
import MuxgateWire
import Synchronization

/// Writes signed checkpoints of an `AuditLog` to an anchor file outside it (and to syslog).
///
/// A checkpoint names the last record of the log (its `seq` and hash) and the first one the anchor
/// knows, is signed with Ed25519 and chained to the checkpoint before it (`AuditCheckpoint`). One
/// is written when the anchor's thread starts, every `interval` while new records exist, and
/// after the `stop` record (`finish(covering:)`) — never on a call's path: the thread
/// (`muxgate.anchor`) asks the log for its head once an interval. After an interval's checkpoint
/// the log gets a `checkpoint` record naming it, so an anchor rolled back past it is found.
///
/// The anchor file is appended to under an exclusive `flock` and fsynced, and each checkpoint
/// continues from the file's last one, so several muxgate processes sharing a log share its
/// anchor too. If the file loses checkpoints this process wrote (deleted, truncated), the chain
/// continues from what this process remembers, so the gap shows instead of a fresh chain.
package final class AuditAnchor: Sendable {
    /// The anchor file.
    package let path: String
    package let interval: Duration
    package let keyID: String
    private let key: AuditSigningKey
    private let log: AuditLog
    private let syslog: AuditSyslog?
    private let now: @Sendable () -> Date
    /// Told of what went wrong off the caller's path (a failed checkpoint, a lost one, syslog).
    private let report: @Sendable (AuditError) -> Void
    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)

    private struct State {
        /// The last checkpoint this process wrote.
        package var last: AuditCheckpoint?
        package var written = 0
        package var running = false
        package var stopping = false
    }

    /// Prepares the anchor of `log`: its directory is created (0700) if missing, and an existing
    /// anchor must have been signed with `key`.
    ///
    /// - Parameters:
    ///   - syslog: Where a copy of each checkpoint goes, if anywhere.
    ///   - report: Told of failures that happen on the anchor's thread.
    /// - Throws: `AuditError` when the directory or file is unusable, or the anchor's last
    ///   checkpoint was signed with another key.
    package init(
        path: String,
        key: AuditSigningKey,
        log: AuditLog,
        interval: Duration = AuditAnchorConfig.defaultInterval,
        syslog: AuditSyslog? = nil,
        now: @escaping @Sendable () -> Date = { Date() },
        report: @escaping @Sendable (AuditError) -> Void = { _ in }
    ) throws(AuditError) {
        self.path = path
        self.key = key
        self.keyID = key.publicKey.id
        self.log = log
        self.interval = interval
        self.syslog = syslog
        self.now = now
        self.report = report
        var notes: [String] = []
        let directory = (path as NSString).deletingLastPathComponent
        try AuditFile.prepareDirectory(directory.isEmpty ? "." : directory, notes: &notes)
        guard FileManager.default.fileExists(atPath: path) else { return }
        let file = try AuditFile.openForReading(path)
        defer { file.release() }
        if let last = try file.lastLine(AuditCheckpoint.parse).value, last.key != keyID {
            throw AuditError(
                .anchorKey,
                path: path,
                "its checkpoints are signed with key \(last.key), not with this key (\(keyID)): point "
                    + "audit.anchor.path at a new file when you change the key (keep the old one to verify the older log)"
            )
        }
    }

    /// Opens the anchor `config` describes for `log`: reads the key and checks the file.
    ///
    /// - Throws: `AuditError` (`anchorKey`) when the key is unusable; see `init`.
    package static func open(
        config: AuditAnchorConfig,
        log: AuditLog,
        environment: [String: String],
        directory: String? = nil,
        report: @escaping @Sendable (AuditError) -> Void = { _ in }
    ) throws(AuditError) -> AuditAnchor {
        try AuditAnchor(
            path: config.resolvedPath(environment: environment, directory: directory),
            key: config.signingKey(environment: environment, directory: directory),
            log: log,
            interval: config.interval,
            syslog: config.syslog ? AuditSyslog() : nil,
            report: report
        )
    }

    /// How many checkpoints this process wrote.
    package var written: Int { state.withLock { $0.written } }

    /// Starts the anchor's thread (`muxgate.anchor`): a checkpoint now if records are not covered
    /// yet, then one every `interval` while new records exist.
    package func start() {
        let start = state.withLock { state -> Bool in
            guard !state.running, !state.stopping else { return false }
            state.running = true
            return true
        }
        guard start else { return }
        let thread = Thread { [self] in
            nameThisThread("muxgate.anchor")
            var reason = AuditCheckpoint.Reason.start
            while true {
                do throws(AuditError) {
                    try tick(reason)
                } catch {
                    report(error)
                }
                reason = .interval
                let timeout = DispatchTime.now() + .nanoseconds(Int(interval.seconds * 1e9))
                if wakeup.wait(timeout: timeout) == .success, state.withLock({ $0.stopping }) { break }
            }
            exited.signal()
        }
        thread.name = "muxgate.anchor"
        thread.start()
    }

    /// Stops the thread, then writes the last checkpoint: the one covering `head` (the `stop`
    /// record `AuditLog.close` returns).
    ///
    /// - Throws: `AuditError` when the checkpoint cannot be written.
    package func finish(covering head: AuditLog.Head?) throws(AuditError) {
        stop()
        guard let head else { return }
        try checkpoint(.stop, covering: head)
    }

    /// Stops the anchor's thread (a checkpoint it is writing completes first).
    package func stop() {
        let running = state.withLock { state -> Bool in
            state.stopping = true
            defer { state.running = false }
            return state.running
        }
        guard running else { return }
        wakeup.signal()
        exited.wait()
    }

    /// One turn of the thread: a checkpoint if new records exist, then a `checkpoint` record.
    package func tick(_ reason: AuditCheckpoint.Reason) throws(AuditError) {
        guard let checkpoint = try checkpoint(reason) else { return }
        try log.append(.checkpoint(checkpoint), durable: false)
    }

    /// Writes a checkpoint covering `head` (default: the log's current end) unless the anchor's
    /// last checkpoint covers it already, or only its own `checkpoint` record is new.
    ///
    /// - Returns: The checkpoint written; nil when none was needed.
    /// - Throws: `AuditError` when the anchor cannot be written or fsynced, or the log read.
    @discardableResult
    package func checkpoint(_ reason: AuditCheckpoint.Reason, covering: AuditLog.Head? = nil)
        throws(AuditError) -> AuditCheckpoint?
    {
        let head: AuditLog.Head
        if let covering { head = covering } else { head = try log.head() }
        guard head.seq > 0 else { return nil }
        var notes: [String] = []
        let file = try AuditFile.openLog(path, notes: &notes)
        defer { file.release() }
        try file.lock()
        defer { file.unlock() }
        let (found, endsWithNewline, size) = try file.lastLine(AuditCheckpoint.parse)
        let remembered = state.withLock { $0.last }
        if let found, found.key != keyID, remembered == nil {
            throw AuditError(
                .anchorFailed,
                path: path,
                "its last checkpoint is signed with key \(found.key), not this key (\(keyID)); no checkpoint written"
            )
        }
        var previous = found?.key == keyID ? found : nil
        if let remembered, remembered.number > previous?.number ?? 0 {
            report(
                AuditError(
                    .anchorFailed,
                    path: path,
                    "the anchor lost checkpoints this process wrote (its last is \(previous.map { "#\($0.number)" } ?? "none"), "
                        + "this process wrote #\(remembered.number)): it was deleted, truncated or replaced; "
                        + "continuing the chain from #\(remembered.number), so `audit verify --anchor` shows the gap"
                )
            )
            previous = remembered
        }
        if reason != .stop, let previous {
            let covered = previous.seq == head.seq && previous.hash == head.hash
            let onlyItsRecord = head.isCheckpoint && head.seq == previous.seq + 1
            if covered || onlyItsRecord { return nil }
            if head.seq < previous.seq {
                report(
                    AuditError(
                        .anchorFailed,
                        path: log.path,
                        "the log ends at seq \(head.seq) but checkpoint #\(previous.number) covers seq \(previous.seq): "
                            + "records were removed from its end; run `muxgate audit verify --anchor \(path)`"
                    )
                )
            }
        }
        let first: (seq: UInt64, hash: String)
        if let previous {
            first = (previous.firstSeq, previous.firstHash)
        } else if let entry = AuditFileFamily(path: log.path).firstEntry() {
            first = (entry.seq, entry.hash)
        } else {
            first = (head.seq, head.hash)
        }
        let checkpoint = try AuditCheckpoint.make(
            number: (previous?.number ?? 0) + 1,
            ts: AuditTimestamp.format(now()),
            key: key,
            session: log.session,
            reason: reason,
            first: first,
            covering: head,
            prev: previous?.lineHash ?? AuditRecord.genesis
        )
        var bytes: [UInt8] = size > 0 && !endsWithNewline ? [0x0A] : []
        bytes += checkpoint.line
        bytes.append(0x0A)
        let (written, error) = file.writeAll(bytes)
        if let error {
            throw AuditError(
                .anchorFailed,
                path: path,
                "wrote \(written) of \(bytes.count) bytes of checkpoint #\(checkpoint.number): \(AuditFile.describe(error))"
            )
        }
        try file.sync()
        if size == 0 {
            let directory = (path as NSString).deletingLastPathComponent
            try AuditFile.syncDirectory(directory.isEmpty ? "." : directory)
        }
        state.withLock { state in
            state.last = checkpoint
            state.written += 1
        }
        if let syslog {
            do {
                try syslog.send(checkpoint.line)
            } catch {
                report(error)
            }
        }
        return checkpoint
    }
}
