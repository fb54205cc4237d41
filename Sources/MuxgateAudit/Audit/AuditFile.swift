import Foundation
import MuxgateConfig
import MuxgateWire

// `struct stat` comes from the C library, but which module the compiler attributes it to depends
// on what the target's other files import (CoreFoundation and Dispatch carry it too); importing
// them all keeps MemberImportVisibility satisfied whichever it picks.
#if canImport(CoreFoundation)
    import CoreFoundation
#endif
#if canImport(CDispatch)
    import CDispatch
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An open audit log file: POSIX calls with errors that name the file and say what to do.
package struct AuditFile {
    /// Which file a descriptor or path refers to (device and inode).
    package struct Identity: Equatable {
        package let device: UInt64
        package let inode: UInt64
    }

    package let descriptor: Int32
    package let path: String

    /// Opens (creating 0600) the log for reading and appending; tightens a wider mode.
    ///
    /// - Parameter notes: Receives what was fixed (a mode tightened).
    /// - Throws: `AuditError` (`fileUnusable`) when it cannot be opened, is not a regular file
    ///   (symlinks are refused) or belongs to another user.
    package static func openLog(_ path: String, notes: inout [String]) throws(AuditError) -> AuditFile {
        let descriptor = Self.retrying { open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600) }
        guard descriptor >= 0 else {
            throw AuditError(.fileUnusable, path: path, "cannot open: \(Self.describe(errno)) (a symlink is refused)")
        }
        let file = AuditFile(descriptor: descriptor, path: path)
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            file.release()
            throw AuditError(.fileUnusable, path: path, "not a regular file; point audit.path at a file")
        }
        guard info.st_uid == geteuid() else {
            file.release()
            throw AuditError(
                .fileUnusable,
                path: path,
                "owned by uid \(info.st_uid), not this user; use another audit.path"
            )
        }
        if info.st_mode & 0o077 != 0 {
            guard fchmod(descriptor, 0o600) == 0 else {
                file.release()
                throw AuditError(.fileUnusable, path: path, "cannot set mode 0600: \(Self.describe(errno))")
            }
            notes.append("tightened \(path) from \(String(info.st_mode & 0o777, radix: 8)) to 600")
        }
        return file
    }

    /// The whole content of a log file (review and verification).
    package static func contents(of path: String) throws(AuditError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read it" : "no such file"
            throw AuditError(.readFailed, path: path, reason)
        }
        return [UInt8](data)
    }

    /// Creates `directory` (and missing parents) 0700, or tightens it to 0700 when it is ours.
    ///
    /// - Throws: `AuditError` (`directoryUnusable`) when it cannot be created, is not a
    ///   directory, or is another user's and writable by others.
    package static func prepareDirectory(_ directory: String, notes: inout [String]) throws(AuditError) {
        var missing: [String] = []
        var current = directory
        var info = stat()
        while !current.isEmpty, current != "/", stat(current, &info) != 0 {
            missing.append(current)
            current = (current as NSString).deletingLastPathComponent
        }
        for component in missing.reversed() where mkdir(component, 0o700) != 0 && errno != EEXIST {
            throw AuditError(.directoryUnusable, path: component, "cannot create it: \(Self.describe(errno))")
        }
        guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw AuditError(.directoryUnusable, path: directory, "not a directory")
        }
        if info.st_uid != geteuid() {
            if info.st_mode & 0o022 != 0 {
                throw AuditError(
                    .directoryUnusable,
                    path: directory,
                    "another user's directory that others can write; put audit.path in a directory of your own"
                )
            }
            return
        }
        if info.st_mode & 0o777 != 0o700 {
            guard chmod(directory, 0o700) == 0 else {
                throw AuditError(.directoryUnusable, path: directory, "cannot set mode 0700: \(Self.describe(errno))")
            }
            if missing.isEmpty, info.st_mode & 0o077 != 0 {
                notes.append("tightened \(directory) from \(String(info.st_mode & 0o777, radix: 8)) to 700")
            }
        }
    }

    /// Makes a directory's entries (a created or renamed file) durable.
    package static func syncDirectory(_ directory: String) throws(AuditError) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw AuditError(.syncFailed, path: directory, "cannot open the directory: \(Self.describe(errno))")
        }
        defer { _ = close(descriptor) }
        guard Self.retrying({ fsync(descriptor) }) == 0 else {
            throw AuditError(.syncFailed, path: directory, "fsync of the directory failed: \(Self.describe(errno))")
        }
    }

    /// The identity of the file at `path`; nil when there is none.
    package static func identity(atPath path: String) -> Identity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    package func identity() throws(AuditError) -> (Identity, size: Int64) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw AuditError(.fileUnusable, path: path, "fstat failed: \(Self.describe(errno))")
        }
        return (Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)), Int64(info.st_size))
    }

    /// Takes the exclusive advisory lock every muxgate writing this log takes around an append.
    package func lock() throws(AuditError) {
        guard Self.retrying({ flock(descriptor, LOCK_EX) }) == 0 else {
            throw AuditError(.writeFailed, path: path, "cannot lock the log: \(Self.describe(errno))")
        }
    }

    package func unlock() {
        _ = flock(descriptor, LOCK_UN)
    }

    /// Writes all of `bytes`; returns how many were written and the error that stopped it, if any.
    package func writeAll(_ bytes: [UInt8]) -> (written: Int, error: Int32?) {
        MuxgateWire.writeAll(bytes, to: descriptor)
    }

    package func sync() throws(AuditError) {
        guard Self.retrying({ fsync(descriptor) }) == 0 else {
            throw AuditError(
                .syncFailed,
                path: path,
                "fsync failed: \(Self.describe(errno)); records may not be on disk"
            )
        }
    }

    package func release() {
        _ = close(descriptor)
    }

    /// The last complete record of the file, whether the file ends in a newline, and its size.
    ///
    /// Reads backwards from the end in growing windows; lines that are not records (torn writes)
    /// are skipped. A final line without a newline still counts when it is a whole record.
    package func lastRecord() throws(AuditError) -> (entry: AuditEntry?, endsWithNewline: Bool, size: Int64) {
        let (entry, endsWithNewline, size) = try lastLine(AuditEntry.parse)
        return (entry, endsWithNewline, size)
    }

    /// The last line of the file that `parse` accepts (see `lastRecord()`), whether the file ends
    /// in a newline, and its size.
    package func lastLine<Value>(
        _ parse: (ArraySlice<UInt8>) -> Value?
    ) throws(AuditError) -> (value: Value?, endsWithNewline: Bool, size: Int64) {
        let (_, size) = try identity()
        guard size > 0 else { return (nil, true, 0) }
        var window: Int64 = 64 << 10
        while true {
            let start = max(0, size - window)
            var buffer = [UInt8](repeating: 0, count: Int(size - start))
            let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, $0.count, off_t(start)) }
            guard count == buffer.count else {
                throw AuditError(.readFailed, path: path, "cannot read the end of the log: \(Self.describe(errno))")
            }
            let endsWithNewline = buffer.last == 0x0A
            var lines = buffer.split(separator: 0x0A, omittingEmptySubsequences: true)[...]
            if start > 0 { lines = lines.dropFirst() }  // may begin mid-line
            for line in lines.reversed() {
                if let value = parse(line) { return (value, endsWithNewline, size) }
            }
            if start == 0 { return (nil, endsWithNewline, size) }
            window *= 4
        }
    }

    package static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    private static func retrying(_ call: () -> Int32) -> Int32 {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }
}

extension AuditFile {
    /// Opens a log file read-only (to find the last record of a rotated file).
    package static func openForReading(_ path: String) throws(AuditError) -> AuditFile {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else {
            throw AuditError(.readFailed, path: path, "cannot open: \(describe(errno))")
        }
        return AuditFile(descriptor: descriptor, path: path)
    }
}
