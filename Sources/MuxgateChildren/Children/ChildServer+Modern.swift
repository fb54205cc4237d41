import Logging
import MuxgateAudit
import MuxgateConfig
import MuxgatePolicy
package import MuxgateWire
import Synchronization

/// A child spoken to in protocol 2026-07-28 (`protocol: 2026-07-28`): `server/discover` instead of
/// `initialize`, the per-request envelope on every request, and a `subscriptions/listen` stream
/// for its list changes.
extension ChildServer {
    package var isModern: Bool { config.protocolEra == .modern }

    /// What the IDE said of itself, as the envelope every request to a 2026-07-28 child carries:
    /// the version, the capabilities and `clientInfo` of its hello, and the log-level opt-in muxgate
    /// stamps for an `initialize`-era IDE (`logStamp`).
    package func envelope() -> [(String, JSONValue)] {
        let hello = state.withLock { $0.hello } ?? .standalone
        var envelope: [(String, JSONValue)] = [
            (RequestEnvelope.versionKey, .string(RequestEnvelope.version)),
            (RequestEnvelope.capabilitiesKey, hello.capabilities), (RequestEnvelope.clientInfoKey, hello.clientInfo),
        ]
        if let level = logStamp() { envelope.append((RequestEnvelope.logLevelKey, .string(level))) }
        return envelope
    }

    /// A request line with the envelope in `params._meta`. A key the line carries already stays as
    /// it is (a 2026-07-28 IDE's own envelope reaches the child unchanged: its per-request
    /// capabilities and log level); the rest of `_meta` stays too.
    package func enveloped(_ line: [UInt8]) -> [UInt8] {
        guard let message = try? JSONRPCMessage.parse(line) else { return line }
        let meta = envelope()
        var splice = JSONSplice()
        if let params = message.params, params.kind == .object {
            if let existing = params["_meta"], existing.kind == .object {
                let missing = meta.filter { existing[$0.0] == nil }
                guard !missing.isEmpty else { return line }
                splice.editMembers(of: existing, appending: missing.map { ($0.0, $0.1.encoded) })
            } else {
                splice.setMember("_meta", to: JSONValue.object(meta).encoded, in: params)
            }
        } else if message.params == nil {
            splice.editMembers(
                of: message.root,
                appending: [("params", JSONValue.object([("_meta", .object(meta))]).encoded)]
            )
        }
        return splice.apply(to: line)
    }

    /// `server/discover`: the child's capabilities and identity, if it serves 2026-07-28.
    package func discoverHello() async throws -> ServerHello {
        let response = try await exchange("server/discover", timeout: startupTimeout) { id in
            JSONRPC.request(id: id, method: "server/discover", params: nil)
        }
        guard let result = response.result else {
            throw JSONRPCError.serverUnavailable("server/discover was refused: \(response.error?.text ?? "")")
        }
        let versions = result["supportedVersions"]?.elements.compactMap(\.string) ?? []
        guard versions.contains(RequestEnvelope.version) else {
            throw JSONRPCError.serverUnavailable(
                "it serves \(versions.joined(separator: ", ")), not 2026-07-28 (set protocol: initialize)"
            )
        }
        return ServerHello(
            protocolVersion: RequestEnvelope.version,
            capabilities: result["capabilities"] ?? (try! JSONSlice.parse("{}")),
            serverInfo: result["_meta"]?["io.modelcontextprotocol/serverInfo"],
            instructions: result["instructions"]?.string
        )
    }

    /// Opens the stream on which a 2026-07-28 child sends its list changes (never answered while open).
    package func listenForChanges(_ hello: ServerHello) {
        let wanted = ListKind.allCases.filter { hello.capabilities[$0.capability]?["listChanged"]?.bool == true }
        let filter: [(String, JSONValue)] = Set(wanted.map(\.subscriptionKey)).sorted().map { ($0, .bool(true)) }
        guard !filter.isEmpty else { return }
        notifyRequest(
            method: "subscriptions/listen",
            params: try? JSONSlice.parse(JSONValue.object([("notifications", .object(filter))]).encoded)
        )
    }
}
