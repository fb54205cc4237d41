import Foundation
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

@Suite("Audit log")
struct AuditLogTests {
    @Test("a chain of many records verifies, with gap-free seq and each prev the previous hash")
    func chainVerifies() throws {
        let scratch = try AuditScratch()
        try scratch.writeSession(calls: 50)
        let entries = try scratch.lines().map { try #require(AuditEntry.parse(Array($0.utf8)[...])) }
        #expect(entries.map(\.seq) == Array(1...102))
        #expect(entries[0].prev == AuditRecord.genesis)
        for (previous, entry) in zip(entries, entries.dropFirst()) { #expect(entry.prev == previous.hash) }
        let result = scratch.verify()
        #expect(result.isIntact)
        #expect(result.records == 102)
        #expect(result.warnings.isEmpty)
    }

    @Test("the hash is SHA-256 over the line without its hash member, checkable from the bytes alone")
    func hashConstruction() throws {
        let scratch = try AuditScratch()
        try scratch.writeSession(calls: 1)
        let line = try #require(try scratch.lines().first)
        let suffix = line.suffix(75)
        #expect(suffix.hasPrefix(#","hash":""#) && suffix.hasSuffix(#""}"#))
        let body = String(line.dropLast(75)) + "}"
        #expect(AuditCanonical.sha256(body.utf8) == String(suffix.dropFirst(9).dropLast(2)))
        #expect(line.hasPrefix(#"{"seq":1,"ts":""#))
        #expect(try JSONSlice.parse(body).kind == .object)
    }

    @Test("records carry the schema's fields, in canonical order, ts in RFC 3339 UTC with milliseconds")
    func recordShape() throws {
        let scratch = try AuditScratch()
        try scratch.writeSession(calls: 1)
        let lines = try scratch.lines()
        let decision = try #require(AuditEntry.parse(Array(lines[1].utf8)[...]))
        #expect(decision.event == "decision")
        #expect(decision.ts.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
        for key in [
            "request_id", "server", "tool", "upstream_tool", "tool_sha256", "scope", "scope_source", "decision", "args",
            "args_sha256",
        ] {
            #expect(decision[key] != nil, "missing \(key)")
        }
        #expect(decision["request_id"]?.text == "1")
        let keys = decision.root.members.map(\.key)
        #expect(Array(keys.prefix(4)) == ["seq", "ts", "event", "session"])
        #expect(Array(keys.suffix(2)) == ["prev", "hash"])
        let fields = Array(keys.dropFirst(4).dropLast(2))
        #expect(fields == fields.sorted())
        let start = try #require(AuditEntry.parse(Array(lines[0].utf8)[...]))
        #expect(start.text("chain") == "sha256")
        #expect(start.text("client_name") == "test")
        let outcome = try #require(AuditEntry.parse(Array(lines[2].utf8)[...]))
        #expect(outcome["duration_ms"]?.text == "5.000")
        #expect(try scratch.lines().last?.contains(#""event":"stop""#) == true)
    }

    @Test("reopening continues seq and prev, in a new session")
    func reopenContinues() throws {
        let scratch = try AuditScratch()
        let first = try scratch.writeSession(calls: 3)
        let second = try scratch.writeSession(calls: 2)
        #expect(first.session != second.session)
        let entries = try scratch.lines().map { try #require(AuditEntry.parse(Array($0.utf8)[...])) }
        #expect(entries.map(\.seq) == Array(1...14))
        #expect(entries[8].prev == entries[7].hash)
        let result = scratch.verify()
        #expect(result.isIntact && result.sessions == 2 && result.warnings.isEmpty)
    }

    @Test("the directory is created 0700 and the file 0600; wider modes are tightened")
    func modes() throws {
        let scratch = try AuditScratch()
        try scratch.writeSession(calls: 1)
        #expect(try permissions(scratch.directory + "/state") == 0o700)
        #expect(try permissions(scratch.path) == 0o600)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: scratch.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: scratch.directory + "/state")
        let log = try scratch.open()
        #expect(try permissions(scratch.path) == 0o600)
        #expect(try permissions(scratch.directory + "/state") == 0o700)
        #expect(log.notes.count == 2)
    }

    @Test("a symlink in place of the log is refused")
    func symlinkRefused() throws {
        let scratch = try AuditScratch()
        try FileManager.default.createDirectory(atPath: scratch.directory + "/state", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: scratch.path,
            withDestinationPath: scratch.directory + "/elsewhere"
        )
        #expect(throws: AuditError.self) { try scratch.open() }
    }

    @Test("a durable append is fsynced before it returns; reads are group-committed; every record is readable at once")
    func durability() throws {
        let scratch = try AuditScratch()
        let log = try AuditLog(path: scratch.path, key: nil, groupCommit: .seconds(60))
        try log.append(AuditScratch.decision(0), durable: false)
        #expect(log.statistics.syncs == 0)
        #expect(try scratch.lines().count == 1)
        try log.append(AuditScratch.decision(1), durable: false)
        #expect(log.statistics.syncs == 0)
        try log.append(AuditScratch.decision(2, decision: .deny), durable: true)
        #expect(log.statistics.syncs == 1)
        #expect(try scratch.lines().count == 3)
        try log.append(AuditScratch.outcome(0), durable: false)
        try log.sync()
        #expect(log.statistics.syncs == 2)
        try log.sync()
        #expect(log.statistics.syncs == 2)
        try log.close(reason: "done")
        #expect(log.statistics.syncs == 3)
        #expect(throws: AuditError.self) { try log.append(AuditScratch.decision(3), durable: false) }
    }

    @Test("with the group commit running, appends leave fsyncs to it; a blocking durable append still fsyncs at once")
    func backgroundGroupCommit() throws {
        let scratch = try AuditScratch()
        // An interval of zero: without the committer, every append would fsync inline.
        let log = try AuditLog(path: scratch.path, key: nil, groupCommit: .zero)
        try log.append(AuditScratch.decision(0), durable: false)
        #expect(log.statistics.syncs == 1)
        let held = try AuditLog(path: scratch.directory + "/held.jsonl", key: nil, groupCommit: .seconds(60))
        held.startGroupCommit()
        try held.append(AuditScratch.decision(1), durable: false)
        try held.append(AuditScratch.outcome(1), durable: false)
        #expect(held.statistics.syncs == 0, "the committer's interval has not passed")
        try held.append(AuditScratch.decision(2, decision: .deny), durable: true)
        #expect(held.statistics.syncs == 1, "fsynced before append returned")
        try held.close(reason: "done")
        try log.close(reason: "done")
        #expect(scratch.verify().isIntact)
    }

    @Test("canonical key order is by UTF-8 bytes: a prefix first, non-ASCII after ASCII, equal keys stable")
    func canonicalKeyOrder() {
        #expect(AuditCanonical.utf8Precedes("a", "b"))
        #expect(AuditCanonical.utf8Precedes("a", "ab"))
        #expect(!AuditCanonical.utf8Precedes("ab", "a"))
        #expect(AuditCanonical.utf8Precedes("", "a"))
        #expect(!AuditCanonical.utf8Precedes("a", "a"))
        #expect(AuditCanonical.utf8Precedes("Z", "a"))
        #expect(AuditCanonical.utf8Precedes("z", "é"))  // 0x7A < 0xC3
        let sorted = AuditCanonical.sorted([("é", .int(1)), ("b", .int(2)), ("a", .int(3)), ("b", .int(4))])
        #expect(sorted.map(\.0) == ["a", "b", "b", "é"])
        #expect(sorted.map { String(decoding: $0.1.encoded, as: UTF8.self) } == ["3", "2", "4", "1"])
    }

    @Test("timestamps: RFC 3339 UTC, milliseconds rounded down, zero-padded")
    func timestamps() {
        #expect(AuditTimestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(AuditTimestamp.format(Date(timeIntervalSince1970: 1_750_239_000.1239)) == "2025-06-18T09:30:00.123Z")
        #expect(AuditTimestamp.format(Date(timeIntervalSince1970: 946_684_799.999)) == "1999-12-31T23:59:59.999Z")
        let now = Date()
        #expect(AuditTimestamp.parse(AuditTimestamp.format(now)).map { abs($0.timeIntervalSince(now)) < 0.001 } == true)
    }

    @Test("a full file is rotated to PATH.1, PATH.2 and the chain continues and verifies across files")
    func rotation() throws {
        let scratch = try AuditScratch()
        let log = try scratch.open(rotateBytes: 4096)
        for index in 0..<60 { try log.append(AuditScratch.decision(index), durable: false) }
        try log.close(reason: "done")
        let family = AuditFileFamily(path: scratch.path)
        #expect(family.rotated.count >= 2)
        #expect(log.statistics.rotations == family.rotated.count)
        for file in family.files { #expect(try scratch.bytes(file).count <= 4096) }
        let all = try family.files.flatMap { try scratch.lines($0) }
        #expect(all.compactMap(AuditScratch.seq) == Array(1...61))
        let result = scratch.verify()
        #expect(result.isIntact)
        #expect(result.records == 61)
        #expect(result.files == family.files)
        // reopening continues from the live file
        try scratch.writeSession(calls: 1)
        #expect(scratch.verify().lastSeq == 65)
    }

    @Test("a deleted rotated file is reported as deleted, naming the first missing seq")
    func missingRotatedFile() throws {
        let scratch = try AuditScratch()
        let log = try scratch.open(rotateBytes: 4096)
        for index in 0..<60 { try log.append(AuditScratch.decision(index), durable: false) }
        try log.close(reason: "done")
        let family = AuditFileFamily(path: scratch.path)
        let removed = family.rotated[1]
        let firstMissing = try #require(AuditScratch.seq(try scratch.lines(removed)[0]))
        try FileManager.default.removeItem(atPath: removed)
        let result = scratch.verify()
        #expect(result.failure?.problem == .deleted)
        #expect(result.failure?.seq == firstMissing)
    }

    @Test("configured secrets and the key never appear in the file, in any field")
    func secretsScrubbed() throws {
        let scratch = try AuditScratch()
        let key = Array("k3y-very-secret-value".utf8)
        let log = try scratch.open(key: key, secrets: ["hunter2-password", "ghp_abcdef123456"])
        let arguments = try JSONSlice.parse(
            #"{"query":"select hunter2-password","ghp_abcdef123456":1,"note":"k3y-very-secret-value"}"#
        )
        let (args, sha) = Redactor(patterns: []).redact(tool: "db_query", arguments: arguments)
        try log.append(
            .decision(
                requestID: nil,
                server: "db",
                tool: "db_query",
                upstreamTool: "query",
                toolSHA256: nil,
                scope: nil,
                scopeSource: nil,
                decision: .deny,
                rule: "no-ghp_abcdef123456",
                reason: "env had hunter2-password",
                args: args,
                argsSHA256: sha
            ),
            durable: true
        )
        try log.append(.child(server: "db", state: .exited, status: "stderr: token ghp_abcdef123456"), durable: false)
        try log.close(reason: "bye hunter2-password")
        let text = String(decoding: try scratch.bytes(), as: UTF8.self)
        for secret in ["hunter2-password", "ghp_abcdef123456", "k3y-very-secret-value"] {
            #expect(!text.contains(secret))
        }
        #expect(text.contains("[secret]"))
        #expect(scratch.verify(key: key).isIntact)
    }

    @Test("a torn last line: the next session starts on a fresh line, and the chain verifies with a warning")
    func tornThenReopen() throws {
        let scratch = try AuditScratch()
        try scratch.writeSession(calls: 2)
        var lines = try scratch.lines()
        let torn = String(lines.removeLast().prefix(40))
        try Data((lines.map { $0 + "\n" }.joined() + torn).utf8).write(to: URL(fileURLWithPath: scratch.path))
        try scratch.writeSession(calls: 1)
        let after = try scratch.lines()
        #expect(after[lines.count] == torn)
        #expect(AuditScratch.seq(after[lines.count + 1]) == UInt64(lines.count + 1))
        let result = scratch.verify()
        #expect(result.isIntact)
        #expect(result.warnings.map(\.kind).contains(.tornLine))
        #expect(result.warnings.map(\.kind).contains(.noStop))
    }

    @Test("a crash at any byte (kill -9 mid-write) leaves a log that verifies, and reopening continues it")
    func cutAnywhere() throws {
        let reference = try AuditScratch()
        try reference.writeSession(calls: 3)
        let bytes = try reference.bytes()
        let lines = try reference.lines()
        let tail = lines.suffix(3).reduce(0) { $0 + $1.utf8.count + 1 }
        for cut in stride(from: bytes.count - tail, through: bytes.count, by: 5) {
            let scratch = try AuditScratch()
            defer { try? FileManager.default.removeItem(atPath: scratch.directory) }
            try FileManager.default.createDirectory(
                atPath: scratch.directory + "/state",
                withIntermediateDirectories: true
            )
            try Data(bytes[..<cut]).write(to: URL(fileURLWithPath: scratch.path))
            let crashed = scratch.verify()
            #expect(crashed.isIntact, "cut at \(cut): \(crashed.report)")
            // Whole lines, or a whole record missing only its newline: no torn line.
            let whole = bytes[..<cut].last == 0x0A || (cut < bytes.count && bytes[cut] == 0x0A)
            #expect(crashed.warnings.contains { $0.kind == .tornLine } == !whole, "cut at \(cut)")
            try scratch.writeSession(calls: 1)
            let resumed = scratch.verify()
            #expect(resumed.isIntact, "cut at \(cut), then reopened: \(resumed.report)")
            #expect(resumed.lastSeq == (crashed.lastSeq ?? 0) + 4)
        }
    }

    @Test("opening a log written with another key fails with chainMismatch instead of forking the chain")
    func keyChangeRefused() throws {
        let scratch = try AuditScratch()
        try scratch.writeSession(calls: 1, key: Array("first-key-123".utf8))
        #expect {
            try scratch.open(key: Array("second-key-456".utf8))
        } throws: { ($0 as? AuditError)?.code == .chainMismatch }
    }

    @Test("two logs on one file (two muxgate processes) interleave into one gap-free chain")
    func sharedFile() throws {
        let scratch = try AuditScratch()
        let a = try scratch.open()
        let b = try scratch.open()
        for index in 0..<10 {
            try a.append(AuditScratch.decision(index), durable: false)
            try b.append(AuditScratch.decision(index), durable: index == 9)
        }
        try a.close(reason: "a")
        try b.close(reason: "b")
        #expect(try scratch.lines().compactMap(AuditScratch.seq) == Array(1...22))
        let result = scratch.verify()
        #expect(result.isIntact && result.sessions == 2 && result.warnings.isEmpty)
    }

    @Test("a key_env that is unset is an error naming the variable")
    func missingKey() throws {
        var config = AuditConfig()
        config.keyEnv = "MUXGATE_TEST_AUDIT_KEY"
        config.path = try AuditScratch().path
        #expect {
            try AuditLog.open(config: config, environment: [:])
        } throws: { ($0 as? AuditError)?.code == .keyMissing && "\($0)".contains("MUXGATE_TEST_AUDIT_KEY") }
    }
}
