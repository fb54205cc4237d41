import Logging
package import MuxgateChildren
package import MuxgateConfig
package import MuxgatePolicy
package import MuxgateRouting
package import MuxgateWire

/// A gateway over in-memory children (`MemoryChild`), driven as the stdio front drives it, with
/// the stages each request passed recorded (`GateTrace`): the gate without processes.
package final class MemoryGate: Sendable {
    package let gateway: Gateway
    package let sink = CollectingSink()
    /// The stages each request passed, by its id's text.
    package let passed = Locked<[String: [GateStage]]>([:])
    private let running: Task<Void, Never>

    /// Runs `config` over `children` and sends `initialize` as client `client`.
    ///
    /// - Parameters:
    ///   - auditor: The audit trail, if the test watches it (`audit:` in `config` is not opened).
    ///   - limiter: The limits' counters (a test's clock); nil for the gateway's own.
    package init(
        _ config: String,
        children: [MemoryChild],
        client: String = "t",
        label: String,
        auditor: Auditor? = nil,
        limiter: Limiter? = nil
    ) async throws {
        let loaded = try ConfigLoader(environment: [:], secrets: Secrets()).parse(config, file: "/tmp/gate.yaml")
        let passed = passed
        gateway = Gateway(
            config: loaded,
            sink: sink,
            logger: Logger(label: label),
            auditor: auditor,
            transports: .memory(children),
            trace: GateTrace { stage, id in
                passed.withLock { $0[String(decoding: id, as: UTF8.self), default: []].append(stage) }
            },
            limiter: limiter
        )
        running = Task { [gateway] in try? await gateway.run() }
        _ = await send(
            0,
            "initialize",
            #"{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"\#(client)","version":"1"}}"#
        )
    }

    /// Sends a request as the stdio front does (the fast path first) and returns its answer.
    package func send(_ id: Int, _ method: String, _ params: String = "{}") async -> JSONRPCMessage? {
        let line = Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#.utf8)
        let session = gateway.primary!
        if !gateway.fastPath(line, from: session), let work = await gateway.receive(line) { await work() }
        let wanted = Array("\(id)".utf8)
        _ = await sink.wait(
            until: { $0.contains { (try? JSONRPCMessage.parse($0))?.id.map { Array($0.bytes) } == wanted } },
            timeout: .seconds(120)
        )
        return sink.collected.compactMap { try? JSONRPCMessage.parse($0) }
            .first { $0.kind == .response && $0.id.map { Array($0.bytes) } == wanted }
    }

    package func stop() { running.cancel() }
}
