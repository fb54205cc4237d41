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

/// Random anchored logs, randomly cut, edited, spliced, re-chained or rolled back: `verify
/// --anchor` may pass only when what the newest checkpoint covers is still there, unchanged.
@Suite("Audit anchor property: verify never passes a log cut or rewritten before its newest checkpoint")
struct AuditAnchorPropertyTests {
    /// A random anchored log: 1–3 sessions of 0–7 calls, checkpoints after random calls, the last
    /// session stopped or left running (then records after its last checkpoint are unanchored).
    func randomLog(_ generator: inout SeededGenerator, hmac: [UInt8]?) throws -> AnchoredScratch {
        let scratch = try AnchoredScratch(hmac: hmac)
        let sessions = Int.random(in: 1...3, using: &generator)
        for session in 0..<sessions {
            let (log, anchor) = try scratch.open()
            try log.append(
                .start(version: "0.1.0", configSHA256: nil, profile: nil, client: ("t", "1"), protocolVersion: nil),
                durable: false
            )
            for index in 0..<Int.random(in: 0...7, using: &generator) {
                try log.append(AuditScratch.decision(index), durable: false)
                try log.append(AuditScratch.outcome(index), durable: false)
                if Int.random(in: 0..<3, using: &generator) == 0 { try anchor.tick(.interval) }
            }
            let last = session == sessions - 1
            if !last || Bool.random(using: &generator) {
                try anchor.finish(covering: try log.close(reason: "done"))
            } else {
                try anchor.tick(.interval)
            }
        }
        return scratch
    }

    /// One random change to the log's lines (what an attacker with write access can do); says which.
    func mutateLog(_ lines: inout [String], _ generator: inout SeededGenerator, foreign: [String]) -> String {
        lines.removeAll { $0.isEmpty }  // a line cut to nothing by an earlier change
        guard !lines.isEmpty else { return "nothing (empty)" }
        let index = Int.random(in: 0..<lines.count, using: &generator)
        switch Int.random(in: 0..<9, using: &generator) {
        case 0:
            let count = Int.random(in: 1...lines.count, using: &generator)
            lines.removeLast(count)
            return "tail cut by \(count)"
        case 1:
            let count = Int.random(in: 1...lines.count, using: &generator)
            lines.removeFirst(count)
            return "head cut by \(count)"
        case 2:
            lines.remove(at: index)
            return "line \(index + 1) removed"
        case 3:  // never into a line break
            var bytes = Array(lines[index].utf8)
            let at = Int.random(in: 0..<bytes.count, using: &generator)
            bytes[at] ^= UInt8(1 << Int.random(in: 0..<7, using: &generator))
            if bytes[at] == 0x0A { bytes[at] = 0x0B }
            lines[index] = String(decoding: bytes, as: UTF8.self)
            return "byte \(at) of line \(index + 1) flipped"
        case 4:
            let other = Int.random(in: 0..<lines.count, using: &generator)
            lines.swapAt(index, other)
            return "lines \(index + 1) and \(other + 1) swapped"
        case 5:
            let at = Int.random(in: 0...lines.count, using: &generator)
            lines.insert(lines[index], at: at)
            return "line \(index + 1) copied to \(at + 1)"
        case 6:
            let line = foreign[Int.random(in: 0..<foreign.count, using: &generator)]
            if Bool.random(using: &generator) {
                lines[index] = line
                return "line \(index + 1) replaced by another log's"
            }
            lines.insert(line, at: index)
            return "another log's line spliced in at \(index + 1)"
        case 7:
            let at = Int.random(in: 0..<40, using: &generator)
            lines = AnchoredScratch.rechained(lines, from: index) { body in
                let position = min(at + 10, body.count - 80)
                body[position] = body[position] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            }
            return "line \(index + 1) edited at \(at + 10) and re-chained from there"
        default:
            let last = lines.removeLast()
            let keep = Int.random(in: 0..<last.count, using: &generator)
            lines.append(String(last.prefix(keep)))
            return "last line cut to \(keep) characters"
        }
    }

    /// One random change to the anchor's lines.
    func mutateAnchor(_ lines: inout [String], _ generator: inout SeededGenerator, scratch: AnchoredScratch) throws {
        lines.removeAll { $0.isEmpty }
        guard !lines.isEmpty else { return }
        let index = Int.random(in: 0..<lines.count, using: &generator)
        switch Int.random(in: 0..<8, using: &generator) {
        case 0: lines.removeLast(Int.random(in: 1...lines.count, using: &generator))  // rolled back
        case 1: lines.remove(at: index)
        case 2:
            var bytes = Array(lines[index].utf8)
            let at = Int.random(in: 0..<bytes.count, using: &generator)
            bytes[at] ^= UInt8(1 << Int.random(in: 0..<7, using: &generator))
            if bytes[at] == 0x0A { bytes[at] = 0x0B }
            lines[index] = String(decoding: bytes, as: UTF8.self)
        case 3: lines.swapAt(index, Int.random(in: 0..<lines.count, using: &generator))
        case 4: lines.insert(lines[index], at: Int.random(in: 0...lines.count, using: &generator))
        case 5: lines = try scratch.resigned(lines, with: AuditSigningKey())  // another key
        case 6:  // rolled back and re-signed with another key, a covered seq moved back
            lines = try scratch.resigned(Array(lines.prefix(index + 1)), with: AuditSigningKey()) { head in
                head = AuditLog.Head(seq: max(1, head.seq / 2), hash: head.hash)
            }
        default: lines = []
        }
    }

    @Test("random changes to the log or to its anchor", arguments: 0..<12)
    func randomTampering(seed: Int) throws {
        var generator = SeededGenerator(seed: UInt64(seed) &* 7919 &+ 17)
        let keyed = seed % 3 == 2
        let scratch = try randomLog(&generator, hmac: keyed ? Array("property-hmac-key-\(seed)".utf8) : nil)
        let foreign = try randomLog(&generator, hmac: nil).scratch.lines()
        let log = try scratch.scratch.lines()
        let anchor = try scratch.anchorLines()
        let checkpoints = try scratch.checkpoints()
        let covered = Int(checkpoints.map(\.seq).max() ?? 0)
        let base = scratch.verify()
        try #require(base.isIntact, "the untouched log: \(base.report)")
        #expect(base.anchor?.coveredSeq == UInt64(covered))
        for round in 0..<80 {
            var mutatedLog = log
            var mutatedAnchor = anchor
            var done: [String] = []
            let onLog = Int.random(in: 0..<10, using: &generator) < 6
            for _ in 0..<Int.random(in: 1...2, using: &generator) {
                if onLog {
                    done.append(mutateLog(&mutatedLog, &generator, foreign: foreign))
                } else {
                    try mutateAnchor(&mutatedAnchor, &generator, scratch: scratch)
                }
            }
            try scratch.scratch.write(mutatedLog)
            try scratch.writeAnchor(mutatedAnchor)
            let result = scratch.verify()
            guard result.isIntact else { continue }
            // Passing means: every record the newest checkpoint covers is there, byte for byte, in
            // order (a torn fragment between records is reported as such, and is no record) ...
            let records = mutatedLog.filter { AuditEntry.parse(Array($0.utf8)[...]) != nil }
            #expect(
                records.count >= covered && Array(records.prefix(covered)) == Array(log.prefix(covered)),
                "round \(round): \(done) passed, covering seq \(covered):\n\(result.report)"
            )
            // ... and no checkpoint was lost or altered.
            let kept = mutatedAnchor.compactMap { AuditCheckpoint.parse(Array($0.utf8)[...]) }
            #expect(kept == checkpoints, "round \(round): an altered anchor passed:\n\(result.report)")
        }
    }
}
