package import MuxgateConfig
package import MuxgateWire

/// Replaces the values of sensitive arguments with `"[redacted]"` before they are logged.
///
/// A pattern is `argument` (any tool) or `tool.argument`: the part before the first `.` is a glob
/// over the exposed tool name, the rest a glob over argument names. Both are case-insensitive and
/// match object keys at any depth, so `*password*` also catches `{"auth":{"password":…}}`.
package struct Redactor: Sendable {
    package static let replacement = "[redacted]"

    /// Globs compiled from lower-cased patterns, matched against lower-cased names.
    package struct Pattern: Sendable {
        package let tool: Glob?
        package let argument: Glob
    }

    package let patterns: [Pattern]
    private let hasher: AuditHasher

    /// - Parameters:
    ///   - patterns: The `audit.redact` globs.
    ///   - key: The chain's HMAC key: when set, `args_sha256` is an HMAC, so a redacted
    ///     low-entropy value cannot be recovered by hashing guesses.
    package init(patterns: [String], key: [UInt8]? = nil) {
        // `AuditConfig` has validated the patterns; one that does not compile cannot match.
        self.patterns = patterns.compactMap { pattern in
            let lowered = pattern.lowercased()
            guard let dot = lowered.firstIndex(of: ".") else {
                return (try? Glob(lowered)).map { Pattern(tool: nil, argument: $0) }
            }
            guard let tool = try? Glob(String(lowered[..<dot])),
                let argument = try? Glob(String(lowered[lowered.index(after: dot)...]))
            else { return nil }
            return Pattern(tool: tool, argument: argument)
        }
        self.hasher = AuditHasher(key: key)
    }

    /// The arguments to log and the digest of the originals.
    ///
    /// - Parameters:
    ///   - tool: The exposed tool name.
    ///   - arguments: `params.arguments` as the IDE sent it; nil when absent.
    /// - Returns: The canonical arguments with matching values replaced (nil when absent), and hex
    ///   SHA-256 (HMAC-SHA-256 when keyed) of the original canonical arguments (`{}` when absent).
    package func redact(tool: String, arguments: JSONSlice?) -> (redacted: JSONValue?, sha256: String) {
        guard let arguments else { return (nil, hasher.digest("{}".utf8)) }
        let original = AuditCanonical.value(arguments)
        let tool = tool.lowercased()
        let globs = patterns.filter { $0.tool?.matches(tool) ?? true }.map(\.argument)
        return (redact(original, globs), hasher.digest(original.encoded))
    }

    private func redact(_ value: JSONValue, _ globs: [Glob]) -> JSONValue {
        guard !globs.isEmpty else { return value }
        switch value {
        case .object(let members):
            return .object(
                members.map { key, value in
                    let lowered = Array(key.lowercased().unicodeScalars)
                    return globs.contains { $0.matches(scalars: lowered) }
                        ? (key, .string(Self.replacement)) : (key, redact(value, globs))
                }
            )
        case .array(let elements): return .array(elements.map { redact($0, globs) })
        default: return value
        }
    }
}
