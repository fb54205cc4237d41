import Foundation
import Glibc
import MuxgateWire
import Synchronization

/// Where quotas survive a restart: one JSON line per counted call, `{"limit":…,"caller":…,
/// "window":…,"used":…}` (the count after the call), appended to `limits.journal` beside the
/// audit log.
///
/// Every muxgate sharing the directory shares the counts: a quota check holds the file's
/// exclusive `flock`, first reads the lines others appended since it last looked, then appends
/// its own with one `write(2)` (`O_APPEND`). A line survives muxgate being killed at once; a power
/// loss can lose what the kernel had not yet written back (the quota then undercounts those
/// calls). Reading keeps, per limit and caller, the highest count of the newest window, and cuts
/// off a last line a crash left unfinished. Past 1 MiB the file is rewritten in place, under the lock, with
/// only the current counts.
package final class LimitJournal: Sendable {
    /// Counts per (limit, caller): the newest window and its count.
    package typealias Counts = [LimitKey: (window: Int, used: Int)]

    package let path: String
    private let descriptor: Int32
    /// How far the file has been read.
    private let offset = Mutex(0)
    private static let compactAbove = 1 << 20

    /// Opens (creating) the journal; `lock` then reads its counts.
    ///
    /// - Throws: Naming the file, what failed and what to do: quotas fail closed on it.
    package init(path: String) throws(LimitJournalError) {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw LimitJournalError(path: path, "cannot create its directory: \(error.localizedDescription)")
        }
        descriptor = Glibc.open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw LimitJournalError(
                path: path,
                "cannot be opened: \(String(cString: strerror(errno))) (check its owner and mode)"
            )
        }
        self.path = path
    }

    deinit { close(descriptor) }

    /// Takes the file's exclusive lock and reads what was appended since the last look (all of
    /// it, the first time). `unlock` must follow.
    ///
    /// - Parameter since: Counts of windows that started before this are left out.
    package func lock(since: Int) throws(LimitJournalError) -> Counts {
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw LimitJournalError(path: path, "cannot be locked: \(String(cString: strerror(errno)))")
            }
        }
        do throws(LimitJournalError) {
            var counts = try readNew(since: since)
            if offset.withLock({ $0 }) > Self.compactAbove { try compact(&counts, since: since) }
            return counts
        } catch {
            unlock()
            throw error
        }
    }

    package func unlock() { _ = flock(descriptor, LOCK_UN) }

    /// Appends a count, under `lock`: one `write(2)`.
    ///
    /// - Throws: When the line was not written whole (the caller refuses the call).
    package func append(_ key: LimitKey, window: Int, used: Int) throws(LimitJournalError) {
        let bytes = Array(Self.line(key, (window, used)).utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw LimitJournalError(path: path, "cannot be appended to: \(String(cString: strerror(errno)))")
        }
        // Under the lock, read to the end: the line just written is known already.
        offset.withLock { $0 += bytes.count }
    }

    private func readNew(since: Int) throws(LimitJournalError) -> Counts {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw LimitJournalError(path: path, "cannot be read: \(String(cString: strerror(errno)))")
        }
        let size = Int(status.st_size)
        var start = offset.withLock { $0 }
        // Smaller than what was read: another muxgate compacted it; read it again whole.
        if size < start { start = 0 }
        guard size > start else { return [:] }
        var bytes = [UInt8](repeating: 0, count: size - start)
        let read = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(start)) }
        guard read == bytes.count else {
            throw LimitJournalError(path: path, "cannot be read: \(String(cString: strerror(errno)))")
        }
        // Under the lock no one is writing: a last line without its newline was cut short by a
        // crash (its call was never answered). It goes, so the next line starts clean.
        let complete = (bytes.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
        let counts = try Self.parse(bytes[..<complete], path: path, since: since)
        if complete < bytes.count, ftruncate(descriptor, off_t(start + complete)) != 0 {
            throw LimitJournalError(path: path, "cannot drop a line cut short: \(String(cString: strerror(errno)))")
        }
        offset.withLock { $0 = start + complete }
        return counts
    }

    /// Rewrites the file with only `counts` (under the lock).
    private func compact(_ counts: inout Counts, since: Int) throws(LimitJournalError) {
        counts = counts.filter { $0.value.window >= since }
        let text = Array(counts.keys.sorted().map { Self.line($0, counts[$0]!) }.joined().utf8)
        guard ftruncate(descriptor, 0) == 0,
            text.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) == text.count
        else {
            throw LimitJournalError(path: path, "cannot be compacted: \(String(cString: strerror(errno)))")
        }
        _ = fsync(descriptor)
        offset.withLock { $0 = text.count }
    }

    private static func line(_ key: LimitKey, _ count: (window: Int, used: Int)) -> String {
        let limit = String(decoding: JSONValue.quoted(key.limit), as: UTF8.self)
        let caller = String(decoding: JSONValue.quoted(key.caller), as: UTF8.self)
        return "{\"limit\":\(limit),\"caller\":\(caller),\"window\":\(count.window),\"used\":\(count.used)}\n"
    }

    private static func parse(_ bytes: ArraySlice<UInt8>, path: String, since: Int) throws(LimitJournalError)
        -> Counts
    {
        var counts: Counts = [:]
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                let limit = object["limit"] as? String, let caller = object["caller"] as? String,
                let window = object["window"] as? Int, let used = object["used"] as? Int, used >= 0
            else {
                throw LimitJournalError(
                    path: path,
                    "has a line that is not a quota count (\(String(decoding: line.prefix(80), as: UTF8.self))); "
                        + "restore the file from a backup, or move it away to start every quota from zero"
                )
            }
            guard window >= since else { continue }
            let key = LimitKey(limit: limit, caller: caller)
            if let known = counts[key], (known.window, known.used) >= (window, used) { continue }
            counts[key] = (window, used)
        }
        return counts
    }
}
