import Dispatch
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

/// When a durable decision reaches the disk (`audit.durable_before`): by default the child works
/// while the group commit's fsync runs, and no answer reaches the IDE before the decision is on
/// disk; with `forward`, the child hears of the call only once it is. The group-commit thread is
/// held at its fsync, so both orders are watched, not timed.
@Suite("Audit: the decision on disk before the answer, or before the child", .serialized)
struct AuditDurablePointTests {
    /// What the test saw happen, with the last fsynced record's `seq` at that moment.
    final class Watch: Sendable {
        let log = Mutex<AuditLog?>(nil)
        let childSaw = Mutex<UInt64?>(nil)
        let received = DispatchSemaphore(value: 0)

        var synced: UInt64 { log.withLock { $0 }?.syncedSeq ?? 0 }
    }

    /// One destructive call (the memory child's tool is unannotated: the default config makes it
    /// durable), with the group commit held from before the call until `release`.
    static func run(_ point: String) async throws -> (childSaw: UInt64, answered: UInt64, decision: UInt64) {
        let directory = try TestPaths.temporaryDirectory("durable-point")
        let hold = AuditGroupCommitTests.Gate()
        let holding = Mutex(false)
        let log = try AuditLog(
            path: directory + "/audit.jsonl",
            key: nil,
            beforeCommit: { if holding.withLock({ $0 }) { hold.beforeCommit() } }
        )
        log.startGroupCommit()
        let watch = Watch()
        watch.log.withLock { $0 = log }
        let child = MemoryChild("mem", tools: [.init("change")]) { message in
            guard message.method == "tools/call" else { return }
            watch.childSaw.withLock { $0 = watch.synced }
            watch.received.signal()
        }
        let config = """
            audit: { durable_before: \(point) }
            startup_timeout: 120s
            servers:
              mem: { command: unused }
            """
        let parsed = try ConfigLoader(environment: [:], secrets: Secrets()).parse(config, file: "/tmp/gate.yaml")
        let auditor = Auditor(log: log, config: parsed.audit, key: nil, logger: Logger(label: "durable-point"))
        let gate = try await MemoryGate(config, children: [child], label: "durable-point", auditor: auditor)
        defer {
            gate.stop()
            try? log.close(reason: "test")
        }
        #expect(await gate.send(1, "tools/list")?.result?["tools"]?.elements.count == 1)
        holding.withLock { $0 = true }
        let call = Task { await gate.send(2, "tools/call", #"{"name":"mem_change","arguments":{"n":1}}"#) }
        var answered: UInt64 = 0
        if point == "answer" {
            // The child hears of the call while the fsync is held...
            let heard = await withCheckedContinuation { done in
                DispatchQueue.global().async {
                    done.resume(returning: watch.received.wait(timeout: .now() + 60) == .success)
                }
            }
            #expect(heard, "the child did not hear of the call while its decision's fsync was held")
            // ...and the IDE does not hear back while it is (no signal can say "not yet": a bound).
            let early = await gate.sink.wait(
                until: { $0.contains { String(decoding: $0, as: UTF8.self).contains(#""id":2"#) } },
                timeout: .milliseconds(500)
            )
            #expect(!early, "the IDE was answered before the decision was on disk")
        } else {
            await withCheckedContinuation { done in
                DispatchQueue.global().async {
                    hold.awaitHeld()
                    done.resume()
                }
            }
        }
        holding.withLock { $0 = false }
        hold.release()
        // What was on disk when the answer reached the IDE (checked as each message arrives).
        let seen = Mutex<UInt64?>(nil)
        _ = await gate.sink.wait(
            until: { messages in
                guard messages.contains(where: { String(decoding: $0, as: UTF8.self).contains(#""id":2"#) }) else {
                    return false
                }
                seen.withLock { if $0 == nil { $0 = watch.synced } }
                return true
            },
            timeout: .seconds(60)
        )
        answered = seen.withLock { $0 } ?? 0
        let answer = await call.value
        #expect(answer?.result != nil, "\(answer?.root.text ?? "no answer")")
        let records = try AuditLogReader.entries([directory + "/audit.jsonl"])
        let decision = try #require(records.last { $0.event == "decision" })
        return (watch.childSaw.withLock { $0 } ?? 0, answered, decision.seq)
    }

    @Test("durable_before: answer (the default) — the child works during the fsync; the answer waits for it")
    func beforeAnswer() async throws {
        let (childSaw, answered, decision) = try await Self.run("answer")
        #expect(childSaw < decision, "the child started only after the decision was on disk")
        #expect(answered >= decision, "answered with the decision not yet on disk")
    }

    @Test("durable_before: forward — the child hears of the call only once its decision is on disk")
    func beforeForward() async throws {
        let (childSaw, _, decision) = try await Self.run("forward")
        #expect(childSaw >= decision, "the child was called before the decision was on disk")
    }
}
