package import MuxgateConfig

extension AuditConfig {
    /// The HMAC key: the UTF-8 bytes of `$key_env`; nil when the chain is not keyed.
    ///
    /// - Throws: `AuditError` (`keyMissing`) when `key_env` is set but the variable is unset or empty.
    package func key(environment: [String: String]) throws(AuditError) -> [UInt8]? {
        guard let keyEnv else { return nil }
        guard let value = environment[keyEnv], !value.isEmpty else {
            throw AuditError(
                .keyMissing,
                path: "",
                "audit.key_env names \(keyEnv), which is unset or empty; export it or remove key_env"
            )
        }
        return Array(value.utf8)
    }
}
