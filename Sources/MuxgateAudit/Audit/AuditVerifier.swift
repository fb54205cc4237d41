package import Foundation
import MuxgateConfig
import MuxgateWire

/// How far `AuditVerifier` checks beyond the chain itself.
package struct AuditVerifyOptions: Sendable {
    /// The anchor to check the log's ends against, and the public key pinned to check it.
    package var anchor: (path: String, key: AuditPublicKey)?
    /// Accept a log that does not start at seq 1 (or, with an anchor, after the first record the
    /// anchor knows): older files were removed on purpose (retention). Reported as a warning.
    package var allowTruncatedHead = false
    /// The time the newest checkpoint's age is measured against.
    package var now = Date()

    package init(anchor: (path: String, key: AuditPublicKey)? = nil, allowTruncatedHead: Bool = false) {
        self.anchor = anchor
        self.allowTruncatedHead = allowTruncatedHead
    }
}

/// Walks an audit log's hash chain and names the first record that breaks it, and why.
///
/// Checks, record by record: the hash over the line (SHA-256, or HMAC-SHA-256 with `key`), that
/// `seq` is one more than the previous record's and `prev` is its hash. The first failure is
/// classified (edited, deleted, inserted, reordered, wrong key); torn lines and sessions without
/// a `stop` record are warnings, not failures. A log that does not start at seq 1 is a head cut
/// unless `allowTruncatedHead`. With an anchor, its signed checkpoints are checked and the log's
/// ends against them (`AuditVerifier+Anchor.swift`).
package enum AuditVerifier {
    /// Verifies the log at each of `paths` together with its rotated siblings (`PATH.1`, `PATH.2`, …).
    ///
    /// Files are read in chain order: by the `seq` of their first record (see `AuditFileFamily.chainOrder`).
    package static func verify(
        paths: [String],
        key: [UInt8]?,
        options: AuditVerifyOptions = AuditVerifyOptions()
    ) -> AuditVerification {
        var result = AuditVerification()
        result.files = AuditFileFamily.chainOrder(paths)
        result.keyed = key != nil
        let lines: [AuditLogReader.Line]
        do {
            lines = try AuditLogReader.lines(result.files)
        } catch {
            result.error = error
            return result
        }
        let hasher = AuditHasher(key: key)
        if let failure = wrongKey(lines, hasher: hasher) {
            result.failure = failure
            return result
        }
        let walk = Walk(lines: lines, hasher: hasher)
        let records = walk.run(into: &result)
        guard result.failure == nil else { return result }
        if let anchor = options.anchor {
            checkAnchor(anchor.path, key: anchor.key, records: records, options: options, into: &result)
        } else {
            checkHead(records, options: options, into: &result)
            noteAnchorEvidence(records, into: &result)
        }
        return result
    }

    /// Without an anchor: a log whose first record is not seq 1 lost its head, unless that is allowed.
    private static func checkHead(
        _ records: [AuditLogReader.Line],
        options: AuditVerifyOptions,
        into result: inout AuditVerification
    ) {
        guard !options.allowTruncatedHead, let first = records.first, let entry = first.entry, entry.seq != 1 else {
            return
        }
        result.warnings.removeAll { $0.kind == .startsLate }
        result.failure = .init(
            problem: .headCut,
            seq: 1,
            file: first.file,
            line: first.number,
            message:
                "the log starts at seq \(entry.seq): seq 1…\(entry.seq - 1) are missing (its head was cut or a first "
                + "rotated file removed); if older files were deleted on purpose (retention), pass --allow-truncated-head"
        )
    }

    /// A wrong-key failure when no record verifies and that is not explained by a single edit.
    private static func wrongKey(_ lines: [AuditLogReader.Line], hasher: AuditHasher) -> AuditVerification.Failure? {
        let records = lines.filter { $0.entry != nil }
        guard let first = records.first, let entry = first.entry,
            !records.contains(where: { AuditRecord.verifies($0.bytes, hasher: hasher) })
        else { return nil }
        let declared = records.lazy.compactMap { $0.entry?.text("chain") }.first
        let otherWay = hasher.isKeyed && AuditRecord.verifies(first.bytes, hasher: AuditHasher(key: nil))
        guard records.count >= 2 || otherWay || (declared != nil && declared != hasher.algorithm) else { return nil }
        let message: String
        if otherWay {
            message = "the log is not keyed (its records verify with plain SHA-256) but a key was given"
        } else if hasher.isKeyed {
            message = "no record verifies with this key: it is not the key the log was written with"
        } else if declared == "hmac-sha256" {
            message = "the log is keyed (HMAC-SHA-256): pass --key-env with the variable holding the key"
        } else {
            message = "no record verifies with SHA-256: the log is keyed (pass --key-env), or every record was edited"
        }
        return .init(problem: .wrongKey, seq: entry.seq, file: first.file, line: first.number, message: message)
    }

    /// The record-by-record walk.
    private struct Walk {
        package let lines: [AuditLogReader.Line]
        package let hasher: AuditHasher
        /// Line indices of each seq, to tell a reordering from a deletion.
        package var positions: [UInt64: [Int]] = [:]

        package init(lines: [AuditLogReader.Line], hasher: AuditHasher) {
            self.lines = lines
            self.hasher = hasher
            for (index, line) in lines.enumerated() {
                if let entry = line.entry { positions[entry.seq, default: []].append(index) }
            }
        }

        /// Walks the chain into `result`; returns the records that verified, in order.
        package func run(into result: inout AuditVerification) -> [AuditLogReader.Line] {
            var verified: [AuditLogReader.Line] = []
            var last: AuditEntry?
            var lastLine: AuditLogReader.Line?
            /// Lines since the last good record that are not records.
            var damaged: [AuditLogReader.Line] = []
            var seen: Set<UInt64> = []
            var sessions: [String] = []
            var stopped: Set<String> = []
            var lastOf: [String: (seq: UInt64, line: AuditLogReader.Line)] = [:]
            for (index, line) in lines.enumerated() {
                guard let entry = line.entry else {
                    damaged.append(line)
                    continue
                }
                let context = Context(index: index, last: last, lastLine: lastLine, damaged: damaged, seen: seen)
                if let failure = check(entry, line, context) {
                    result.failure = failure
                    break
                }
                if let torn = damaged.first {
                    result.warnings.append(
                        .init(
                            kind: .tornLine,
                            seq: entry.seq,
                            file: torn.file,
                            line: torn.number,
                            message:
                                "not a whole record (a write cut short, e.g. muxgate was killed); the chain continues across it"
                        )
                    )
                    damaged = []
                }
                if last == nil, entry.seq != 1 {
                    result.warnings.append(
                        .init(
                            kind: .startsLate,
                            seq: entry.seq,
                            file: line.file,
                            line: line.number,
                            message:
                                "the log starts at seq \(entry.seq): older records were rotated away or their files are not given"
                        )
                    )
                }
                last = entry
                lastLine = line
                verified.append(line)
                seen.insert(entry.seq)
                result.records += 1
                result.firstSeq = result.firstSeq ?? entry.seq
                result.lastSeq = entry.seq
                if lastOf[entry.session] == nil { sessions.append(entry.session) }
                lastOf[entry.session] = (entry.seq, line)
                if entry.event == AuditEvent.Kind.stop.rawValue { stopped.insert(entry.session) }
            }
            if result.failure == nil, let first = damaged.first {
                // A crash leaves a strict prefix of a record, unterminated; anything else was edited.
                let torn = lines.last?.terminated == false && !damaged.contains { AuditRecord.split($0.bytes) != nil }
                if torn {
                    result.warnings.append(
                        .init(
                            kind: .tornLine,
                            seq: nil,
                            file: first.file,
                            line: first.number,
                            message:
                                "the last line is not a whole record (a write cut short); the chain verifies up to it"
                        )
                    )
                } else {
                    result.failure = .init(
                        problem: .edited,
                        seq: (last?.seq ?? 0) + 1,
                        file: first.file,
                        line: first.number,
                        message: "this line is damaged (not a valid record, and not a write cut short)"
                    )
                }
            }
            result.sessions = sessions.count
            guard result.failure == nil else { return verified }
            for session in sessions where !stopped.contains(session) {
                guard let (seq, line) = lastOf[session] else { continue }
                let isLast = session == last?.session
                result.warnings.append(
                    .init(
                        kind: isLast ? .running : .noStop,
                        seq: seq,
                        file: line.file,
                        line: line.number,
                        message: isLast
                            ? "session \(session) has no stop record: still running, or it was killed or crashed"
                            : "session \(session) ended without a stop record: truncated or crashed (not tampering)"
                    )
                )
            }
            return verified
        }

        /// Where the walk stands when a record is checked.
        package struct Context {
            package let index: Int
            package let last: AuditEntry?
            package let lastLine: AuditLogReader.Line?
            package let damaged: [AuditLogReader.Line]
            package let seen: Set<UInt64>
        }

        /// The failure `entry` causes, if it does not continue the chain from `context.last`.
        private func check(_ entry: AuditEntry, _ line: AuditLogReader.Line, _ context: Context) -> AuditVerification
            .Failure?
        {
            func failure(
                _ problem: AuditVerification.Problem,
                _ seq: UInt64,
                _ message: String,
                at place: AuditLogReader.Line? = nil
            ) -> AuditVerification.Failure {
                let place = place ?? line
                return .init(problem: problem, seq: seq, file: place.file, line: place.number, message: message)
            }
            let hashOK = AuditRecord.verifies(line.bytes, hasher: hasher)
            let next = nextEntry(after: context.index)
            let damagedMessage = "this line is damaged (not a valid record) and the chain does not continue across it"
            guard let last = context.last else {
                if let damaged = context.damaged.first, entry.seq > 1 {
                    return failure(.edited, entry.seq - 1, damagedMessage, at: damaged)
                }
                if !hashOK {
                    let seq = next.map { $0.seq > 0 ? $0.seq - 1 : 0 } ?? entry.seq
                    return failure(.edited, seq, "the record's hash does not match its content")
                }
                if entry.seq == 1, entry.prev != AuditRecord.genesis {
                    return failure(.edited, 1, "seq 1 must have prev = 64 zeros")
                }
                return nil
            }
            let expected = last.seq + 1
            if hashOK, entry.seq == expected, entry.prev == last.hash {
                if let forged = context.damaged.first(where: { AuditRecord.split($0.bytes) != nil }) {
                    return failure(
                        .inserted,
                        expected,
                        "a line that is not a valid record was inserted before seq \(expected)",
                        at: forged
                    )
                }
                return nil
            }
            if let damaged = context.damaged.first {
                return failure(.edited, expected, damagedMessage, at: damaged)
            }
            if !hashOK || entry.seq <= expected || !linksToSomeRecord(entry) {
                if let next, next.seq == expected, next.prev == last.hash,
                    AuditRecord.verifies(next.line, hasher: hasher)
                {
                    return failure(
                        .inserted,
                        expected,
                        "a record that does not belong to the chain (it claims seq \(entry.seq)) was inserted before seq \(expected)"
                    )
                }
            }
            if !hashOK {
                return failure(.edited, expected, "the record's hash does not match its content")
            }
            if entry.seq > expected {
                let boundary =
                    context.lastLine?.file != line.file ? " (across files: a rotated file may be missing)" : ""
                if positions[expected, default: []].contains(where: { $0 > context.index }) {
                    return failure(.reordered, expected, "seq \(entry.seq) comes before seq \(expected)")
                }
                let range = entry.seq - 1 > expected ? "seq \(expected)…\(entry.seq - 1) are" : "seq \(expected) is"
                return failure(
                    .deleted,
                    expected,
                    "\(range) missing: seq jumps from \(last.seq) to \(entry.seq)\(boundary)"
                )
            }
            if entry.seq < expected {
                if context.seen.contains(entry.seq) {
                    return failure(
                        .inserted,
                        entry.seq,
                        "a second record with seq \(entry.seq) (inserted or duplicated)"
                    )
                }
                return failure(.reordered, entry.seq, "seq goes backwards from \(last.seq) to \(entry.seq)")
            }
            return failure(
                .edited,
                expected,
                "prev does not match the hash of seq \(last.seq): a record was replaced and rehashed"
            )
        }

        /// True when some record in the log has `seq - 1` and the hash `entry.prev` names.
        private func linksToSomeRecord(_ entry: AuditEntry) -> Bool {
            if entry.seq == 1 { return entry.prev == AuditRecord.genesis }
            return positions[entry.seq - 1, default: []].contains { lines[$0].entry?.hash == entry.prev }
        }

        private func nextEntry(after index: Int) -> AuditEntry? {
            lines[(index + 1)...].lazy.compactMap(\.entry).first
        }
    }
}
