package import Crypto
import Foundation
import MuxgateConfig
import MuxgateWire

/// The Ed25519 private key that signs the audit anchor's checkpoints.
///
/// On disk: PEM PKCS#8 (`-----BEGIN PRIVATE KEY-----`), as `muxgate audit keygen` and
/// `openssl genpkey -algorithm ed25519` write it; or, e.g. in an environment variable, the base64
/// of the 32 raw bytes. The key never reaches a log, an error message or the audit trail: only its
/// public half and that half's id are ever shown.
package struct AuditSigningKey: Sendable {
    private let key: Curve25519.Signing.PrivateKey

    /// A new random key.
    package init() {
        key = Curve25519.Signing.PrivateKey()
    }

    /// Reads a key from PEM PKCS#8 text or the base64 of its 32 raw bytes; nil when it is neither.
    package init?(text: String) {
        guard let raw = AuditKeyEncoding.privateRaw(text),
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else { return nil }
        self.key = key
    }

    package var publicKey: AuditPublicKey {
        AuditPublicKey(key.publicKey)
    }

    /// PEM PKCS#8, the format `openssl pkey` reads.
    package var pem: String {
        AuditKeyEncoding.pem("PRIVATE KEY", AuditKeyEncoding.pkcs8Prefix + [UInt8](key.rawRepresentation))
    }

    /// The Ed25519 signature (64 bytes) of `bytes`.
    ///
    /// - Throws: `AuditError` (`anchorFailed`) in the unlikely case the library cannot sign.
    package func sign(_ bytes: [UInt8]) throws(AuditError) -> [UInt8] {
        do {
            return [UInt8](try key.signature(for: bytes))
        } catch {
            throw AuditError(.anchorFailed, path: "", "cannot sign a checkpoint: \(error)")
        }
    }
}

/// The Ed25519 public key a verifier pins to check the anchor's checkpoints.
///
/// Written as PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`, `openssl pkey -pubout`) or
/// the base64 of its 32 raw bytes.
package struct AuditPublicKey: Sendable, Equatable {
    private let key: Curve25519.Signing.PublicKey

    package init(_ key: Curve25519.Signing.PublicKey) {
        self.key = key
    }

    /// Reads a key from PEM SubjectPublicKeyInfo text or the base64 of its 32 raw bytes.
    package init?(text: String) {
        guard let raw = AuditKeyEncoding.publicRaw(text),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        else { return nil }
        self.key = key
    }

    package static func == (a: AuditPublicKey, b: AuditPublicKey) -> Bool {
        a.key.rawRepresentation == b.key.rawRepresentation
    }

    /// The base64 of the 32 raw bytes.
    package var base64: String {
        key.rawRepresentation.base64EncodedString()
    }

    /// PEM SubjectPublicKeyInfo.
    package var pem: String {
        AuditKeyEncoding.pem("PUBLIC KEY", AuditKeyEncoding.spkiPrefix + [UInt8](key.rawRepresentation))
    }

    /// The first 16 hex digits of the SHA-256 of the raw key: names the key in checkpoints and
    /// records (it tells keys apart; it proves nothing — signatures are checked with the pinned key).
    package var id: String {
        String(AuditCanonical.sha256(key.rawRepresentation).prefix(16))
    }

    /// True when `signature` is this key's signature of `bytes`.
    package func isValidSignature(_ signature: [UInt8], for bytes: [UInt8]) -> Bool {
        key.isValidSignature(signature, for: bytes)
    }
}

/// PEM and DER framing of Ed25519 keys (RFC 8410), without an ASN.1 library: the encodings of
/// an Ed25519 key are fixed prefixes followed by the 32 raw bytes.
package enum AuditKeyEncoding {
    /// `SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32) } }`.
    package static let pkcs8Prefix: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]
    /// `SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (32 bytes) }`.
    package static let spkiPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    /// The 32 raw bytes of a private key in PEM PKCS#8 (version 1, or version 2 with the public
    /// key appended) or plain base64.
    package static func privateRaw(_ text: String) -> [UInt8]? {
        if let der = derFromPEM(text, label: "PRIVATE KEY") {
            // Version 1 (openssl) or 2 (with the public key after): same layout up to the key.
            guard der.count >= 48, der[0] == 0x30, der[2...3] == [0x02, 0x01], der[4] <= 1,
                Array(der[5..<16]) == Array(pkcs8Prefix[5..<16])
            else { return nil }
            return Array(der[16..<48])
        }
        return rawBase64(text)
    }

    /// The 32 raw bytes of a public key in PEM SubjectPublicKeyInfo or plain base64.
    package static func publicRaw(_ text: String) -> [UInt8]? {
        if let der = derFromPEM(text, label: "PUBLIC KEY") {
            guard der.count == 44, Array(der[..<12]) == spkiPrefix else { return nil }
            return Array(der[12...])
        }
        return rawBase64(text)
    }

    package static func pem(_ label: String, _ der: [UInt8]) -> String {
        "-----BEGIN \(label)-----\n\(Data(der).base64EncodedString())\n-----END \(label)-----\n"
    }

    private static func derFromPEM(_ text: String, label: String) -> [UInt8]? {
        let begin = "-----BEGIN \(label)-----"
        let end = "-----END \(label)-----"
        guard let start = text.range(of: begin), let stop = text.range(of: end), start.upperBound <= stop.lowerBound
        else { return nil }
        let body = text[start.upperBound..<stop.lowerBound].filter { !$0.isWhitespace }
        return Data(base64Encoded: String(body)).map { [UInt8]($0) }
    }

    private static func rawBase64(_ text: String) -> [UInt8]? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = Data(base64Encoded: trimmed), data.count == 32 else { return nil }
        return [UInt8](data)
    }
}
