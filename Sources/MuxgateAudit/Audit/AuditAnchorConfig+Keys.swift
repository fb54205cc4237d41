import Foundation
package import MuxgateConfig
import MuxgateWire

/// The anchor's keys, read as its configuration (`AuditAnchorConfig`) says.
extension AuditAnchorConfig {
    /// Reads the signing key from `key_file` or `key_env`.
    ///
    /// - Throws: `AuditError` (`anchorKey`) naming the file or variable and what to do when it is
    ///   unset, unreadable, readable by others than its owner, or not an Ed25519 key.
    package func signingKey(environment: [String: String], directory: String? = nil) throws(AuditError)
        -> AuditSigningKey
    {
        let text: String
        let fix = "make a key with `muxgate audit keygen --out FILE`"
        if let keyFile {
            let file = AuditConfig.expand(keyFile, environment: environment, directory: directory)
            let mode: Int
            do {
                let attributes = try FileManager.default.attributesOfItem(atPath: file)
                mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0
            } catch {
                let reason = FileManager.default.fileExists(atPath: file) ? "cannot read it" : "no such file"
                throw AuditError(.anchorKey, path: file, "audit.anchor.key_file: \(reason); \(fix)")
            }
            guard mode & 0o077 == 0 else {
                throw AuditError(
                    .anchorKey,
                    path: file,
                    "audit.anchor.key_file is a private key readable by others (mode \(String(mode & 0o777, radix: 8))); run chmod 600 on it"
                )
            }
            guard let data = FileManager.default.contents(atPath: file) else {
                throw AuditError(.anchorKey, path: file, "audit.anchor.key_file: cannot read it; \(fix)")
            }
            text = String(decoding: data, as: UTF8.self)
        } else {
            let name = keyEnv ?? ""
            guard let value = environment[name], !value.isEmpty else {
                throw AuditError(
                    .anchorKey,
                    path: "",
                    "audit.anchor.key_env names \(name), which is unset or empty; export the base64 key in it (\(fix))"
                )
            }
            text = value
        }
        guard let key = AuditSigningKey(text: text) else {
            throw AuditError(
                .anchorKey,
                path: keyFile.map { AuditConfig.expand($0, environment: environment, directory: directory) } ?? "",
                "\(keySource) does not hold an Ed25519 private key (PEM 'BEGIN PRIVATE KEY' or the base64 of 32 bytes); \(fix)"
            )
        }
        return key
    }

    /// The public key `verify` pins: `public_key` (a file or the base64 value), else the public
    /// half of the private key when it can be read here.
    ///
    /// - Throws: `AuditError` (`anchorKey`) when `public_key` is set but is not a key.
    package func verifyingKey(environment: [String: String], directory: String? = nil) throws(AuditError)
        -> AuditPublicKey?
    {
        if let publicKey {
            return try AuditPublicKey.load(publicKey, environment: environment, directory: directory)
        }
        return try? signingKey(environment: environment, directory: directory).publicKey
    }
}

extension AuditPublicKey {
    /// A public key from `source`: a file holding it (`~` expanded; relative to `directory`), or
    /// the key itself (base64 of 32 bytes, or PEM).
    ///
    /// - Throws: `AuditError` (`anchorKey`) when it is neither.
    package static func load(
        _ source: String,
        environment: [String: String],
        directory: String? = nil
    ) throws(AuditError) -> AuditPublicKey {
        let file = AuditConfig.expand(source, environment: environment, directory: directory)
        if FileManager.default.fileExists(atPath: file) {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw AuditError(.anchorKey, path: file, "cannot read the public key")
            }
            guard let key = AuditPublicKey(text: String(decoding: data, as: UTF8.self)) else {
                throw AuditError(
                    .anchorKey,
                    path: file,
                    "not an Ed25519 public key (PEM 'BEGIN PUBLIC KEY' or the base64 of 32 bytes)"
                )
            }
            return key
        }
        guard let key = AuditPublicKey(text: source) else {
            throw AuditError(
                .anchorKey,
                path: "",
                "'\(source)' is neither a file nor an Ed25519 public key (the base64 of 32 bytes, or PEM)"
            )
        }
        return key
    }
}
