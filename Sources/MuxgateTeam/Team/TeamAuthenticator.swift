import Crypto
import MuxgateAudit
import MuxgateChildren
package import MuxgateConfig
import MuxgatePolicy
import MuxgateRouting
import MuxgateTelemetry
import MuxgateWire

/// Who a bearer token belongs to (`clients.NAME.token_sha256`): only the tokens' hashes are known.
package enum TeamAuthenticator {
    /// The client whose token an `Authorization` header carries, among `clients` (the
    /// configuration in force, so a reload adds and removes callers); nil for none or an unknown one.
    package static func client(authorization: String?, among clients: [ClientConfig]) -> ClientConfig? {
        guard let authorization, let token = bearer(authorization) else { return nil }
        let digest = Array(hash(token).utf8)
        // Every entry is compared in full: the time taken says nothing of which digest was near.
        var found: ClientConfig?
        for client in clients {
            var difference: UInt8 = 0
            guard let hash = client.tokenSHA256 else { continue }
            let stored = Array(hash.utf8)
            guard stored.count == digest.count else { continue }
            for index in digest.indices { difference |= digest[index] ^ stored[index] }
            if difference == 0 { found = client }
        }
        return found
    }

    /// The token of a `Bearer` authorization (the scheme is case-insensitive).
    package static func bearer(_ authorization: String) -> String? {
        let parts = authorization.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1])
    }

    /// The SHA-256 of a token, in lowercase hex: what the configuration stores.
    package static func hash(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// A new random token (256 bits from the system's generator), `mgt_` and 64 hex digits.
    package static func newToken() -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
        return "mgt_" + bytes.hexString
    }
}
