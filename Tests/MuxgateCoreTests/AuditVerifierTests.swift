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

@Suite("Audit verification: tampering is found, with the right seq")
struct AuditVerifierTests {
    /// A closed log of 1 start + 10 calls + stop = 22 records (line n holds seq n).
    func scratchLog(key: [UInt8]? = nil) throws -> AuditScratch {
        let scratch = try AuditScratch()
        try scratch.writeSession(calls: 10, key: key)
        return scratch
    }

    @Test("an untouched log is intact")
    func intact() throws {
        let result = try scratchLog().verify()
        #expect(result.isIntact && result.records == 22 && result.firstSeq == 1 && result.lastSeq == 22)
    }

    @Test("flipping one byte of a value is an edit at that seq", arguments: [5, 12, 22])
    func flipValueByte(seq: Int) throws {
        let scratch = try scratchLog()
        var lines = try scratch.lines()
        var bytes = Array(lines[seq - 1].utf8)
        let at = try #require(bytes.firstIndex(of: UInt8(ascii: "T")))  // the ts's date-time separator
        bytes[at + 1] ^= 0x01  // a digit of the hour
        lines[seq - 1] = String(decoding: bytes, as: UTF8.self)
        try scratch.write(lines)
        let failure = try #require(scratch.verify().failure)
        #expect(failure.problem == .edited)
        #expect(failure.seq == UInt64(seq))
    }

    @Test("flipping any single byte of a record is found at that seq", arguments: 0..<40)
    func flipAnyByte(seed: Int) throws {
        let scratch = try scratchLog()
        var lines = try scratch.lines()
        var generator = SeededGenerator(seed: UInt64(seed))
        let index = Int.random(in: 0..<lines.count, using: &generator)
        var bytes = Array(lines[index].utf8)
        let at = Int.random(in: 0..<bytes.count, using: &generator)
        var flipped = bytes[at] ^ UInt8(1 << Int.random(in: 0..<7, using: &generator))
        if flipped == 0x0A { flipped = 0x0B }
        bytes[at] = flipped
        lines[index] = String(decoding: bytes, as: UTF8.self)
        try scratch.write(lines)
        let result = scratch.verify()
        let failure = try #require(result.failure, "byte \(at) of line \(index + 1)")
        #expect(failure.seq == UInt64(index + 1), "byte \(at) of line \(index + 1): \(failure)")
        if index < lines.count - 1 { #expect(failure.problem == .edited) }
    }

    @Test("deleting a line is a deletion at the missing seq")
    func deleteLine() throws {
        let scratch = try scratchLog()
        var lines = try scratch.lines()
        lines.remove(at: 9)
        try scratch.write(lines)
        let failure = try #require(scratch.verify().failure)
        #expect(failure.problem == .deleted)
        #expect(failure.seq == 10)
    }

    @Test("deleting several lines names the first missing seq")
    func deleteRange() throws {
        let scratch = try scratchLog()
        var lines = try scratch.lines()
        lines.removeSubrange(4..<8)
        try scratch.write(lines)
        let failure = try #require(scratch.verify().failure)
        #expect(failure.problem == .deleted && failure.seq == 5)
        #expect(failure.message.contains("5…8"))
    }

    @Test("swapping two lines is a reordering at the displaced seq")
    func swapLines() throws {
        let scratch = try scratchLog()
        var lines = try scratch.lines()
        lines.swapAt(6, 7)
        try scratch.write(lines)
        let failure = try #require(scratch.verify().failure)
        #expect(failure.problem == .reordered)
        #expect(failure.seq == 7)
    }

    @Test("swapping distant lines is a reordering too")
    func swapDistant() throws {
        let scratch = try scratchLog()
        var lines = try scratch.lines()
        lines.swapAt(3, 15)
        try scratch.write(lines)
        let failure = try #require(scratch.verify().failure)
        #expect(failure.problem == .reordered && failure.seq == 4)
    }

    @Test("a forged line with a made-up hash is an insertion before the next seq")
    func insertForgedBadHash() throws {
        let scratch = try scratchLog()
        var lines = try scratch.lines()
        let forged = lines[5].replacingOccurrences(of: #""seq":6"#, with: #""seq":11"#)
        lines.insert(forged, at: 10)
        try scratch.write(lines)
        let failure = try #require(scratch.verify().failure)
        #expect(failure.problem == .inserted)
        #expect(failure.seq == 11)
        #expect(failure.line == 11)
    }

    @Test("a forged line with a correct SHA-256 and link is found as a duplicate seq")
    func insertForgedRehashed() throws {
        let scratch = try scratchLog()
        var lines = try scratch.lines()
        let previous = try #require(AuditEntry.parse(Array(lines[9].utf8)[...]))
        let event = AuditScratch.decision(99)
        let (forged, _) = AuditRecord.encode(
            seq: 11,
            ts: previous.ts,
            event: event,
            session: previous.session,
            prev: previous.hash,
            hasher: AuditHasher(key: nil)
        )
        lines.insert(String(decoding: forged, as: UTF8.self), at: 10)
        try scratch.write(lines)
        let failure = try #require(scratch.verify().failure)
        #expect(failure.problem == .inserted)
        #expect(failure.seq == 11)
        #expect(failure.line == 12)
    }

    @Test("the same forgery in a keyed log fails its HMAC: an insertion at that seq")
    func insertForgedKeyed() throws {
        let key = Array("the-audit-key-0123".utf8)
        let scratch = try scratchLog(key: key)
        var lines = try scratch.lines()
        let previous = try #require(AuditEntry.parse(Array(lines[9].utf8)[...]))
        let (forged, _) = AuditRecord.encode(
            seq: 11,
            ts: previous.ts,
            event: AuditScratch.decision(99),
            session: previous.session,
            prev: previous.hash,
            hasher: AuditHasher(key: nil)
        )
        lines.insert(String(decoding: forged, as: UTF8.self), at: 10)
        try scratch.write(lines)
        let failure = try #require(scratch.verify(key: key).failure)
        #expect(failure.problem == .inserted && failure.seq == 11 && failure.line == 11)
    }

    @Test("a replayed copy of an earlier record is an insertion")
    func replayedRecord() throws {
        let scratch = try scratchLog()
        var lines = try scratch.lines()
        lines.insert(lines[3], at: 12)
        try scratch.write(lines)
        let failure = try #require(scratch.verify().failure)
        #expect(failure.problem == .inserted)
        #expect(failure.seq == 13)
        #expect(failure.line == 13 && failure.message.contains("claims seq 4"))
    }

    @Test("a file cut mid-line: the torn last line is a warning and the chain verifies up to it")
    func cutMidLine() throws {
        let scratch = try scratchLog()
        let bytes = try scratch.bytes()
        let lines = try scratch.lines()
        let cut = bytes.count - lines.last!.utf8.count / 2
        try Data(bytes[..<cut]).write(to: URL(fileURLWithPath: scratch.path))
        let result = scratch.verify()
        #expect(result.isIntact)
        #expect(result.lastSeq == 21)
        #expect(result.warnings.map(\.kind) == [.tornLine, .running])
        #expect(result.warnings[0].line == 22)
    }

    @Test("a wrong HMAC key is reported as such, at the first record")
    func wrongKey() throws {
        let key = Array("right-key-0123456".utf8)
        let scratch = try scratchLog(key: key)
        #expect(scratch.verify(key: key).isIntact)
        let wrong = try #require(scratch.verify(key: Array("wrong-key-0123456".utf8)).failure)
        #expect(wrong.problem == .wrongKey && wrong.seq == 1)
        let none = try #require(scratch.verify(key: nil).failure)
        #expect(none.problem == .wrongKey && none.message.contains("--key-env"))
    }

    @Test("a key given for an unkeyed log is a wrong key too")
    func keyForUnkeyedLog() throws {
        let failure = try #require(try scratchLog().verify(key: Array("some-key-value".utf8)).failure)
        #expect(failure.problem == .wrongKey && failure.message.contains("not keyed"))
    }

    @Test("a session without stop followed by another is a warning, not tampering")
    func crashedSession() throws {
        let scratch = try AuditScratch()
        try scratch.writeSession(calls: 2, close: false)
        try scratch.writeSession(calls: 2)
        let result = scratch.verify()
        #expect(result.isIntact)
        #expect(result.warnings.map(\.kind) == [.noStop])
        #expect(result.warnings[0].seq == 5)
    }

    @Test("the last session without stop may be running: noted, not a failure")
    func runningSession() throws {
        let scratch = try AuditScratch()
        let log = try scratch.writeSession(calls: 2, close: false)
        let result = scratch.verify()
        #expect(result.isIntact)
        #expect(result.warnings.map(\.kind) == [.running])
        #expect(result.warnings[0].message.contains(log.session))
    }

    @Test("an unreadable log is an error, distinct from tampering")
    func unreadable() throws {
        let result = AuditVerifier.verify(paths: ["/nonexistent/audit.jsonl"], key: nil)
        #expect(!result.isIntact && result.failure == nil && result.error?.code == .readFailed)
    }
}
