import Foundation
import MuxgateConfig
import MuxgateWire

/// A live log file and the files rotated out of it: `audit.jsonl.1` (oldest), `.2`, … then `audit.jsonl`.
package struct AuditFileFamily: Sendable {
    /// The live file.
    package let path: String

    package init(path: String) {
        self.path = path
    }

    /// The rotated files, oldest (lowest number) first; none when the directory cannot be listed.
    package var rotated: [String] {
        (try? numbered().map(\.path)) ?? []
    }

    /// The rotated files with their numbers, ascending.
    ///
    /// - Throws: `AuditError` (`readFailed`) when the directory cannot be listed.
    package func numbered() throws(AuditError) -> [(number: Int, path: String)] {
        let directory = (path as NSString).deletingLastPathComponent
        let prefix = (path as NSString).lastPathComponent + "."
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)
        } catch {
            throw AuditError(.readFailed, path: directory, "cannot list the directory: \(error.localizedDescription)")
        }
        return names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix(prefix), let number = Int(name.dropFirst(prefix.count)), number > 0 else { return nil }
            return (number, (directory.isEmpty ? "" : directory + "/") + name)
        }.sorted { $0.0 < $1.0 }
    }

    /// Where the live file goes when it is rotated: one past the highest number in use, never an
    /// existing file (a rename would replace it).
    package func nextRotatedPath() throws(AuditError) -> String {
        var number = (try numbered().last?.number ?? 0) + 1
        while FileManager.default.fileExists(atPath: path + ".\(number)") { number += 1 }
        return path + ".\(number)"
    }

    /// Every file of the family that exists, rotated ones first.
    package var files: [String] {
        rotated + (FileManager.default.fileExists(atPath: path) ? [path] : [])
    }

    /// The files to read for `paths`: each path with its rotated siblings, in chain order.
    ///
    /// Chain order is the `seq` of each file's first record, ascending; a file without one keeps
    /// its place after those that have one, rotated numbers first and the live file last.
    package static func chainOrder(_ paths: [String]) -> [String] {
        var seen: Set<String> = []
        var all: [String] = []
        for path in paths {
            let family = AuditFileFamily(path: path).files
            for file in family.isEmpty ? [path] : family where !seen.contains(file) {
                seen.insert(file)
                all.append(file)
            }
        }
        let keyed = all.enumerated().map { index, file in (firstSeq(file) ?? .max, index, file) }
        return keyed.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
    }

    /// The first record of the whole family, in chain order; nil when there is none.
    package func firstEntry() -> AuditEntry? {
        Self.chainOrder([path]).lazy.compactMap(Self.firstEntry).first
    }

    /// The `seq` of the first record in `file`; nil when it has none or cannot be read.
    package static func firstSeq(_ file: String) -> UInt64? {
        firstEntry(file)?.seq
    }

    /// The first record in `file`; nil when it has none or cannot be read.
    package static func firstEntry(_ file: String) -> AuditEntry? {
        guard let handle = FileHandle(forReadingAtPath: file) else { return nil }
        defer { try? handle.close() }
        var buffer: [UInt8] = []
        while let chunk = try? handle.read(upToCount: 64 << 10), !chunk.isEmpty {
            buffer.append(contentsOf: chunk)
            var start = buffer.startIndex
            while let newline = buffer[start...].firstIndex(of: 0x0A) {
                if let entry = AuditEntry.parse(buffer[start..<newline]) { return entry }
                start = newline + 1
            }
            buffer.removeFirst(start)
        }
        return buffer.isEmpty ? nil : AuditEntry.parse(buffer[...])
    }
}
