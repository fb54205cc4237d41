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

/// Every way of cutting, rewriting or rolling back an anchored log that `verify --anchor` must catch.
///
/// The standard log: one session of 6 calls with an interval checkpoint after every 3 calls:
/// seq 1 start, 2…7 calls, 8 checkpoint record (#1 covers 7), 9…14 calls, 15 checkpoint record
/// (#2 covers 14), 16 stop (#3 covers 16).
@Suite("Audit anchor: tampering with the log or its anchor is found")
struct AuditAnchorTamperTests {
    func standard(hmac: [UInt8]? = nil) throws -> AnchoredScratch {
        let scratch = try AnchoredScratch(hmac: hmac)
        try scratch.writeSession(calls: 6)
        return scratch
    }

    @Test("an untouched log verifies against its anchor, every record anchored")
    func intact() throws {
        let scratch = try standard()
        #expect(try scratch.checkpoints().map(\.seq) == [7, 14, 16])
        #expect(try scratch.checkpoints().map(\.reason) == ["interval", "interval", "stop"])
        let result = scratch.verify()
        #expect(result.isIntact, "\(result.report)")
        let anchor = try #require(result.anchor)
        #expect(anchor.checkpoints == 3 && anchor.coveredSeq == 16 && anchor.unanchored == 0)
        #expect(
            result.report.contains("anchored: 3 checkpoint(s)") && result.report.contains("every record is anchored")
        )
        #expect(result.warnings.isEmpty)
    }

    @Test("cutting the last record (stop) is a tail cut naming the missing seq")
    func tailCutByOne() throws {
        let scratch = try standard()
        try scratch.scratch.write(Array(try scratch.scratch.lines().dropLast()))
        let failure = try #require(scratch.verify().failure)
        #expect(failure.problem == .tailCut && failure.seq == 16)
        #expect(failure.message.contains("covers seq 16"))
    }

    @Test("cutting the whole last session is a tail cut")
    func tailCutBySession() throws {
        let scratch = try AnchoredScratch()
        try scratch.writeSession(calls: 2)
        let firstSession = try scratch.scratch.lines().count
        try scratch.writeSession(calls: 4)
        try scratch.scratch.write(Array(try scratch.scratch.lines().prefix(firstSession)))
        #expect(scratch.verify().problem == .tailCut)
        // Without the anchor nothing shows it: the first session ended with its stop record.
        #expect(AuditVerifier.verify(paths: [scratch.path], key: nil).isIntact)
    }

    @Test("cutting the head is a head cut, with or without the anchor, unless retention is declared")
    func headCut() throws {
        let scratch = try standard()
        let lines = try scratch.scratch.lines()
        try scratch.scratch.write(Array(lines.dropFirst(2)))
        let failure = try #require(scratch.verify().failure)
        #expect(failure.problem == .headCut && failure.seq == 1 && failure.message.contains("starts at seq 3"))
        // Retention on purpose: allowed, and said so.
        let allowed = scratch.verify(allowTruncatedHead: true)
        #expect(allowed.isIntact && allowed.warnings.contains { $0.kind == .startsLate })
        // Without an anchor too, a head cut is now a failure unless allowed.
        let plain = AuditVerifier.verify(paths: [scratch.path], key: nil)
        #expect(plain.problem == .headCut)
        let plainAllowed = AuditVerifier.verify(
            paths: [scratch.path],
            key: nil,
            options: AuditVerifyOptions(allowTruncatedHead: true)
        )
        #expect(plainAllowed.isIntact && plainAllowed.warnings.contains { $0.kind == .startsLate })
    }

    @Test("deleting the whole first file of a rotated family is a head cut")
    func firstRotatedFileRemoved() throws {
        let scratch = try AnchoredScratch()
        try scratch.writeSession(calls: 40, checkpointEvery: 5, rotateBytes: 4096)
        let family = AuditFileFamily(path: scratch.path)
        #expect(family.rotated.count >= 2)
        #expect(scratch.verify().isIntact)
        try FileManager.default.removeItem(atPath: family.rotated[0])
        let failure = try #require(scratch.verify().failure)
        #expect(failure.problem == .headCut, "\(failure)")
        // The middle one: a deletion, as before.
        let again = try AnchoredScratch()
        try again.writeSession(calls: 40, checkpointEvery: 5, rotateBytes: 4096)
        try FileManager.default.removeItem(atPath: AuditFileFamily(path: again.path).rotated[1])
        #expect(again.verify().problem == .deleted)
    }

    @Test("a record edited and the chain re-hashed without the HMAC key is found")
    func editAndRechain() throws {
        // Unkeyed: the chain is consistent again, but the record a checkpoint signed is not there.
        let scratch = try standard()
        let lines = try scratch.scratch.lines()
        let forged = AnchoredScratch.rechained(lines, from: 4) { body in
            body = Array(
                String(decoding: body, as: UTF8.self).replacingOccurrences(of: "git_status", with: "git_statux").utf8
            )
        }
        try scratch.scratch.write(forged)
        #expect(AuditVerifier.verify(paths: [scratch.path], key: nil).isIntact, "the chain alone is fooled")
        let failure = try #require(scratch.verify().failure)
        #expect(failure.problem == .rewritten && failure.seq == 7, "\(failure)")
        // Keyed: re-hashing without the key breaks the chain itself.
        let key = Array("the-audit-hmac-key-0123".utf8)
        let keyed = try standard(hmac: key)
        try keyed.scratch.write(
            AnchoredScratch.rechained(try keyed.scratch.lines(), from: 4) { body in body[20] ^= 1 }
        )
        #expect(keyed.verify().failure != nil)
    }

    @Test("rewriting history after the first record, up to the end, is found at the first checkpoint")
    func rechainFromStart() throws {
        let scratch = try standard()
        let forged = AnchoredScratch.rechained(try scratch.scratch.lines(), from: 0) { body in
            body = Array(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "0.1.0", with: "9.9.9").utf8)
        }
        try scratch.scratch.write(forged)
        #expect(scratch.verify().problem == .rewritten)
    }

    @Test("records spliced in from another anchored log are found")
    func splice() throws {
        let scratch = try standard()
        let other = try standard()
        var lines = try scratch.scratch.lines()
        let foreign = try other.scratch.lines()
        lines.replaceSubrange(8..<10, with: foreign[8..<10])
        try scratch.scratch.write(lines)
        #expect(scratch.verify().failure != nil)
        // The other log whole, under this log's anchor: not the records the checkpoints signed.
        try scratch.scratch.write(foreign)
        #expect(scratch.verify().problem == .rewritten)
    }

    @Test("an anchor re-signed with another key, or checked with another key, fails its signatures")
    func anotherKey() throws {
        let scratch = try standard()
        let attacker = AuditSigningKey()
        try scratch.writeAnchor(try scratch.resigned(try scratch.anchorLines(), with: attacker))
        let failure = try #require(scratch.verify().failure)
        #expect(failure.problem == .badSignature && failure.line == 1)
        #expect(failure.message.contains(attacker.publicKey.id) && failure.message.contains(scratch.publicKey.id))
        // The attacker's own key "verifies" its anchor: that is why the key is pinned, never read from the anchor.
        #expect(scratch.verify(publicKey: attacker.publicKey).problem != .badSignature)
    }

    @Test("a checkpoint edited in place (its seq moved back) fails its signature")
    func editedCheckpoint() throws {
        let scratch = try standard()
        var lines = try scratch.anchorLines()
        lines[2] = lines[2].replacingOccurrences(of: #""seq":16"#, with: #""seq":14"#)
        try scratch.writeAnchor(lines)
        let failure = try #require(scratch.verify().failure)
        #expect(failure.problem == .badSignature && failure.line == 3)
    }

    @Test("an anchor rolled back by its last checkpoint: the stopped session's stop is not covered")
    func rolledBackByOne() throws {
        let scratch = try standard()
        try scratch.writeAnchor(Array(try scratch.anchorLines().dropLast()))
        let failure = try #require(scratch.verify().failure)
        #expect(failure.problem == .anchorRolledBack && failure.seq == 16, "\(failure)")
    }

    @Test("an anchor rolled back further: the log's checkpoint records name the missing checkpoints")
    func rolledBackFurther() throws {
        let scratch = try standard()
        try scratch.writeAnchor(Array(try scratch.anchorLines().prefix(1)))
        let failure = try #require(scratch.verify().failure)
        #expect(failure.problem == .anchorRolledBack && failure.seq == 15 && failure.message.contains("#2"))
    }

    @Test("a checkpoint removed from the middle breaks the checkpoints' chain")
    func middleCheckpointRemoved() throws {
        let scratch = try standard()
        var lines = try scratch.anchorLines()
        lines.remove(at: 1)
        try scratch.writeAnchor(lines)
        let failure = try #require(scratch.verify().failure)
        #expect(failure.problem == .anchorBroken && failure.message.contains("#2 is missing"))
        // The first one removed: the anchor no longer starts at #1.
        try scratch.writeAnchor(Array(try standard().anchorLines().dropFirst()))
        #expect(scratch.verify().problem != nil)
    }

    @Test("checkpoints swapped, duplicated or replaced by another anchor's are found")
    func reorderedCheckpoints() throws {
        let scratch = try standard()
        let lines = try scratch.anchorLines()
        try scratch.writeAnchor([lines[0], lines[2], lines[1]])
        #expect(scratch.verify().problem == .anchorBroken)
        try scratch.writeAnchor([lines[0], lines[1], lines[1], lines[2]])
        #expect(scratch.verify().problem == .anchorBroken)
    }

    @Test("a deleted or emptied anchor is an anchor missing; without --anchor the log says it was anchored")
    func anchorDeleted() throws {
        let scratch = try standard()
        try FileManager.default.removeItem(atPath: scratch.anchorPath)
        #expect(scratch.verify().problem == .anchorMissing)
        try scratch.writeAnchor([])
        #expect(scratch.verify().problem == .anchorMissing)
        let plain = AuditVerifier.verify(paths: [scratch.path], key: nil)
        #expect(plain.isIntact && plain.warnings.contains { $0.kind == .anchorNotChecked })
    }

    @Test("records after the newest checkpoint are reported unanchored, with the checkpoint's age")
    func unanchoredTail() throws {
        let scratch = try AnchoredScratch()
        let (log, _) = try scratch.writeSession(calls: 3, checkpointEvery: 3, close: false)
        try log.append(AuditScratch.decision(9), durable: false)
        let result = scratch.verify()
        #expect(result.isIntact)
        #expect(result.anchor?.unanchored == 2 && result.anchor?.age != nil)
        let warning = try #require(result.warnings.first { $0.kind == .unanchored })
        #expect(warning.seq == 8 && warning.message.contains("seq 8…9"))
        // Cutting the unanchored tail cannot be seen: that is what the interval bounds.
        try scratch.scratch.write(Array(try scratch.scratch.lines().dropLast(2)))
        #expect(scratch.verify().isIntact)
    }

    @Test("a torn last checkpoint (a crash mid-write) is a warning; a damaged one in the middle is not")
    func tornCheckpoint() throws {
        let scratch = try standard()
        let lines = try scratch.anchorLines()
        var bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
        bytes += Array(lines[2].utf8.prefix(40))
        try Data(bytes).write(to: URL(fileURLWithPath: scratch.anchorPath))
        let result = scratch.verify()
        #expect(result.isIntact && result.warnings.contains { $0.kind == .tornCheckpoint })
        try scratch.writeAnchor([lines[0], "{\"checkpoint\":2,", lines[1], lines[2]])
        #expect(scratch.verify().isIntact, "a torn line the chain continues across")
        try scratch.writeAnchor([lines[0], lines[1], "garbage", lines[2] + "x"])
        #expect(scratch.verify().problem == .anchorBroken)
    }

    @Test("a consistent rollback of log and anchor together passes the files, but not the syslog copy")
    func consistentRollbackCaughtBySyslog() throws {
        let receiver = try SyslogReceiver()
        defer { receiver.close() }
        let scratch = try AnchoredScratch()
        try scratch.writeSession(calls: 2, syslog: AuditSyslog(socketPath: receiver.path))
        let logLines = try scratch.scratch.lines()
        let anchorLines = try scratch.anchorLines()
        try scratch.writeSession(calls: 4, syslog: AuditSyslog(socketPath: receiver.path))
        // The attacker restores both files to how they were after the first session.
        try scratch.scratch.write(logLines)
        try scratch.writeAnchor(anchorLines)
        #expect(scratch.verify().isIntact, "the files alone cannot show it")
        let copy = scratch.scratch.directory + "/syslog-copy.anchor"
        let received = receiver.received()
        #expect(received.allSatisfy { $0.hasPrefix("<86>") && $0.contains("muxgate-audit[") })
        let messages = received.compactMap { message in
            message.range(of: "]: ").map { String(message[$0.upperBound...]) }
        }
        try scratch.scratch.write(messages, copy)
        #expect(messages.count == 3, "#1 at the first stop, #2 at an interval, #3 at the second stop")
        let failure = try #require(scratch.verify(anchor: copy).failure)
        #expect(failure.problem == .tailCut)
    }
}
