import Foundation
import MuxgateWire

/// `audit.anchor`: signed checkpoints of the log's ends, written to a file outside the log (and
/// optionally to syslog) at an interval and at stop.
package struct AuditAnchorConfig: Sendable, Decodable, Equatable {
    package static let defaultInterval = Duration.seconds(60)
    package static let minimumInterval = Duration.seconds(1)

    /// The anchor file as written in the configuration (`~` not yet expanded).
    package var path: String
    /// A file holding the Ed25519 private key (PEM PKCS#8, or base64 of 32 raw bytes).
    package var keyFile: String?
    /// An environment variable holding the private key (base64 of 32 raw bytes, or PEM).
    package var keyEnv: String?
    /// The public key for `muxgate audit verify` on a machine without the private key: a file, or
    /// the base64 value itself.
    package var publicKey: String?
    /// How often a checkpoint is written while new records exist.
    package var interval = AuditAnchorConfig.defaultInterval
    /// Also send each checkpoint to the local syslog (`/dev/log`).
    package var syslog = false

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case path
        case keyFile = "key_file"
        case keyEnv = "key_env"
        case publicKey = "public_key"
        case interval, syslog
    }

    package init(path: String, keyFile: String? = nil, keyEnv: String? = nil) {
        self.path = path
        self.keyFile = keyFile
        self.keyEnv = keyEnv
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let at = ConfigIssue.keyPath(decoder.codingPath)
        guard let path = try container.decodeIfPresent(String.self, forKey: .path), !path.isEmpty else {
            throw ConfigIssue(
                code: .missingKey,
                path: at + ["path"],
                message:
                    "the anchor needs a path: a file outside the log's directory (another filesystem or owner if you can)"
            )
        }
        self.path = path
        keyFile = try container.decodeIfPresent(String.self, forKey: .keyFile)
        keyEnv = try container.decodeIfPresent(String.self, forKey: .keyEnv)
        switch (keyFile, keyEnv) {
        case (nil, nil):
            throw ConfigIssue(
                code: .missingKey,
                path: at + ["key_file"],
                message:
                    "the anchor needs its Ed25519 signing key: key_file: PATH or key_env: VARIABLE (make one with `muxgate audit keygen --out PATH`)"
            )
        case (.some, .some):
            throw ConfigIssue(
                code: .invalidValue,
                path: at + ["key_env"],
                message: "give key_file or key_env, not both"
            )
        case (.some(let file), nil) where file.isEmpty:
            throw ConfigIssue(code: .invalidValue, path: at + ["key_file"], message: "key_file is empty")
        case (nil, .some(let name)) where !AuditConfig.isVariableName(name):
            throw ConfigIssue(
                code: .invalidValue,
                path: at + ["key_env"],
                message: "'\(name)' is not an environment variable name (the key itself never goes in the config)"
            )
        default:
            break
        }
        publicKey = try container.decodeIfPresent(String.self, forKey: .publicKey)
        if let publicKey, publicKey.isEmpty {
            throw ConfigIssue(code: .invalidValue, path: at + ["public_key"], message: "public_key is empty")
        }
        if let interval = try container.decodeIfPresent(ConfigDuration.self, forKey: .interval)?.duration {
            guard interval >= Self.minimumInterval else {
                throw ConfigIssue(
                    code: .invalidValue,
                    path: at + ["interval"],
                    message: "a checkpoint interval under 1s would fsync the anchor too often (use e.g. 60s)"
                )
            }
            self.interval = interval
        }
        syslog = try container.decodeIfPresent(Bool.self, forKey: .syslog) ?? false
    }

    /// The anchor file: `path` with `~` expanded; a relative path starts at `directory`.
    package func resolvedPath(environment: [String: String], directory: String? = nil) -> String {
        AuditConfig.expand(path, environment: environment, directory: directory)
    }

    /// Where the key comes from, for messages (never the key).
    package var keySource: String {
        if let keyFile { return "audit.anchor.key_file \(keyFile)" }
        return "audit.anchor.key_env \(keyEnv ?? "")"
    }
}
