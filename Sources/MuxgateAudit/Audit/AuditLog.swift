import Dispatch
package import Foundation
package import MuxgateConfig
import MuxgateWire
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Counters of what an `AuditLog` has done (tests, benchmarks).
package struct AuditStatistics: Sendable, Equatable {
    package var records = 0
    package var bytes = 0
    package var syncs = 0
    package var rotations = 0
}

/// The tamper-evident audit log: hash-chained JSON Lines records, fsynced when asked.
///
/// Every call does blocking file I/O under a `Mutex`. Several muxgate processes may share one
/// log: each append holds an exclusive `flock` and continues the chain from the file's last record,
/// so `seq` stays gap-free across processes, sessions and rotated files.
package final class AuditLog: Sendable {
    /// The live file.
    package let path: String
    /// The session id minted for this process (a UUID).
    package let session: String
    /// What `open` fixed on the way (modes tightened), for the caller to log.
    package let notes: [String]
    /// The id of the anchor's public key, written in `start` and `stop` records when the log is
    /// anchored (`audit.anchor`).
    package let anchorKeyID: String?
    let hasher: AuditHasher
    private let rotateBytes: Int
    package let groupCommit: Duration
    private let now: @Sendable () -> Date
    /// Runs on the group-commit thread before each of its fsyncs (tests hold it there).
    package let beforeCommit: @Sendable () -> Void
    let state: Mutex<State>
    /// Strings that never reach the file (its own lock: records are scrubbed before the log's).
    private let scrubber: Mutex<AuditScrubber>
    /// Wakes the group-commit thread; signalled once it exits.
    package let committerWakeup = DispatchSemaphore(value: 0)
    package let committerExited = DispatchSemaphore(value: 0)

    package struct State {
        package var file: AuditFile?
        package var closed = false
        package var identity: AuditFile.Identity?
        package var knownSize: Int64 = 0
        package var lastSeq: UInt64 = 0
        package var lastHash = AuditRecord.genesis
        /// The kind of the last record (the anchor skips a checkpoint when only its own record is new).
        package var lastKind: AuditEvent.Kind?
        /// The file ends without a newline (a torn write): the next record starts a fresh line.
        package var pendingNewline = false
        /// Written but not yet fsynced.
        package var dirty = false
        /// The last record a completed group-commit fsync covers.
        package var syncedSeq: UInt64 = 0
        /// Records written so far (tells an fsync whether more came while it ran).
        package var writes: UInt64 = 0
        /// `AuditService` runs the group commit.
        package var syncsInBackground = false
        package var lastSync = ContinuousClock.now
        /// Work waiting for the group commit, in the order it was appended (see `append(_:durable:then:)`).
        package var waiters: [GroupCommitWaiter] = []
        package var waitersHead = 0
        /// The group-commit thread runs (`startGroupCommit`); it sleeps while `committerIdle`.
        package var committerRunning = false
        package var committerIdle = false
        package var committerStopping = false
        package var statistics = AuditStatistics()
    }

    /// Opens the log `config` describes, creating it and its directory if needed.
    ///
    /// - Parameters:
    ///   - environment: Resolves `~`, `$XDG_STATE_HOME` and `key_env`.
    ///   - secrets: Strings that must never reach the file (env values given to children); the key is added.
    ///   - directory: Where a relative `audit.path` starts (the configuration's directory).
    ///   - groupCommit: The longest a non-durable record waits for `fsync` while appends continue.
    ///   - anchorKeyID: The anchor's public key id when `audit.anchor` is set (see `AuditAnchor`).
    /// - Throws: `AuditError` when the key is missing, the file or directory is unusable, or the
    ///   existing last record does not verify with the key.
    package static func open(
        config: AuditConfig,
        environment: [String: String],
        secrets: [String] = [],
        directory: String? = nil,
        groupCommit: Duration = .milliseconds(50),
        anchorKeyID: String? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws(AuditError) -> AuditLog {
        let key = try config.key(environment: environment)
        return try AuditLog(
            path: config.resolvedPath(environment: environment, directory: directory),
            key: key,
            rotateBytes: config.rotateBytes,
            secrets: secrets,
            groupCommit: groupCommit,
            anchorKeyID: anchorKeyID,
            now: now
        )
    }

    /// Opens the log at `path` (see `open(config:environment:…)`).
    package init(
        path: String,
        key: [UInt8]?,
        rotateBytes: Int = AuditConfig.defaultRotateBytes,
        secrets: [String] = [],
        groupCommit: Duration = .milliseconds(50),
        anchorKeyID: String? = nil,
        now: @escaping @Sendable () -> Date = { Date() },
        beforeCommit: @escaping @Sendable () -> Void = {}
    ) throws(AuditError) {
        self.path = path
        self.anchorKeyID = anchorKeyID
        self.beforeCommit = beforeCommit
        self.session = UUID().uuidString.lowercased()
        self.hasher = AuditHasher(key: key)
        self.rotateBytes = rotateBytes
        self.groupCommit = groupCommit
        self.now = now
        var scrubber = AuditScrubber(secrets)
        if let key { scrubber.add([String(decoding: key, as: UTF8.self)]) }
        var notes: [String] = []
        try AuditFile.prepareDirectory(Self.directory(of: path), notes: &notes)
        var state = State(file: try AuditFile.openLog(path, notes: &notes))
        do {
            try AuditFile.syncDirectory(Self.directory(of: path))
            try Self.acquire(&state, path: path, hasher: hasher)
            state.file?.unlock()
        } catch {
            state.file?.release()
            throw error
        }
        self.notes = notes
        self.state = Mutex(state)
        self.scrubber = Mutex(scrubber)
    }

    deinit {
        state.withLock { $0.file?.release() }
    }

    /// Appends one record and returns its `seq`.
    ///
    /// The record is written with one `write` before this returns, so it survives a crash of
    /// muxgate. With `durable` it is also fsynced (and so is everything before it); otherwise the
    /// fsync is group-committed: at the next durable append, `sync()` (`AuditService`'s timer),
    /// `close`, or — when no timer runs — an append at least `groupCommit` after the last fsync.
    /// No fsync holds the lock: other appends go on while the disk works.
    ///
    /// - Throws: `AuditError` when the record could not be written (nothing of it counts) or
    ///   fsynced (it is written but may not be on disk).
    @discardableResult
    package func append(_ event: AuditEvent, durable: Bool) throws(AuditError) -> UInt64 {
        let record = prepare(event)
        let (seq, due, wake) = try state.withLock { (state) throws(AuditError) -> (UInt64, Bool, Bool) in
            let wasClean = !state.dirty
            let seq = try self.append(record, &state)
            let due = !state.syncsInBackground && ContinuousClock.now - state.lastSync >= groupCommit
            return (seq, due, !durable && wasClean && Self.wakeCommitter(&state))
        }
        if wake { committerWakeup.signal() }
        if durable || due { try sync() }
        return seq
    }

    /// Appends one record that what it decides waits for: nil when that may go on now (the
    /// record need not be on disk, or was fsynced right here, and nothing appended before it still
    /// waits); otherwise a ticket that is resolved after the fsync covering it, on the
    /// group-commit thread (`startGroupCommit`), in the order the records were appended.
    ///
    /// This is how a call's decision is made durable without an fsync per call: every record
    /// appended while one fsync runs is covered by the next, so concurrent calls share it.
    /// Without the group-commit thread, a durable record is fsynced on the caller's thread.
    ///
    /// - Throws: `AuditError` when the record could not be written, or (without the group-commit
    ///   thread) fsynced.
    package func appendAwaitable(_ event: AuditEvent, durable: Bool) throws(AuditError) -> AuditTicket? {
        let record = prepare(event)
        let (ticket, wake) = try state.withLock { (state) throws(AuditError) -> (AuditTicket?, Bool) in
            let wasClean = !state.dirty
            let seq = try self.append(record, &state)
            guard state.committerRunning, durable || state.waitersHead < state.waiters.count else {
                // Clean until now: the committer sleeps without a deadline and must start one.
                return (nil, wasClean && Self.wakeCommitter(&state))
            }
            let ticket = AuditTicket()
            state.waiters.append(GroupCommitWaiter(seq: seq, durable: durable, ticket: ticket))
            return (ticket, Self.wakeCommitter(&state))
        }
        if wake { committerWakeup.signal() }
        if ticket == nil && durable { try sync() }
        return ticket
    }

    /// Fsyncs records written since the last fsync (the group-commit tick, and every durable append).
    ///
    /// The disk is waited for outside the lock, on a duplicate of the descriptor (a rotation may
    /// close the original meanwhile), so appends by other calls go on during an fsync.
    package func sync() throws(AuditError) {
        let pending = try state.withLock { (state) throws(AuditError) -> (AuditFile, UInt64)? in
            guard state.dirty, let file = state.file else { return nil }
            // Close-on-exec: a child started meanwhile must not inherit the audit log.
            let copy = fcntl(file.descriptor, F_DUPFD_CLOEXEC, 0)
            guard copy >= 0 else {
                throw AuditError(
                    .syncFailed,
                    path: path,
                    "cannot duplicate the descriptor: \(AuditFile.describe(errno))"
                )
            }
            return (AuditFile(descriptor: copy, path: path), state.writes)
        }
        guard let (file, writes) = pending else { return }
        defer { file.release() }
        try file.sync()
        state.withLock { state in
            // Only what was written before the fsync began is known to be on disk.
            if state.writes == writes { state.dirty = false }
            state.lastSync = .now
            state.statistics.syncs += 1
        }
    }

    /// Writes a `stop` record, fsyncs and closes the file; later appends throw `closed`. What
    /// waits for the group commit runs first.
    ///
    /// - Returns: The `stop` record's place in the chain (what the anchor's last checkpoint
    ///   covers); nil when the log was closed already.
    @discardableResult
    package func close(reason: String) throws(AuditError) -> Head? {
        stopGroupCommit()
        let stop = prepare(.stop(reason: reason))
        return try state.withLock { (state) throws(AuditError) -> Head? in
            guard !state.closed else { return nil }
            defer {
                state.file?.release()
                state.file = nil
                state.closed = true
            }
            _ = try append(stop, &state)
            try Self.sync(&state)
            return Head(seq: state.lastSeq, hash: state.lastHash, isCheckpoint: false)
        }
    }

    /// Where the chain ends: the last record's `seq` and hash.
    package struct Head: Sendable, Equatable {
        package let seq: UInt64
        package let hash: String
        /// The last record is a `checkpoint` record (written after the anchor's checkpoint).
        package let isCheckpoint: Bool

        package init(seq: UInt64, hash: String, isCheckpoint: Bool = false) {
            self.seq = seq
            self.hash = hash
            self.isCheckpoint = isCheckpoint
        }
    }

    /// The chain's current end, records other processes appended included (the anchor's thread
    /// asks once an interval; it takes the lock and the file's `flock` as an append does).
    ///
    /// - Throws: `AuditError` when the file cannot be locked or read.
    package func head() throws(AuditError) -> Head {
        try state.withLock { (state) throws(AuditError) -> Head in
            if !state.closed {
                try Self.acquire(&state, path: path, hasher: hasher)
                state.file?.unlock()
            }
            return Head(seq: state.lastSeq, hash: state.lastHash, isCheckpoint: state.lastKind == .checkpoint)
        }
    }

    /// Adds strings that must never reach the file (e.g. a restarted child's new env values).
    package func addSecrets(_ secrets: [String]) {
        scrubber.withLock { $0.add(secrets) }
    }

    package var statistics: AuditStatistics { state.withLock { $0.statistics } }

    /// The `seq` of the last record the group commit has put on disk.
    package var syncedSeq: UInt64 { state.withLock { $0.syncedSeq } }

    /// The `seq` of the last record this log wrote or found.
    package var lastSeq: UInt64 { state.withLock { $0.lastSeq } }

    /// A record's event fields, scrubbed and encoded: what can be done before taking the lock.
    private struct PreparedRecord {
        package let kind: AuditEvent.Kind
        package let fields: [UInt8]
    }

    private func prepare(_ event: AuditEvent) -> PreparedRecord {
        var event = event
        if event.kind == .start {
            event.add("chain", .string(hasher.algorithm))
            event.add("pid", .int(Int(getpid())))
        }
        if let anchorKeyID, event.kind == .start || event.kind == .stop {
            event.add("anchor", .string(anchorKeyID))
        }
        // The log's own secrets (its key) and every one the process knows (`Secrets`), refreshed
        // when one was added since.
        let known = Secrets.shared.version
        let scrubber = self.scrubber.withLock { scrubber in
            if scrubber.sharedVersion != known {
                scrubber.add(Secrets.shared.snapshot.values)
                scrubber.sharedVersion = known
            }
            return scrubber
        }
        if !scrubber.secrets.isEmpty {
            event = AuditEvent(event.kind, event.fields.map { ($0.0, scrubber.scrub($0.1)) })
        }
        return PreparedRecord(kind: event.kind, fields: AuditRecord.fields(of: event))
    }

    /// Writes one record (not fsynced) under the lock: its place in the chain, hash and `write`.
    private func append(_ record: PreparedRecord, _ state: inout State) throws(AuditError) -> UInt64 {
        guard !state.closed else {
            throw AuditError(.closed, path: path, "the audit log was closed; no record can be appended")
        }
        try Self.acquire(&state, path: path, hasher: hasher)
        defer { state.file?.unlock() }
        var rotated = false
        while true {
            let seq = state.lastSeq + 1
            let (line, hash) = AuditRecord.encode(
                seq: seq,
                ts: AuditTimestamp.format(now()),
                kind: record.kind,
                fields: record.fields,
                session: session,
                prev: state.lastHash,
                hasher: hasher
            )
            var bytes: [UInt8] = state.pendingNewline ? [0x0A] : []
            bytes += line
            bytes.append(0x0A)
            if !rotated, state.knownSize > 0, state.knownSize + Int64(bytes.count) > Int64(rotateBytes) {
                try rotate(&state)
                rotated = true
                continue
            }
            guard let file = state.file else { throw AuditError(.closed, path: path, "the log file is not open") }
            let (written, error) = file.writeAll(bytes)
            state.knownSize += Int64(written)
            if let error {
                if written > 0 { state.pendingNewline = true }
                // A record missing only its newline is whole: it verifies and the chain goes on.
                guard written >= bytes.count - 1 else {
                    throw AuditError(
                        .writeFailed,
                        path: path,
                        "wrote \(written) of \(bytes.count) bytes: \(AuditFile.describe(error)); free space or fix the file"
                    )
                }
            } else {
                state.pendingNewline = false
            }
            state.lastSeq = seq
            state.lastHash = hash
            state.lastKind = record.kind
            state.dirty = true
            state.writes += 1
            state.statistics.records += 1
            state.statistics.bytes += written
            return seq
        }
    }
}
