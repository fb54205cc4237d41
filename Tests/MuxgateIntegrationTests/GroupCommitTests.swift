import Dispatch
import Foundation
import Logging
import MuxgateTesting
import Synchronization
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

/// The durable path in process: a gateway with a real fixture child and an audit log whose group
/// commit the test holds, so what happens while a decision waits for the disk is not left to timing.
@Suite("Group commit: calls wait for their decision to be on disk", .serialized)
struct GroupCommitTests {
    init() async throws {
        try await TestEnvironment.shared.prepare()
    }

    /// Holds the group-commit thread before each fsync while `held`.
    final class Gate: Sendable {
        private let held = Mutex(true)
        private let reached = DispatchSemaphore(value: 0)
        private let opened = DispatchSemaphore(value: 0)

        func beforeCommit() {
            guard held.withLock({ $0 }) else { return }
            reached.signal()
            opened.wait()
        }

        func awaitHeld() async {
            await withCheckedContinuation { c in
                Thread {
                    self.reached.wait()
                    c.resume()
                }.start()
            }
        }

        func release() {
            held.withLock { $0 = false }
            opened.signal()
        }
    }

    /// A gateway on `config` with the audit trail at `auditPath`, its commits held by `gate`.
    static func gateway(_ config: String, auditPath: String, gate: Gate) throws -> (Gateway, CollectingSink, AuditLog) {
        let directory = try TestPaths.temporaryDirectory()
        let file = try TestPaths.write(config, to: directory, name: "muxgate.yaml")
        let loaded = try ConfigLoader().load(file)
        let log = try AuditLog(path: auditPath, key: nil, beforeCommit: { gate.beforeCommit() })
        log.startGroupCommit()
        let logger = Logger(label: "test")
        let auditor = Auditor(log: log, config: loaded.audit, key: nil, logger: logger)
        let sink = CollectingSink()
        return (Gateway(config: loaded, sink: sink, logger: logger, auditor: auditor, transports: .standard), sink, log)
    }

    /// `audit.durable_before: forward` (the default, `answer`, overlaps the fsync with the child's
    /// work instead: `AuditDurablePointTests`).
    @Test(
        "durable_before: forward — a destructive call is forwarded only after its fsync; one cancelled meanwhile never reaches the child"
    )
    func cancelWhileDurable() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let received = directory + "/received.jsonl"
        let gate = Gate()
        let (gateway, sink, log) = try Self.gateway(
            "audit: { durable_before: forward }\nservers:\n" + Harness.fixture("fx", ["--log", received]),
            auditPath: directory + "/audit.jsonl",
            gate: gate
        )
        try await gateway.withChildren { gateway in
            _ = await gateway.settledCatalogue()
            let call: (String) -> [UInt8] = { id in
                Array(
                    #"{"jsonrpc":"2.0","id":"\#(id)","method":"tools/call","params":{"name":"fx_echo","arguments":{"call":"\#(id)"}}}"#
                        .utf8
                )
            }
            #expect(gateway.fastPath(call("kept"), from: gateway.primary!))
            #expect(gateway.fastPath(call("dropped"), from: gateway.primary!))
            await gate.awaitHeld()
            // Both decisions are written, neither is on disk: nothing has reached the child.
            let logged = { (try? String(contentsOfFile: received, encoding: .utf8)) ?? "" }
            #expect(!logged().contains("tools/call"))
            _ = await gateway.receive(
                Array(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"dropped"}}"#.utf8)
            )
            gate.release()
            let answered = await sink.wait(
                until: { $0.contains { String(decoding: $0, as: UTF8.self).contains(#""id":"kept""#) } },
                timeout: .seconds(20)
            )
            #expect(answered)
            let answers = sink.collected.map { String(decoding: $0, as: UTF8.self) }
            #expect(answers.contains { $0.contains(#""id":"kept""#) && $0.contains("result") }, "\(answers)")
            #expect(!answers.contains { $0.contains(#""id":"dropped""#) }, "no answer to a cancelled call")
            #expect(logged().contains(#""call":"kept""#))
            #expect(!logged().contains(#""call":"dropped""#), "the cancelled call never reached the child")
        }
        try log.close(reason: "test")
        let records = try String(contentsOfFile: directory + "/audit.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(records.contains { $0.contains(#""event":"outcome""#) && $0.contains(#""outcome":"cancelled""#) })
        #expect(log.statistics.syncs >= 1)
    }
}
