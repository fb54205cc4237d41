import MuxgateConfig
package import MuxgateWire

/// The byte layout of one audit record and its hash.
///
/// A record is one line: `{"seq":N,"ts":"…","event":"…","session":"…",<event fields, keys sorted>,
/// "prev":"<64 hex>","hash":"<64 hex>"}` then `\n`. Its hash is taken over the line without the
/// final `,"hash":"<64 hex>"` member, i.e. the bytes before it followed by `}`; that body is itself a
/// JSON object. The hash is verifiable from the line bytes alone.
package enum AuditRecord {
    /// `prev` of the very first record of a log.
    package static let genesis = String(repeating: "0", count: 64)
    /// `,"hash":"` + 64 hex digits + `"}`.
    package static let hashSuffixLength = 75
    private static let hashMarker = Array(#","hash":""#.utf8)

    /// Encodes a record (without its trailing newline) and returns it with its hash.
    package static func encode(
        seq: UInt64,
        ts: String,
        event: AuditEvent,
        session: String,
        prev: String,
        hasher: AuditHasher
    ) -> (line: [UInt8], hash: String) {
        encode(
            seq: seq,
            ts: ts,
            kind: event.kind,
            fields: fields(of: event),
            session: session,
            prev: prev,
            hasher: hasher
        )
    }

    /// The event's own members, in canonical order, each with its leading comma: the part of a
    /// record that does not depend on its place in the chain (encoded before the log's lock).
    package static func fields(of event: AuditEvent) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        for (key, value) in AuditCanonical.sorted(event.fields) {
            member(key, AuditCanonical.canonical(value), into: &out)
        }
        return out
    }

    /// Encodes a record from its chain position and its pre-encoded `fields` (`fields(of:)`).
    package static func encode(
        seq: UInt64,
        ts: String,
        kind: AuditEvent.Kind,
        fields: [UInt8],
        session: String,
        prev: String,
        hasher: AuditHasher
    ) -> (line: [UInt8], hash: String) {
        var out: [UInt8] = []
        out.reserveCapacity(fields.count + 320)
        out.append(contentsOf: #"{"seq":"#.utf8)
        out.append(contentsOf: String(seq).utf8)
        member("ts", .string(ts), into: &out)
        member("event", .string(kind.rawValue), into: &out)
        member("session", .string(session), into: &out)
        out.append(contentsOf: fields)
        member("prev", .string(prev), into: &out)
        out.append(UInt8(ascii: "}"))
        let hash = hasher.digest(out)
        out.removeLast()
        out.append(contentsOf: hashMarker)
        out.append(contentsOf: hash.utf8)
        out.append(contentsOf: #""}"#.utf8)
        return (out, hash)
    }

    private static func member(_ key: String, _ value: JSONValue, into out: inout [UInt8]) {
        out.append(UInt8(ascii: ","))
        JSONValue.encodeString(key, into: &out)
        out.append(UInt8(ascii: ":"))
        value.encode(into: &out)
    }

    /// The hashed body of a line and the hash it carries; nil when the line does not end in a
    /// well-formed hash member (a torn or damaged line).
    package static func split(_ line: ArraySlice<UInt8>) -> (body: [UInt8], hash: String)? {
        guard line.count > hashSuffixLength else { return nil }
        let suffixStart = line.endIndex - hashSuffixLength
        let suffix = line[suffixStart...]
        guard suffix.starts(with: hashMarker), suffix.last == UInt8(ascii: "}"),
            suffix[suffix.endIndex - 2] == UInt8(ascii: "\"")
        else { return nil }
        let hex = suffix[(suffixStart + hashMarker.count)..<(suffix.endIndex - 2)]
        guard hex.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        var body = Array(line[..<suffixStart])
        body.append(UInt8(ascii: "}"))
        return (body, String(decoding: hex, as: UTF8.self))
    }

    /// True when `line` carries the hash `hasher` computes over its body.
    package static func verifies(_ line: ArraySlice<UInt8>, hasher: AuditHasher) -> Bool {
        guard let (body, hash) = split(line) else { return false }
        return hasher.digest(body) == hash
    }
}
