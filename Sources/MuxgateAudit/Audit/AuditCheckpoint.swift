package import Foundation
import MuxgateConfig
import MuxgateWire

/// One signed checkpoint of the anchor: where the log stood, signed with Ed25519.
///
/// One line of the anchor file, a JSON object in this exact layout:
///
/// ```
/// {"checkpoint":N,"ts":"…","key":"<16 hex>","session":"…","reason":"…","first_seq":F,
///  "first_hash":"<64 hex>","seq":S,"hash":"<64 hex>","prev":"<64 hex>","sig":"<base64>"}
/// ```
///
/// The signature is taken over the line without its final `,"sig":"…"` member, followed by `}` (as
/// a record's hash is), so anyone can check it from the bytes alone. `prev` is the SHA-256 of the
/// whole previous line (with its signature; 64 zeros for checkpoint 1), so checkpoints form a
/// chain of their own, as CloudTrail's digest files do.
package struct AuditCheckpoint: Sendable, Equatable {
    /// Why a checkpoint was written.
    package enum Reason: String, Sendable {
        /// The anchor's thread started and found records no checkpoint covered.
        case start
        /// `interval` passed and new records exist.
        case interval
        /// After the `stop` record, the last thing a muxgate process writes.
        case stop
    }

    /// 1, 2, 3 … gap-free along the anchor.
    package let number: UInt64
    package let ts: String
    /// The id of the public key that verifies it (`AuditPublicKey.id`).
    package let key: String
    /// The session (`AuditLog.session`) of the muxgate process that wrote it.
    package let session: String
    package let reason: String
    /// The first record of the log as the anchor knows it (kept from checkpoint 1 on).
    package let firstSeq: UInt64
    package let firstHash: String
    /// The last record covered: the log must hold this record, with this hash.
    package let seq: UInt64
    package let hash: String
    /// SHA-256 of the previous checkpoint's line; 64 zeros for checkpoint 1.
    package let prev: String
    /// The whole line (no newline).
    package let line: [UInt8]
    /// What is signed: the line without its `sig` member, closed with `}`.
    package let body: [UInt8]
    package let signature: [UInt8]

    /// `,"sig":"` + 88 base64 characters (64 bytes) + `"}`.
    package static let signatureSuffixLength = 98
    private static let signatureMarker = Array(#","sig":""#.utf8)

    /// SHA-256 of the whole line: what the next checkpoint's `prev` and the log's `checkpoint`
    /// record name.
    package var lineHash: String { AuditCanonical.sha256(line) }

    /// Builds and signs a checkpoint.
    ///
    /// - Throws: `AuditError` (`anchorFailed`) when signing fails.
    package static func make(
        number: UInt64,
        ts: String,
        key: AuditSigningKey,
        session: String,
        reason: Reason,
        first: (seq: UInt64, hash: String),
        covering head: AuditLog.Head,
        prev: String
    ) throws(AuditError) -> AuditCheckpoint {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        out.append(contentsOf: #"{"checkpoint":"#.utf8)
        out.append(contentsOf: String(number).utf8)
        member("ts", .string(ts), into: &out)
        member("key", .string(key.publicKey.id), into: &out)
        member("session", .string(session), into: &out)
        member("reason", .string(reason.rawValue), into: &out)
        member("first_seq", .number(String(first.seq)), into: &out)
        member("first_hash", .string(first.hash), into: &out)
        member("seq", .number(String(head.seq)), into: &out)
        member("hash", .string(head.hash), into: &out)
        member("prev", .string(prev), into: &out)
        out.append(UInt8(ascii: "}"))
        let body = out
        let signature = try key.sign(body)
        out.removeLast()
        out.append(contentsOf: signatureMarker)
        out.append(contentsOf: Data(signature).base64EncodedString().utf8)
        out.append(contentsOf: #""}"#.utf8)
        guard let checkpoint = parse(out[...]) else {
            throw AuditError(
                .anchorFailed,
                path: "",
                "a checkpoint did not read back (a value is not what it should be)"
            )
        }
        return checkpoint
    }

    /// Parses an anchor line; nil when it is not a whole checkpoint (torn, damaged, or not one).
    /// The signature is not checked here (`isSigned(by:)`).
    package static func parse(_ line: ArraySlice<UInt8>) -> AuditCheckpoint? {
        guard line.count > signatureSuffixLength else { return nil }
        let suffixStart = line.endIndex - signatureSuffixLength
        let suffix = line[suffixStart...]
        let encoded = Data(suffix[(suffixStart + signatureMarker.count)..<(suffix.endIndex - 2)])
        // Canonical base64 only: a line has one spelling, so its SHA-256 (what `prev` and the log's
        // `checkpoint` records name) cannot change while its signature still verifies.
        guard suffix.starts(with: signatureMarker), suffix.last == UInt8(ascii: "}"),
            suffix[suffix.endIndex - 2] == UInt8(ascii: "\""),
            let signature = Data(base64Encoded: encoded), signature.count == 64,
            Data(signature.base64EncodedString().utf8) == encoded
        else { return nil }
        guard let root = try? JSONSlice.parse(Array(line)), root.kind == .object,
            let number = unsigned(root["checkpoint"]), let ts = root["ts"]?.string, let key = root["key"]?.string,
            let session = root["session"]?.string, let reason = root["reason"]?.string,
            let firstSeq = unsigned(root["first_seq"]), let firstHash = root["first_hash"]?.string,
            let seq = unsigned(root["seq"]), let hash = root["hash"]?.string, let prev = root["prev"]?.string
        else { return nil }
        var body = Array(line[..<suffixStart])
        body.append(UInt8(ascii: "}"))
        return AuditCheckpoint(
            number: number,
            ts: ts,
            key: key,
            session: session,
            reason: reason,
            firstSeq: firstSeq,
            firstHash: firstHash,
            seq: seq,
            hash: hash,
            prev: prev,
            line: Array(line),
            body: body,
            signature: [UInt8](signature)
        )
    }

    /// True when `key` made the signature over this checkpoint's bytes.
    package func isSigned(by key: AuditPublicKey) -> Bool {
        key.isValidSignature(signature, for: body)
    }

    package var date: Date? { AuditTimestamp.parse(ts) }

    private static func unsigned(_ value: JSONSlice?) -> UInt64? {
        guard let value, value.isIntegerLiteral else { return nil }
        return UInt64(value.text)
    }

    private static func member(_ key: String, _ value: JSONValue, into out: inout [UInt8]) {
        out.append(UInt8(ascii: ","))
        JSONValue.encodeString(key, into: &out)
        out.append(UInt8(ascii: ":"))
        value.encode(into: &out)
    }
}
