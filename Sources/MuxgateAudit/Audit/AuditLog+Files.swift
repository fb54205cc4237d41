import Dispatch
import Foundation
import MuxgateConfig
import MuxgateWire
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The file under the log: the lock taken for each append, catching up with other writers, rotation, fsync.
extension AuditLog {
    /// Locks the file at `path` (reopening it if another process rotated or removed it) and brings
    /// the chain state up to date when someone else appended.
    static func acquire(_ state: inout State, path: String, hasher: AuditHasher) throws(AuditError) {
        var notes: [String] = []
        while true {
            if state.file == nil {
                state.file = try AuditFile.openLog(path, notes: &notes)
                state.identity = nil
            }
            guard let file = state.file else { continue }
            try file.lock()
            do {
                let (identity, size) = try file.identity()
                guard AuditFile.identity(atPath: path) == identity else {
                    file.unlock()
                    file.release()
                    state.file = nil
                    continue
                }
                if identity != state.identity || size != state.knownSize {
                    try resync(&state, file: file, path: path, hasher: hasher)
                    state.identity = identity
                }
                return
            } catch {
                file.unlock()
                throw error
            }
        }
    }

    /// Takes `seq` and `prev` from the last record of the file (or of the newest rotated file).
    static func resync(
        _ state: inout State,
        file: AuditFile,
        path: String,
        hasher: AuditHasher
    ) throws(AuditError) {
        let (entry, endsWithNewline, size) = try file.lastRecord()
        var last = entry
        var source = path
        if last == nil, let rotated = try AuditFileFamily(path: path).numbered().last?.path {
            let reader = try AuditFile.openForReading(rotated)
            defer { reader.release() }
            last = try reader.lastRecord().entry
            source = rotated
        }
        if let last {
            guard AuditRecord.verifies(last.line, hasher: hasher) else {
                throw AuditError(
                    .chainMismatch,
                    path: source,
                    "the last record (seq \(last.seq)) does not verify with \(hasher.isKeyed ? "the configured key" : "plain SHA-256 (no key_env)"): "
                        + "the key changed or the log was edited; run `muxgate audit verify`, and move the log files aside to start a new chain"
                )
            }
            state.lastSeq = last.seq
            state.lastHash = last.hash
            state.lastKind = AuditEvent.Kind(rawValue: last.event)
        }
        state.knownSize = size
        state.pendingNewline = size > 0 && !endsWithNewline
    }

    /// Renames the full file to the next `PATH.N` and continues the chain in a fresh file.
    func rotate(_ state: inout State) throws(AuditError) {
        guard let old = state.file else { return }
        try Self.sync(&state)
        let target: String
        do {
            target = try AuditFileFamily(path: path).nextRotatedPath()
        } catch {
            throw AuditError(.rotateFailed, path: path, error.message)
        }
        guard rename(path, target) == 0 else {
            throw AuditError(.rotateFailed, path: path, "cannot rename it to \(target): \(AuditFile.describe(errno))")
        }
        var notes: [String] = []
        let fresh: AuditFile
        do {
            fresh = try AuditFile.openLog(path, notes: &notes)
        } catch {
            throw AuditError(.rotateFailed, path: path, "rotated to \(target) but \(error.message)")
        }
        try AuditFile.syncDirectory(Self.directory(of: path))
        try fresh.lock()
        old.unlock()
        old.release()
        state.file = fresh
        state.statistics.rotations += 1
        let (identity, size) = try fresh.identity()
        state.identity = identity
        state.knownSize = 0
        state.pendingNewline = false
        if size != 0 { try Self.resync(&state, file: fresh, path: path, hasher: hasher) }
    }

    static func sync(_ state: inout State) throws(AuditError) {
        guard state.dirty, let file = state.file else { return }
        try file.sync()
        state.dirty = false
        state.lastSync = .now
        state.statistics.syncs += 1
    }

    static func directory(of path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }
}
