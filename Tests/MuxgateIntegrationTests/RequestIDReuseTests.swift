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

/// An IDE may reuse a request id as soon as it has read the answer. The chaos test caught muxgate
/// refusing such a reuse as "already in use" (`tools/list` id 1 answered, then `tools/call` id 1):
/// the id was freed only after the work that sent the answer returned.
@Suite("Request ids: free again the moment their answer leaves")
struct RequestIDReuseTests {
    init() async throws {
        try await TestEnvironment.shared.prepare()
    }

    /// Records every answer whose id the gateway still held while the answer was handed over.
    final class WatchingSink: MessageSink {
        let inner = CollectingSink()
        let gateway = Mutex<Gateway?>(nil)
        let held = Mutex<[String]>([])

        func send(_ message: [UInt8]) {
            if let parsed = try? JSONRPCMessage.parse(message), parsed.kind == .response, let id = parsed.id,
                gateway.withLock({ $0 })?.primary!.activeIDs.contains(Array(id.bytes)) == true
            {
                held.withLock { $0.append(String(decoding: message, as: UTF8.self)) }
            }
            inner.send(message)
        }
    }

    @Test(
        "answers on the fast path (read and durable) and the general path: no id still held",
        arguments: [true, false]
    )
    func answeredIDsAreFree(readScope: Bool) async throws {
        let directory = try TestPaths.temporaryDirectory()
        let scopes = readScope ? ["scopes: {read: [echo]}"] : []
        let file = try TestPaths.write(
            "servers:\n" + Harness.fixture("fx", extra: scopes),
            to: directory,
            name: "muxgate.yaml"
        )
        let loaded = try ConfigLoader().load(file)
        let log = try AuditLog(path: directory + "/audit.jsonl", key: nil)
        log.startGroupCommit()
        let logger = Logger(label: "test")
        let sink = WatchingSink()
        let gateway = Gateway(
            config: loaded,
            sink: sink,
            logger: logger,
            auditor: Auditor(log: log, config: loaded.audit, key: nil, logger: logger),
            transports: .standard
        )
        sink.gateway.withLock { $0 = gateway }
        try await gateway.withChildren { gateway in
            _ = await gateway.settledCatalogue()
            let lines = [
                #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"fx_echo","arguments":{"n":1}}}"#,
                #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
                #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
                #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"fx_nope","arguments":{}}}"#,
                #"{"jsonrpc":"2.0","id":1,"method":"prompts/list"}"#,
            ]
            for (round, line) in lines.enumerated() {
                let bytes = Array(line.utf8)
                if !gateway.fastPath(bytes, from: gateway.primary!), let work = await gateway.receive(bytes) {
                    await work()
                }
                let answered = await sink.inner.wait(until: { $0.count > round }, timeout: .seconds(30))
                #expect(answered, "no answer to \(line)")
            }
            #expect(sink.inner.collected.count == lines.count)
            let refused = sink.inner.collected.map { String(decoding: $0, as: UTF8.self) }.filter {
                $0.contains("already in use")
            }
            #expect(refused.isEmpty, "\(refused)")
        }
        #expect(sink.held.withLock { $0 }.isEmpty, "answered while its id was held: \(sink.held.withLock { $0 })")
        #expect(!gateway.primary!.activeIDs.contains(Array("1".utf8)))
        try log.close(reason: "test")
    }

    @Test("a claim ended after its id was answered and claimed again leaves the new claim alone")
    func lateReleaseKeepsTheNewClaim() throws {
        let ids = RequestIDs()
        let id = Array("7".utf8)
        let first = try #require(ids.claim(id))
        #expect(ids.claim(id) == nil, "a duplicate in flight is refused")
        ids.answered(id)
        let second = try #require(ids.claim(id), "free once answered")
        ids.release(id, claim: first)
        #expect(ids.contains(id), "the first request's end must not free the second's id")
        ids.release(id, claim: second)
        #expect(!ids.contains(id))
    }
}
