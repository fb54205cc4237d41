package import ArgumentParser
import Foundation
package import MuxgateAudit
import MuxgateChildren
import MuxgateCommands
package import MuxgateConfig
import MuxgateDiscovery
import MuxgatePolicy
import MuxgateRemote
import MuxgateRouting
import MuxgateTeam
import MuxgateTelemetry
import MuxgateWire
import Yams

/// `muxgate audit`: verify and review the tamper-evident audit log.
///
/// Exit codes: 0 success (for `verify`: the chain is intact, warnings allowed); 1 `verify` found
/// the chain or its anchor tampered; 2 invalid configuration or options; 3 the log could not be
/// read (or, for `keygen`, the key written).
package struct AuditCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify and review the tamper-evident audit log.",
        subcommands: [
            AuditVerifyCommand.self, AuditShowCommand.self, AuditSummaryCommand.self, AuditReportCommand.self,
            AuditKeygenCommand.self,
        ]
    )

    package init() {}
}

/// Where the audit commands find the log: a PATH argument, else the configuration's `audit.path`.
package struct AuditSourceOptions: ParsableArguments {
    package init() {}

    @Option(
        name: .long,
        help:
            "The configuration whose audit section names the log (default: ./muxgate.yaml, then $XDG_CONFIG_HOME/muxgate/config.yaml)."
    )
    package var config: String?

    @Option(name: .long, help: "The environment variable holding the HMAC key (default: the config's audit.key_env).")
    package var keyEnv: String?

    /// The `audit:` section of the configuration, or the defaults when there is no configuration.
    ///
    /// Only that section is read, so problems elsewhere in the file do not stop a review.
    package func auditConfig(environment: [String: String]) throws -> (AuditConfig, directory: String?) {
        let loader = ConfigLoader(environment: environment)
        let file: String
        do {
            file = try loader.locate(config)
        } catch {
            if config != nil { return try fail(2, "\(error)") }
            return (AuditConfig(), nil)
        }
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            return try fail(2, "\(file): cannot read: \(error.localizedDescription)")
        }
        do {
            guard let node = try Yams.compose(yaml: text), let section = node["audit"] else {
                return (AuditConfig(), nil)
            }
            let audit = try YAMLDecoder().decode(AuditConfig.self, from: section)
            return (audit, (file as NSString).deletingLastPathComponent)
        } catch let issue as ConfigIssue {
            let line = issue.path.isEmpty ? "" : "audit.\(issue.path.joined(separator: ".")): "
            return try fail(2, "\(file): invalid value: \(line)\(issue.message)")
        } catch {
            return try fail(2, "\(file): audit: \(error)")
        }
    }

    /// The log to read: `explicit`, else the configured (or default) path.
    package func path(_ explicit: String?, environment: [String: String]) throws -> String {
        if let explicit { return explicit }
        let (audit, directory) = try auditConfig(environment: environment)
        return audit.resolvedPath(environment: environment, directory: directory)
    }

    /// The HMAC key: `--key-env`, else the configuration's `key_env`; nil when neither is set.
    package func key(environment: [String: String]) throws -> [UInt8]? {
        if let keyEnv {
            guard let value = environment[keyEnv], !value.isEmpty else {
                return try fail(2, "--key-env names \(keyEnv), which is unset or empty")
            }
            return Array(value.utf8)
        }
        let audit = try auditConfig(environment: environment).0
        do {
            return try audit.key(environment: environment)
        } catch {
            return try fail(2, "\(error)")
        }
    }

    /// Prints `message` on stderr and exits with `code`.
    package func fail<T>(_ code: Int32, _ message: String) throws -> T {
        Console.error("muxgate: \(message)\n")
        throw ExitCode(code)
    }
}

/// What `verify` and `report` check beyond the chain: the anchor, and whether a cut head is allowed.
package struct AuditAnchorOptions: ParsableArguments {
    package init() {}

    @Option(
        help: ArgumentHelp(
            "The anchor of signed checkpoints to check the log's ends against (default: the config's "
                + "audit.anchor.path, when no PATH is given).",
            valueName: "file"
        )
    )
    package var anchor: String?

    @Option(
        name: .customLong("public-key"),
        help: ArgumentHelp(
            "The anchor's Ed25519 public key: a file (PEM or base64) or the base64 itself; never taken from the "
                + "anchor (default: the config's audit.anchor.public_key, else the public half of its key).",
            valueName: "key"
        )
    )
    package var publicKey: String?

    @Flag(
        help:
            "Accept a log whose first records were removed on purpose (retention): a warning instead of a head-cut failure."
    )
    package var allowTruncatedHead = false

    /// The verification options: the anchor from `--anchor` (or the configuration's, when the log
    /// is the configured one) and its pinned public key.
    ///
    /// - Parameter configuredLog: The log verified is the configured one (no PATH given).
    package func verifyOptions(
        source: AuditSourceOptions,
        configuredLog: Bool,
        environment: [String: String]
    ) throws -> AuditVerifyOptions {
        var options = AuditVerifyOptions(allowTruncatedHead: allowTruncatedHead)
        let (audit, directory) = try source.auditConfig(environment: environment)
        let configured = audit.anchor
        guard
            let path = anchor
                ?? (configuredLog ? configured?.resolvedPath(environment: environment, directory: directory) : nil)
        else {
            if publicKey != nil { return try source.fail(2, "--public-key needs --anchor FILE (the anchor it checks)") }
            return options
        }
        let key: AuditPublicKey?
        do {
            if let publicKey {
                key = try AuditPublicKey.load(publicKey, environment: environment)
            } else {
                key = try configured?.verifyingKey(environment: environment, directory: directory)
            }
        } catch {
            return try source.fail(2, "\(error)")
        }
        guard let key else {
            return try source.fail(
                2,
                "checking the anchor \(path) needs its public key: pass --public-key FILE|BASE64 (or set "
                    + "audit.anchor.public_key); it is never taken from the anchor itself"
            )
        }
        options.anchor = (path, key)
        return options
    }
}
