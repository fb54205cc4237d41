import Crypto

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// muxgate's canonical JSON and the digests built on it.
///
/// Canonical form: compact; object members sorted by the UTF-8 bytes of their keys (stable, so
/// duplicate keys keep their order), recursively; strings decoded and re-encoded by `JSONValue`
/// (only `"`, `\` and controls escaped); numbers exactly as written.
package enum AuditCanonical {
    /// The canonical value of `slice`, built from decoded parts (never `.raw`).
    package static func value(_ slice: JSONSlice) -> JSONValue {
        switch slice.kind {
        case .object:
            return .object(sorted(slice.members.map { ($0.key, value($0.value)) }))
        case .array: return .array(slice.elements.map(value))
        case .string: return .string(slice.string ?? "")
        case .number: return .number(slice.text)
        case .bool: return .bool(slice.bool ?? false)
        case .null: return .null
        }
    }

    /// The canonical bytes of `slice`.
    package static func bytes(_ slice: JSONSlice) -> [UInt8] {
        value(slice).encoded
    }

    /// Hex SHA-256 of `bytes`.
    package static func sha256(_ bytes: some Sequence<UInt8>) -> String {
        SHA256.hash(data: Array(bytes)).withUnsafeBytes(\.hexString)
    }

    /// Hex SHA-256 of a value's canonical form (a tool definition's `tool_sha256`).
    package static func sha256(of slice: JSONSlice) -> String {
        sha256(bytes(slice))
    }

    /// Members sorted by key bytes, stable.
    package static func sorted(_ members: [(String, JSONValue)]) -> [(String, JSONValue)] {
        // Most objects (and every event muxgate builds) are in order already.
        if members.indices.dropFirst().allSatisfy({ !utf8Precedes(members[$0].0, members[$0 - 1].0) }) {
            return members
        }
        return members.enumerated().sorted { a, b in
            let (ka, kb) = (a.element.0, b.element.0)
            if ka == kb { return a.offset < b.offset }
            return utf8Precedes(ka, kb)
        }.map(\.element)
    }

    /// Whether `a` sorts before `b` by UTF-8 bytes (`memcmp` on the contiguous bytes: the generic
    /// comparison of the two views cost ~150 instructions a key).
    package static func utf8Precedes(_ a: String, _ b: String) -> Bool {
        var (a, b) = (a, b)
        return a.withUTF8 { x in
            b.withUTF8 { y in
                let common = min(x.count, y.count)
                let order = common == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, common)
                return order != 0 ? order < 0 : x.count < y.count
            }
        }
    }

    /// `value` with object keys sorted at every depth (`.raw` parts parsed and canonicalised).
    package static func canonical(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members): return .object(sorted(members.map { ($0.0, canonical($0.1)) }))
        case .array(let elements): return .array(elements.map(canonical))
        case .raw(let bytes):
            guard let slice = try? JSONSlice.parse(Array(bytes)) else { return .string("[unparseable]") }
            return self.value(slice)
        default: return value
        }
    }
}

/// The record hash: hex SHA-256, or HMAC-SHA-256 when the chain is keyed.
package struct AuditHasher: Sendable {
    private let key: [UInt8]?

    package init(key: [UInt8]?) {
        self.key = key
    }

    package var isKeyed: Bool { key != nil }

    /// The chain's algorithm name as written in `start` records.
    package var algorithm: String { key == nil ? "sha256" : "hmac-sha256" }

    package func digest(_ bytes: some Sequence<UInt8>) -> String {
        let bytes = Array(bytes)
        // Through the raw bytes: iterating a digest as a generic sequence cost more than hashing.
        guard let key else { return SHA256.hash(data: bytes).withUnsafeBytes(\.hexString) }
        return HMAC<SHA256>.authenticationCode(for: bytes, using: SymmetricKey(data: key)).withUnsafeBytes(\.hexString)
    }
}

/// Replaces configured secrets in every string, key and number of an event with `"[secret]"`.
package struct AuditScrubber: Sendable {
    /// Secrets shorter than this are not scrubbed: they would match ordinary words and numbers.
    package static let minimumLength = 6
    package static let replacement = "[secret]"

    /// Longest first, so a secret that contains another is replaced whole.
    package private(set) var secrets: [String]
    /// The `Secrets.shared` version last merged in (-1: none yet).
    package var sharedVersion = -1

    package init(_ secrets: some Sequence<String>) {
        self.secrets = []
        add(secrets)
    }

    package mutating func add(_ more: some Sequence<String>) {
        let kept = more.filter { $0.utf8.count >= Self.minimumLength }
        secrets = Array(Set(secrets + kept)).sorted {
            $0.utf8.count > $1.utf8.count || ($0.utf8.count == $1.utf8.count && $0 < $1)
        }
    }

    package func scrub(_ value: JSONValue) -> JSONValue {
        guard !secrets.isEmpty else { return value }
        switch value {
        case .string(let text): return .string(scrub(text))
        case .number(let literal): return contains(literal) ? .string(Self.replacement) : value
        case .int(let number): return contains(String(number)) ? .string(Self.replacement) : value
        case .array(let elements): return .array(elements.map(scrub))
        case .object(let members): return .object(members.map { (scrub($0.0), scrub($0.1)) })
        case .raw: return scrub(AuditCanonical.canonical(value))
        case .null, .bool: return value
        }
    }

    package func scrub(_ text: String) -> String {
        var text = text
        for secret in secrets where text.contains(secret) {
            text = text.replacing(secret, with: Self.replacement)
        }
        return text
    }

    private func contains(_ text: String) -> Bool {
        secrets.contains { text.contains($0) }
    }
}
