import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgateRouting
import MuxgateWire
import NIOCore

/// Shutdown and health: how a replica leaves a load balancer's rotation and stops, bounded
/// whatever its clients do.
///
/// On SIGTERM the front drains: it takes no new sessions (503 with `Retry-After`, and `/readyz`
/// fails so the balancer sends new ones elsewhere), lets the calls in flight finish for at most
/// `http.shutdown_grace`, then ends every session — each open stream ends, so no response is left
/// for the listener's graceful shutdown to wait on, even one whose client vanished without a
/// DELETE. The gateway then stops the children and the audit trail writes its `stop` record.
/// `ServeCommand` bounds the whole by `shutdown_grace` + `TeamFront.shutdownSlack`.
extension TeamFront {
    /// What the shutdown may take beyond `shutdown_grace`: ending sessions, stopping children
    /// (each has 2 s + 2 s to exit), the audit's last fsync.
    package static let shutdownSlack: Duration = .seconds(8)

    func drain() async {
        draining.set()
        let grace = config.shutdownGrace
        logger.notice("team mode: draining: no new sessions; calls in flight have \(grace) to finish")
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline, sessions.withLock({ $0.values.contains { $0.streams.hasOpenExchanges } })
        {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let left = sessions.withLock { Array($0.values) }
        let unfinished = left.filter(\.streams.hasOpenExchanges).count
        if unfinished > 0 {
            logger.warning("team mode: \(unfinished) sessions still had calls in flight after \(grace); ending them")
        }
        for session in left { await end(session, reason: "muxgate is shutting down") }
    }

    /// `GET /healthz`: liveness. The process answers HTTP.
    func health() -> Response {
        Self.json(.ok, JSONValue.object([("status", .string("ok"))]).encoded)
    }

    /// `GET /readyz`: 200 when this replica should get new sessions: not draining, every child
    /// has finished starting (ready, or failed and reported), and the audit directory is writable.
    /// 503 otherwise, with the reasons.
    func readiness() async -> Response {
        var problems: [String] = []
        if draining.isSet { problems.append("draining (shutting down)") }
        var children: [(String, JSONValue)] = []
        for child in gateway.children {
            let phase: String
            switch child.phase {
            case .idle where child.config.lazy:
                phase = "lazy"
            case .idle, .starting:
                phase = "starting"
                problems.append("\(child.name) is still starting")
            case .ready: phase = "ready"
            case .exited: phase = "exited"
            case .failed: phase = "failed"
            case .stopped: phase = "stopped"
            }
            children.append((child.name, .string(phase)))
        }
        if let path = await gateway.auditor?.log.path {
            let directory = (path as NSString).deletingLastPathComponent
            if access(directory.isEmpty ? "." : directory, W_OK) != 0 {
                problems.append("the audit directory \(directory) is not writable")
            }
        }
        let body = JSONValue.object([
            ("status", .string(problems.isEmpty ? "ready" : "not ready")),
            ("problems", .array(problems.map { .string(Secrets.shared.scrub($0)) })),
            ("children", .object(children)),
        ]).encoded
        return Self.json(problems.isEmpty ? .ok : .serviceUnavailable, body)
    }
}
