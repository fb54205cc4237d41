import Foundation
import MuxgateWire

/// The `audit:` section: where the tamper-evident log goes and what it keeps out.
package struct AuditConfig: Sendable, Decodable, Equatable {
    /// What muxgate does with a call whose audit record cannot be written.
    package enum FailurePolicy: String, Sendable, Decodable, Equatable {
        /// Refuse the call (the default: no unaudited work).
        case deny
        /// Forward the call and report the failure on stderr.
        case warn
    }

    /// When the decision record of a call that can change something must be on disk (fsynced).
    package enum DurablePoint: String, Sendable, Decodable, Equatable {
        /// Before the IDE is answered (the default): the record is written (`write`, so it survives
        /// a crash or `kill -9` of muxgate) before the call is forwarded, and its group-committed
        /// fsync overlaps the child's work; the answer waits for it. Only a call still unanswered
        /// when the kernel or the power fails can lack its record.
        case answer
        /// Before the call is forwarded: the child starts only once the record is on disk.
        case forward
    }

    /// Argument globs redacted when `redact:` is not given.
    package static let defaultRedact = [
        "*password*", "*passwd*", "*secret*", "*token*", "*api_key*", "*apikey*", "*authorization*",
        "*credential*", "*private_key*",
    ]
    package static let defaultRotateBytes = 64 << 20

    package var enabled = true
    /// The log file as written in the configuration (`~` not yet expanded); nil for the default.
    package var path: String?
    /// Argument globs: `argument` (any tool) or `tool.argument`; `*` and `?`, case ignored.
    package var redact: [String] = AuditConfig.defaultRedact
    /// The environment variable holding the HMAC key, if the chain is keyed.
    package var keyEnv: String?
    package var rotateBytes = AuditConfig.defaultRotateBytes
    package var onFailure = FailurePolicy.deny
    package var durableBefore = DurablePoint.answer
    /// Signed checkpoints of the log's ends, written outside the log; nil when not anchored.
    package var anchor: AuditAnchorConfig?

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, path, redact
        case keyEnv = "key_env"
        case rotateBytes = "rotate_bytes"
        case onFailure = "on_failure"
        case durableBefore = "durable_before"
        case anchor
    }

    package init() {}

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let path = ConfigIssue.keyPath(decoder.codingPath)
        enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        self.path = try container.decodeIfPresent(String.self, forKey: .path)
        if self.path?.isEmpty == true {
            throw ConfigIssue(
                code: .invalidValue,
                path: path + ["path"],
                message: "path is empty (omit it for the default)"
            )
        }
        redact = try container.decodeIfPresent([String].self, forKey: .redact) ?? Self.defaultRedact
        for (index, pattern) in redact.enumerated() where !Self.isValidPattern(pattern) {
            throw ConfigIssue(
                code: .invalidValue,
                path: path + ["redact", "[\(index)]"],
                message: "'\(pattern)' is not an argument glob (write 'argument' or 'tool.argument', with * and ?)"
            )
        }
        keyEnv = try container.decodeIfPresent(String.self, forKey: .keyEnv)
        if let keyEnv, !Self.isVariableName(keyEnv) {
            throw ConfigIssue(
                code: .invalidValue,
                path: path + ["key_env"],
                message: "'\(keyEnv)' is not an environment variable name (the key itself never goes in the config)"
            )
        }
        rotateBytes = try container.decodeIfPresent(ConfigByteSize.self, forKey: .rotateBytes)?.bytes ?? rotateBytes
        if rotateBytes < 4096 {
            throw ConfigIssue(
                code: .invalidValue,
                path: path + ["rotate_bytes"],
                message: "\(rotateBytes) bytes is too small to rotate at (use at least 4KiB)"
            )
        }
        onFailure =
            try container.decodeChoice(
                FailurePolicy.self,
                forKey: .onFailure,
                at: path,
                "a failure policy (use deny or warn)"
            )
            ?? onFailure
        durableBefore =
            try container.decodeChoice(
                DurablePoint.self,
                forKey: .durableBefore,
                at: path,
                "a durability point (use answer, the default, or forward)"
            ) ?? durableBefore
        anchor = try container.decodeIfPresent(AuditAnchorConfig.self, forKey: .anchor)
    }

    /// Letters, digits and `_`, not empty: what `key_env` settings may name.
    package static func isVariableName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    /// A redaction pattern is a glob over argument names, or `tool-glob.argument-glob`, both non-empty.
    package static func isValidPattern(_ pattern: String) -> Bool {
        guard let dot = pattern.firstIndex(of: ".") else { return (try? Glob(pattern)) != nil }
        return (try? Glob(String(pattern[..<dot]))) != nil
            && (try? Glob(String(pattern[pattern.index(after: dot)...]))) != nil
    }

    /// The log file: `path` with `~` expanded, else `$XDG_STATE_HOME/muxgate/audit.jsonl`
    /// (`~/.local/state/muxgate/audit.jsonl` when that is unset or relative).
    ///
    /// A relative `path` is taken from `directory` (the configuration file's directory).
    package func resolvedPath(environment: [String: String], directory: String? = nil) -> String {
        guard let path else { return Self.defaultPath(environment: environment) }
        return Self.expand(path, environment: environment, directory: directory)
    }

    /// A configured file path with `~` expanded; a relative one starts at `directory` (the
    /// configuration file's directory), else the current directory.
    package static func expand(_ path: String, environment: [String: String], directory: String?) -> String {
        let home = environment["HOME"] ?? NSHomeDirectory()
        if path == "~" { return home }
        if path.hasPrefix("~/") { return home + path.dropFirst() }
        if path.hasPrefix("/") { return path }
        let base = directory ?? FileManager.default.currentDirectoryPath
        return base + "/" + path
    }

    /// `$XDG_STATE_HOME/muxgate/audit.jsonl`, falling back to `~/.local/state/muxgate/audit.jsonl`.
    package static func defaultPath(environment: [String: String]) -> String {
        stateDirectory(environment: environment) + "/audit.jsonl"
    }

    /// muxgate's state directory: `$XDG_STATE_HOME/muxgate`, else `~/.local/state/muxgate` (also
    /// when the variable is relative, as the XDG specification says to ignore it then).
    package static func stateDirectory(environment: [String: String]) -> String {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/muxgate" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state/muxgate"
    }
}
