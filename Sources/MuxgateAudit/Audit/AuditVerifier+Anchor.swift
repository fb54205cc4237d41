import Foundation
import MuxgateConfig
import MuxgateWire

/// The anchor's checks: its signed checkpoints, their chain, and the log's ends against them.
extension AuditVerifier {
    /// One line of the anchor file.
    private struct AnchorLine {
        package let number: Int
        package let terminated: Bool
        package let checkpoint: AuditCheckpoint?
    }

    /// Checks the anchor at `path` with the pinned `key`, then the verified `records` against it.
    ///
    /// In order, the first failure wins: the anchor is missing or empty; a checkpoint is not
    /// signed by `key`; the checkpoints' chain is broken; the log ends before the newest
    /// checkpoint's record (tail cut); the log starts after the first record the anchor knows
    /// (head cut, unless allowed); a record at a checkpoint's `seq` has another hash (rewritten);
    /// the log names a checkpoint the anchor lacks or holds differently, or a stopped anchored
    /// session has no checkpoint covering its `stop` (rolled back).
    package static func checkAnchor(
        _ path: String,
        key: AuditPublicKey,
        records: [AuditLogReader.Line],
        options: AuditVerifyOptions,
        into result: inout AuditVerification
    ) {
        var anchor = AuditVerification.Anchor(file: path, key: key.id, checkedAt: options.now)
        let lines: [AnchorLine]
        do {
            guard let read = try readAnchor(path) else {
                result.failure = .init(
                    problem: .anchorMissing,
                    seq: records.first?.entry?.seq ?? 0,
                    file: path,
                    line: 0,
                    message:
                        "the anchor file does not exist: it was deleted, or muxgate never wrote a checkpoint to it "
                        + "(it writes one when it starts, every audit.anchor.interval while records come, and at stop)"
                )
                return
            }
            lines = read
        } catch {
            result.error = error
            return
        }
        let checkpoints: [(checkpoint: AuditCheckpoint, line: Int)]
        switch walkAnchor(lines, key: key, path: path) {
        case .failure(let failure):
            result.failure = failure
            return
        case .success(let walked, let torn):
            checkpoints = walked
            result.warnings += torn
        }
        guard let newest = checkpoints.last?.checkpoint else {
            result.failure = .init(
                problem: .anchorMissing,
                seq: records.first?.entry?.seq ?? 0,
                file: path,
                line: 0,
                message: "the anchor holds no checkpoint: its content was removed, or none was ever written"
            )
            return
        }
        anchor.checkpoints = checkpoints.count
        anchor.newest = newest
        anchor.coveredSeq = checkpoints.map(\.checkpoint.seq).max() ?? 0
        let lastSeq = records.last?.entry?.seq ?? 0
        anchor.unanchored = lastSeq > anchor.coveredSeq ? Int(lastSeq - anchor.coveredSeq) : 0
        result.anchor = anchor
        if let failure = checkEnds(records, checkpoints, newest: newest, path: path, options: options, into: &result)
            ?? checkEvidence(records, checkpoints, key: key, coveredSeq: anchor.coveredSeq, path: path)
        {
            result.failure = failure
            return
        }
        if anchor.unanchored > 0, let last = records.last {
            let age = anchor.age.map { ", written \(AuditVerification.describe(age: $0)) ago" } ?? ""
            result.warnings.append(
                .init(
                    kind: .unanchored,
                    seq: anchor.coveredSeq + 1,
                    file: last.file,
                    line: last.number,
                    message:
                        "seq \(anchor.coveredSeq + 1)…\(lastSeq) come after the newest checkpoint (#\(newest.number)\(age)): "
                        + "nothing anchors them yet; they could be cut (or, without key_env, rewritten) undetected"
                )
            )
        }
    }

    /// Without an anchor: notes that the log's records say it is anchored, so its ends went unchecked.
    package static func noteAnchorEvidence(_ records: [AuditLogReader.Line], into result: inout AuditVerification) {
        guard let line = records.last(where: { $0.entry?.text("anchor") != nil }), let entry = line.entry else {
            return
        }
        result.warnings.append(
            .init(
                kind: .anchorNotChecked,
                seq: entry.seq,
                file: line.file,
                line: line.number,
                message:
                    "the log is anchored (key \(entry.text("anchor") ?? "?")): pass --anchor FILE --public-key KEY "
                    + "(or verify with the config that sets audit.anchor) to check that its ends were not cut"
            )
        )
    }

    /// The anchor's lines; nil when the file does not exist.
    private static func readAnchor(_ path: String) throws(AuditError) -> [AnchorLine]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let bytes = try AuditFile.contents(of: path)
        var lines: [AnchorLine] = []
        var number = 0
        var start = bytes.startIndex
        while start < bytes.endIndex {
            number += 1
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.endIndex
            if start < end {
                lines.append(
                    AnchorLine(
                        number: number,
                        terminated: end < bytes.endIndex,
                        checkpoint: AuditCheckpoint.parse(bytes[start..<end])
                    )
                )
            }
            start = end + 1
        }
        return lines
    }

    /// What walking the anchor gives: its checkpoints and torn-line warnings, or the first failure.
    private enum Walked {
        case success([(checkpoint: AuditCheckpoint, line: Int)], torn: [AuditVerification.Warning])
        case failure(AuditVerification.Failure)
    }

    /// Checks every checkpoint's signature and the chain they form.
    private static func walkAnchor(
        _ lines: [AnchorLine],
        key: AuditPublicKey,
        path: String
    ) -> Walked {
        func broken(_ seq: UInt64, _ line: Int, _ message: String, _ problem: AuditVerification.Problem = .anchorBroken)
            -> Walked
        {
            .failure(.init(problem: problem, seq: seq, file: path, line: line, message: message))
        }
        var checkpoints: [(checkpoint: AuditCheckpoint, line: Int)] = []
        var torn: [AuditVerification.Warning] = []
        var damaged: [AnchorLine] = []
        for line in lines {
            guard let checkpoint = line.checkpoint else {
                damaged.append(line)
                continue
            }
            let number = checkpoint.number
            guard checkpoint.key == key.id else {
                return broken(
                    checkpoint.seq,
                    line.number,
                    "checkpoint #\(number) is signed with key \(checkpoint.key), not the given key \(key.id): "
                        + "the anchor was replaced or re-signed with another key",
                    .badSignature
                )
            }
            guard checkpoint.isSigned(by: key) else {
                return broken(
                    checkpoint.seq,
                    line.number,
                    "checkpoint #\(number)'s signature does not verify with key \(key.id): the line was edited",
                    .badSignature
                )
            }
            if let (last, _) = checkpoints.last {
                if number > last.number + 1 {
                    let range =
                        number - 1 > last.number + 1
                        ? "#\(last.number + 1)…#\(number - 1) are" : "#\(last.number + 1) is"
                    return broken(
                        checkpoint.seq,
                        line.number,
                        "checkpoint \(range) missing: the anchor jumps from #\(last.number) to #\(number)"
                    )
                }
                if number <= last.number {
                    return broken(
                        checkpoint.seq,
                        line.number,
                        "checkpoint #\(number) comes after #\(last.number): repeated, reordered or spliced in"
                    )
                }
                if checkpoint.prev != last.lineHash {
                    return broken(
                        checkpoint.seq,
                        line.number,
                        "checkpoint #\(number) does not link to #\(last.number) (its prev is not the SHA-256 of that line): "
                            + "the anchor was edited or spliced"
                    )
                }
                for line in damaged {
                    torn.append(
                        .init(
                            kind: .tornCheckpoint,
                            seq: nil,
                            file: path,
                            line: line.number,
                            message:
                                "not a whole checkpoint (a write cut short); the checkpoints' chain continues across it"
                        )
                    )
                }
            } else {
                if let first = damaged.first {
                    return broken(checkpoint.seq, first.number, "this line is not a checkpoint")
                }
                if number != 1 {
                    return broken(
                        checkpoint.seq,
                        line.number,
                        "the anchor starts at checkpoint #\(number): \(number == 2 ? "#1 was" : "#1…#\(number - 1) were") removed"
                    )
                }
                if checkpoint.prev != AuditRecord.genesis {
                    return broken(checkpoint.seq, line.number, "checkpoint #1 must have prev = 64 zeros")
                }
            }
            damaged = []
            checkpoints.append((checkpoint, line.number))
        }
        if let first = damaged.first {
            // A crash can leave a strict prefix of one checkpoint, unterminated, at the end.
            guard damaged.count == 1, !first.terminated else {
                return broken(checkpoints.last?.checkpoint.seq ?? 0, first.number, "this line is not a checkpoint")
            }
            torn.append(
                .init(
                    kind: .tornCheckpoint,
                    seq: nil,
                    file: path,
                    line: first.number,
                    message: "the anchor's last line is not a whole checkpoint (a write cut short)"
                )
            )
        }
        return .success(checkpoints, torn: torn)
    }

    /// The log's ends and the records checkpoints name: tail cut, head cut, rewritten.
    private static func checkEnds(
        _ records: [AuditLogReader.Line],
        _ checkpoints: [(checkpoint: AuditCheckpoint, line: Int)],
        newest: AuditCheckpoint,
        path: String,
        options: AuditVerifyOptions,
        into result: inout AuditVerification
    ) -> AuditVerification.Failure? {
        let firstSeq = records.first?.entry?.seq
        let lastSeq = records.last?.entry?.seq ?? 0
        /// The verified record at `seq` (the chain is gap-free from the first record on).
        func record(at seq: UInt64) -> AuditLogReader.Line? {
            guard let firstSeq, seq >= firstSeq, seq - firstSeq < UInt64(records.count) else { return nil }
            return records[Int(seq - firstSeq)]
        }
        if let (furthest, line) = checkpoints.max(by: { $0.checkpoint.seq < $1.checkpoint.seq }),
            furthest.seq > lastSeq
        {
            let missing =
                lastSeq + 1 == furthest.seq ? "seq \(furthest.seq) was" : "seq \(lastSeq + 1)…\(furthest.seq) were"
            let ends = records.isEmpty ? "the log has no records" : "the log ends at seq \(lastSeq)"
            return .init(
                problem: .tailCut,
                seq: lastSeq + 1,
                file: records.last?.file ?? path,
                line: records.last?.number ?? line,
                message:
                    "\(ends), but checkpoint #\(furthest.number) (\(furthest.ts), \(path):\(line)) covers seq \(furthest.seq): "
                    + "\(missing) removed from its end (or their files are not given)"
            )
        }
        if let firstSeq, let first = records.first, firstSeq > newest.firstSeq {
            if !options.allowTruncatedHead {
                result.warnings.removeAll { $0.kind == .startsLate }
                return .init(
                    problem: .headCut,
                    seq: newest.firstSeq,
                    file: first.file,
                    line: first.number,
                    message:
                        "the log starts at seq \(firstSeq), but the anchor knows it started at seq \(newest.firstSeq) "
                        + "(checkpoint #\(newest.number)): seq \(newest.firstSeq)…\(firstSeq - 1) were removed (its head cut, "
                        + "or a first rotated file deleted); pass --allow-truncated-head if they were deleted on purpose"
                )
            }
        } else if let line = record(at: newest.firstSeq), line.entry?.hash != newest.firstHash {
            return .init(
                problem: .rewritten,
                seq: newest.firstSeq,
                file: line.file,
                line: line.number,
                message:
                    "the record at seq \(newest.firstSeq) is not the first record the anchor knows (checkpoint "
                    + "#\(newest.number) names hash \(newest.firstHash.prefix(16))…): the log was replaced or rewritten"
            )
        }
        for (checkpoint, anchorLine) in checkpoints {
            guard let line = record(at: checkpoint.seq), line.entry?.hash != checkpoint.hash else { continue }
            return .init(
                problem: .rewritten,
                seq: checkpoint.seq,
                file: line.file,
                line: line.number,
                message:
                    "the record at seq \(checkpoint.seq) is not the one checkpoint #\(checkpoint.number) "
                    + "(\(path):\(anchorLine)) signed: the log was rewritten at or before it and re-chained"
            )
        }
        return nil
    }

    /// What the log says about its anchor: every `checkpoint` record names one the anchor must
    /// hold, and every anchored session's `stop` must be covered.
    private static func checkEvidence(
        _ records: [AuditLogReader.Line],
        _ checkpoints: [(checkpoint: AuditCheckpoint, line: Int)],
        key: AuditPublicKey,
        coveredSeq: UInt64,
        path: String
    ) -> AuditVerification.Failure? {
        let byNumber = Dictionary(checkpoints.map { ($0.checkpoint.number, $0) }) { first, _ in first }
        let newest = checkpoints.last?.checkpoint.number ?? 0
        for line in records {
            guard let entry = line.entry, entry.text("anchor") == key.id else { continue }
            if entry.event == AuditEvent.Kind.checkpoint.rawValue {
                guard let number = entry.text("checkpoint").flatMap({ UInt64($0) }) else { continue }
                let recorded = entry.text("checkpoint_sha256") ?? ""
                guard let (checkpoint, anchorLine) = byNumber[number] else {
                    return .init(
                        problem: .anchorRolledBack,
                        seq: entry.seq,
                        file: line.file,
                        line: line.number,
                        message:
                            "the log records that checkpoint #\(number) was written, but the anchor ends at #\(newest): "
                            + "it was rolled back (checkpoints removed from its end) or replaced"
                    )
                }
                if checkpoint.lineHash != recorded {
                    return .init(
                        problem: .anchorRolledBack,
                        seq: entry.seq,
                        file: path,
                        line: anchorLine,
                        message:
                            "checkpoint #\(number) is not the one the log recorded at seq \(entry.seq) "
                            + "(\(line.file):\(line.number)): the anchor was replaced or rewritten"
                    )
                }
            } else if entry.event == AuditEvent.Kind.stop.rawValue, entry.seq > coveredSeq {
                return .init(
                    problem: .anchorRolledBack,
                    seq: entry.seq,
                    file: line.file,
                    line: line.number,
                    message:
                        "session \(entry.session) stopped at seq \(entry.seq) with its anchor on, but no checkpoint covers "
                        + "its stop record: the anchor lost its last checkpoint(s) (rolled back), or muxgate died "
                        + "between writing stop and that checkpoint"
                )
            }
        }
        return nil
    }
}
