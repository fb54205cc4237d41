package import Foundation
import MuxgateConfig
import MuxgateWire

/// What `AuditVerifier` found: whether the chain is intact, where it first breaks, and warnings.
package struct AuditVerification: Sendable {
    /// Why the chain is broken.
    package enum Problem: String, Sendable {
        /// A record's bytes changed: its hash does not match, or the line is damaged.
        case edited
        /// Records are missing: `seq` jumps forward and the missing ones appear nowhere later.
        case deleted
        /// A record that does not belong: a duplicate `seq`, or a line the next record skips over.
        case inserted
        /// Records are out of order: `seq` goes backwards, or a missing one appears later.
        case reordered
        /// No record verifies: the key is wrong, or missing, or given for an unkeyed log.
        case wrongKey = "wrong key"
        /// The log starts after its first record: the head was cut or a first rotated file removed
        /// (without an anchor: the first record is not seq 1, and `--allow-truncated-head` was not given).
        case headCut = "head cut"
        /// The log ends before the newest checkpoint's record: records were cut from its end.
        case tailCut = "tail cut"
        /// The record at a checkpoint's `seq` is not the one the checkpoint signed: history was
        /// rewritten (and re-chained).
        case rewritten
        /// A checkpoint's signature does not verify with the given public key: edited, or
        /// signed with another key.
        case badSignature = "bad signature"
        /// The checkpoints' own chain is broken: one missing, repeated, out of order, not linked
        /// (`prev`), a damaged line, or the anchor does not start at checkpoint 1.
        case anchorBroken = "anchor broken"
        /// The log names checkpoints the anchor does not hold (or holds different ones), or a
        /// stopped session's last checkpoint is missing: the anchor was rolled back or replaced.
        case anchorRolledBack = "anchor rolled back"
        /// The anchor file is missing or holds no checkpoint.
        case anchorMissing = "anchor missing"
    }

    /// The first place the chain breaks.
    package struct Failure: Sendable {
        package let problem: Problem
        /// The first `seq` that is not as the chain requires (the missing one for deletions).
        package let seq: UInt64
        package let file: String
        package let line: Int
        package let message: String
    }

    /// What a warning is about; none of them means tampering.
    package enum WarningKind: String, Sendable {
        /// A line that is not a whole record, and the chain continues across it (a crash mid-write).
        case tornLine = "torn line"
        /// A session ended without a `stop` record: truncated or crashed.
        case noStop = "no stop"
        /// The last session has no `stop` yet: it may still be running.
        case running
        /// The first record is not seq 1: older files were rotated away or are not given (only
        /// with `--allow-truncated-head`; otherwise it is `headCut`).
        case startsLate = "starts late"
        /// Records after the newest checkpoint: nothing anchors them yet.
        case unanchored
        /// The log's records say it is anchored, but no anchor was given to check its ends.
        case anchorNotChecked = "anchor not checked"
        /// A line of the anchor that is not a whole checkpoint, which the chain continues across.
        case tornCheckpoint = "torn checkpoint"
    }

    package struct Warning: Sendable {
        package let kind: WarningKind
        package let seq: UInt64?
        package let file: String
        package let line: Int
        package let message: String
    }

    /// The files read, in chain order.
    package var files: [String] = []
    /// Records that verified.
    package var records = 0
    package var firstSeq: UInt64?
    package var lastSeq: UInt64?
    package var sessions = 0
    package var keyed = false
    package var failure: Failure?
    package var warnings: [Warning] = []
    /// A file could not be read: nothing could be verified.
    package var error: AuditError?
    /// What the anchor says, when one was checked.
    package var anchor: Anchor?

    /// What the anchor's checkpoints cover.
    package struct Anchor: Sendable {
        package var file: String
        /// The id of the pinned public key.
        package var key: String
        package var checkpoints = 0
        /// The newest checkpoint (the highest number).
        package var newest: AuditCheckpoint?
        /// The highest `seq` a checkpoint covers.
        package var coveredSeq: UInt64 = 0
        /// Records after `coveredSeq`.
        package var unanchored = 0
        /// When the verification ran (the newest checkpoint's age is taken from it).
        package var checkedAt: Date

        /// How long ago the newest checkpoint was written.
        package var age: TimeInterval? {
            newest?.date.map { checkedAt.timeIntervalSince($0) }
        }

        /// One line: what is anchored, how old the newest checkpoint is, and what is not anchored.
        package var summary: String {
            guard let newest else { return "anchor \(file): no checkpoint" }
            let age = self.age.map { " \(AuditVerification.describe(age: $0)) ago" } ?? ""
            let tail =
                unanchored == 0
                ? "every record is anchored"
                : "\(unanchored) record(s) after it are not anchored"
            return
                "anchored: \(checkpoints) checkpoint(s) signed by key \(key) in \(file); the newest (#\(newest.number), "
                + "\(newest.ts),\(age)) covers seq \(newest.firstSeq)…\(coveredSeq); \(tail)"
        }
    }

    /// `3h 12m`, `4m 05s`, `12s`.
    package static func describe(age: TimeInterval) -> String {
        let seconds = Int(max(0, age))
        if seconds >= 86_400 { return "\(seconds / 86_400)d \(seconds % 86_400 / 3600)h" }
        if seconds >= 3600 { return "\(seconds / 3600)h \(seconds % 3600 / 60)m" }
        if seconds >= 60 { return "\(seconds / 60)m \(String(format: "%02d", seconds % 60))s" }
        return "\(seconds)s"
    }

    /// True when the chain verified (warnings allowed).
    package var isIntact: Bool { failure == nil && error == nil }

    /// A report for people: the verdict first, then the first break and the warnings.
    package var report: String {
        var lines: [String] = []
        if let error {
            lines.append("cannot verify: \(error)")
        } else if let failure {
            lines.append(
                "TAMPERED: \(failure.problem.rawValue) at seq \(failure.seq) (\(failure.file):\(failure.line))"
            )
            lines.append("  \(failure.message)")
            lines.append("  \(records) records verified before it")
        } else {
            let range = firstSeq.map { "seq \($0)…\(lastSeq ?? $0)" } ?? "no records"
            let chain = keyed ? "HMAC-SHA-256" : "SHA-256"
            lines.append(
                "intact: \(records) records, \(range), \(sessions) session(s), \(files.count) file(s), \(chain) chain"
            )
        }
        if let anchor, error == nil { lines.append(anchor.summary) }
        for warning in warnings {
            let place = warning.seq.map { "seq \($0), " } ?? ""
            lines.append(
                "warning: \(warning.kind.rawValue) (\(place)\(warning.file):\(warning.line)): \(warning.message)"
            )
        }
        return lines.joined(separator: "\n")
    }
}
