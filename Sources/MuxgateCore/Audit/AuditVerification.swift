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
        /// The first record is not seq 1: older files were rotated away or are not given.
        case startsLate = "starts late"
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
        for warning in warnings {
            let place = warning.seq.map { "seq \($0), " } ?? ""
            lines.append(
                "warning: \(warning.kind.rawValue) (\(place)\(warning.file):\(warning.line)): \(warning.message)"
            )
        }
        return lines.joined(separator: "\n")
    }
}
