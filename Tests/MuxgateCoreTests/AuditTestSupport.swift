import Foundation
import MuxgateTesting
import Testing

@testable import MuxgateAudit
@testable import MuxgateCLI
@testable import MuxgateChildren
@testable import MuxgateCommands
@testable import MuxgateConfig
@testable import MuxgatePolicy
@testable import MuxgateRemote
@testable import MuxgateRouting
@testable import MuxgateTeam
@testable import MuxgateTelemetry
@testable import MuxgateWire

/// A temporary audit log and helpers to write, read and damage it.
struct AuditScratch {
    let directory: String
    var path: String { directory + "/state/audit.jsonl" }

    init() throws {
        directory = try TestPaths.temporaryDirectory("muxgate-audit")
    }

    func open(
        key: [UInt8]? = nil,
        rotateBytes: Int = AuditConfig.defaultRotateBytes,
        secrets: [String] = [],
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws -> AuditLog {
        try AuditLog(path: path, key: key, rotateBytes: rotateBytes, secrets: secrets, now: now)
    }

    /// Writes one session of `calls` decision + outcome pairs between `start` and `stop`.
    @discardableResult
    func writeSession(calls: Int, key: [UInt8]? = nil, close: Bool = true) throws -> AuditLog {
        let log = try open(key: key)
        try log.append(
            .start(
                version: "0.1.0",
                configSHA256: nil,
                profile: nil,
                client: ("test", "1"),
                protocolVersion: "2025-06-18"
            ),
            durable: true
        )
        for index in 0..<calls {
            try log.append(Self.decision(index), durable: index % 2 == 0)
            try log.append(Self.outcome(index), durable: false)
        }
        if close { try log.close(reason: "test done") }
        return log
    }

    static func decision(
        _ index: Int,
        server: String = "git",
        tool: String = "git_status",
        decision: AuditEvent.Decision = .allow
    )
        -> AuditEvent
    {
        let redactor = Redactor(patterns: ["*token*"])
        let arguments = try! JSONSlice.parse(#"{"repo":"/src/app","token":"abc","n":\#(index)}"#)
        let (args, sha) = redactor.redact(tool: tool, arguments: arguments)
        return .decision(
            requestID: try! JSONSlice.parse("\(index + 1)"),
            server: server,
            tool: tool,
            upstreamTool: "status",
            toolSHA256: String(repeating: "a", count: 64),
            scope: "read",
            scopeSource: "annotation",
            decision: decision,
            rule: decision == .allow ? nil : "no-\(decision.rawValue)",
            reason: decision == .allow ? nil : "policy says \(decision.rawValue)",
            args: args,
            argsSHA256: sha
        )
    }

    static func outcome(
        _ index: Int,
        server: String = "git",
        tool: String = "git_status",
        outcome: AuditEvent.Outcome = .ok,
        ms: Int = 5
    )
        -> AuditEvent
    {
        .outcome(
            requestID: try! JSONSlice.parse("\(index + 1)"),
            server: server,
            tool: tool,
            outcome: outcome,
            duration: .milliseconds(ms),
            resultBytes: 42,
            resultSHA256: AuditCanonical.sha256("result".utf8),
            error: outcome == .ok ? nil : "it failed"
        )
    }

    /// The live file's lines (without newlines); the last may be unterminated.
    func lines(_ file: String? = nil) throws -> [String] {
        let text = try String(contentsOfFile: file ?? path, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Replaces the live file with `lines`, each followed by a newline.
    func write(_ lines: [String], _ file: String? = nil) throws {
        try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: file ?? path))
    }

    func bytes(_ file: String? = nil) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: file ?? path)))
    }

    func verify(key: [UInt8]? = nil) -> AuditVerification {
        AuditVerifier.verify(paths: [path], key: key)
    }

    /// The `seq` written in a line.
    static func seq(_ line: String) -> UInt64? {
        AuditEntry.parse(Array(line.utf8)[...])?.seq
    }
}

/// File mode bits of `path`.
func permissions(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}
