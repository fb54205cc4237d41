import Foundation
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

#if canImport(Glibc)
    import Glibc
#endif

/// A temporary audit log anchored with a fresh Ed25519 key, and helpers to write, read and damage both.
struct AnchoredScratch {
    let scratch: AuditScratch
    let signingKey: AuditSigningKey
    /// The HMAC key of the chain, if keyed.
    let hmac: [UInt8]?

    var path: String { scratch.path }
    var anchorPath: String { scratch.directory + "/anchor/audit.anchor" }
    var publicKey: AuditPublicKey { signingKey.publicKey }

    init(hmac: [UInt8]? = nil) throws {
        scratch = try AuditScratch()
        signingKey = AuditSigningKey()
        self.hmac = hmac
    }

    func open(
        rotateBytes: Int = AuditConfig.defaultRotateBytes,
        interval: Duration = .seconds(3600),
        syslog: AuditSyslog? = nil,
        report: @escaping @Sendable (AuditError) -> Void = { _ in }
    ) throws -> (AuditLog, AuditAnchor) {
        let log = try AuditLog(path: path, key: hmac, rotateBytes: rotateBytes, anchorKeyID: publicKey.id)
        let anchor = try AuditAnchor(
            path: anchorPath,
            key: signingKey,
            log: log,
            interval: interval,
            syslog: syslog,
            report: report
        )
        return (log, anchor)
    }

    /// One session: `start`, `calls` decision + outcome pairs with an interval checkpoint after
    /// every `every` calls, then (with `close`) `stop` and the last checkpoint.
    @discardableResult
    func writeSession(
        calls: Int,
        checkpointEvery every: Int = 3,
        rotateBytes: Int = AuditConfig.defaultRotateBytes,
        syslog: AuditSyslog? = nil,
        close: Bool = true
    ) throws -> (AuditLog, AuditAnchor) {
        let (log, anchor) = try open(rotateBytes: rotateBytes, syslog: syslog)
        try log.append(
            .start(version: "0.1.0", configSHA256: nil, profile: nil, client: ("test", "1"), protocolVersion: nil),
            durable: true
        )
        for index in 0..<calls {
            try log.append(AuditScratch.decision(index), durable: index % 2 == 0)
            try log.append(AuditScratch.outcome(index), durable: false)
            if (index + 1) % every == 0 { try anchor.tick(.interval) }
        }
        if close { try anchor.finish(covering: try log.close(reason: "test done")) }
        return (log, anchor)
    }

    func verify(
        allowTruncatedHead: Bool = false,
        publicKey: AuditPublicKey? = nil,
        anchor: String? = nil
    ) -> AuditVerification {
        AuditVerifier.verify(
            paths: [path],
            key: hmac,
            options: AuditVerifyOptions(
                anchor: (anchor ?? anchorPath, publicKey ?? self.publicKey),
                allowTruncatedHead: allowTruncatedHead
            )
        )
    }

    func anchorLines() throws -> [String] {
        try scratch.lines(anchorPath)
    }

    func writeAnchor(_ lines: [String]) throws {
        try scratch.write(lines, anchorPath)
    }

    /// The checkpoints that parse, for polling while the anchor's thread writes (never records an issue).
    func checkpointsSoFar() -> [AuditCheckpoint] {
        ((try? anchorLines()) ?? []).compactMap { AuditCheckpoint.parse(Array($0.utf8)[...]) }
    }

    func checkpoints() throws -> [AuditCheckpoint] {
        try anchorLines().map { try #require(AuditCheckpoint.parse(Array($0.utf8)[...])) }
    }

    /// The anchor's checkpoints re-made and signed with `key` (an attacker's), chained anew.
    func resigned(_ lines: [String], with key: AuditSigningKey, edit: (inout AuditLog.Head) -> Void = { _ in }) throws
        -> [String]
    {
        var prev = AuditRecord.genesis
        return try lines.map { line in
            // A line that is no checkpoint (already damaged) is left as it is.
            guard let checkpoint = AuditCheckpoint.parse(Array(line.utf8)[...]) else { return line }
            var head = AuditLog.Head(seq: checkpoint.seq, hash: checkpoint.hash)
            edit(&head)
            let made = try AuditCheckpoint.make(
                number: checkpoint.number,
                ts: checkpoint.ts,
                key: key,
                session: checkpoint.session,
                reason: AuditCheckpoint.Reason(rawValue: checkpoint.reason) ?? .interval,
                first: (checkpoint.firstSeq, checkpoint.firstHash),
                covering: head,
                prev: prev
            )
            prev = made.lineHash
            return String(decoding: made.line, as: UTF8.self)
        }
    }

    /// The records from `index` on, edited by `edit` at `index` and re-chained with plain SHA-256:
    /// what an attacker without the HMAC key (or of an unkeyed log) can do.
    static func rechained(_ lines: [String], from index: Int, edit: (inout [UInt8]) -> Void) -> [String] {
        var out = Array(lines[..<index])
        var prev =
            index == 0
            ? AuditRecord.genesis : String(decoding: Array(lines[index - 1].utf8.suffix(66).prefix(64)), as: UTF8.self)
        for (offset, line) in lines[index...].enumerated() {
            guard line.utf8.count > 160 else {
                out.append(line)  // not a record (a torn or damaged line): left as it is
                continue
            }
            var body = Array(line.utf8.dropLast(AuditRecord.hashSuffixLength)) + [UInt8(ascii: "}")]
            if offset == 0 { edit(&body) }
            body.replaceSubrange((body.count - 66)..<(body.count - 2), with: Array(prev.utf8))
            let hash = AuditCanonical.sha256(body)
            body.removeLast()
            let rebuilt = String(decoding: body, as: UTF8.self) + #","hash":""# + hash + #""}"#
            out.append(rebuilt)
            prev = hash
        }
        return out
    }
}

extension AuditVerification {
    /// The failure's problem, or nil when intact.
    var problem: AuditVerification.Problem? { failure?.problem }
}

/// A syslog daemon's socket, for tests: a bound unix datagram socket that keeps what it receives.
final class SyslogReceiver: Sendable {
    let path: String
    private let descriptor: Int32

    init() throws {
        // sun_path holds 108 bytes: a short directory of its own.
        path = "/tmp/mg-syslog-\(UUID().uuidString.prefix(8)).sock"
        #if canImport(Glibc)
            descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        #else
            descriptor = socket(AF_UNIX, SOCK_DGRAM, 0)
        #endif
        try #require(descriptor >= 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try #require(bound == 0, "bind \(path): \(errno)")
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    /// The datagrams received so far, as text.
    func received() -> [String] {
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return messages }
            messages.append(String(decoding: buffer[..<count], as: UTF8.self))
        }
    }

    func close() {
        _ = Glibc.close(descriptor)
        unlink(path)
    }
}
