import Logging
package import MuxgateAudit
package import MuxgateConfig
package import MuxgatePolicy
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
    func envelope() -> [(String, JSONValue)] {
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
    func enveloped(_ line: [UInt8]) -> [UInt8] {
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
    func discoverHello() async throws -> ServerHello {
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
    func listenForChanges(_ hello: ServerHello) {
        let wanted = ListKind.allCases.filter { hello.capabilities[$0.capability]?["listChanged"]?.bool == true }
        let filter: [(String, JSONValue)] = Set(wanted.map(\.subscriptionKey)).sorted().map { ($0, .bool(true)) }
        guard !filter.isEmpty else { return }
        notifyRequest(
            method: "subscriptions/listen",
            params: try? JSONSlice.parse(JSONValue.object([("notifications", .object(filter))]).encoded)
        )
    }
}

/// A 2026-07-28 child's input-required results, for an IDE in the `initialize` era.
extension Gateway {
    /// Forwards to a 2026-07-28 child; when it answers `input_required`, each of its
    /// `inputRequests` becomes a request to the IDE (which must have declared the capability),
    /// and the call is retried with the answers as `inputResponses` and the child's `requestState`.
    func forwardResolvingInput(_ forwarding: Forwarding) async -> RelayOutcome {
        let (message, id, session, child) = (forwarding.message, forwarding.id, forwarding.session, forwarding.child)
        var result = await exchange(forwarding)
        // A failure to get an input ends the retries; the IDE gets it as the call's answer.
        retrying: for _ in 0..<8 {
            guard case .success(let response) = result, let interim = response.result,
                interim["resultType"]?.string == "input_required"
            else { break }
            var responses: [(String, JSONValue)] = []
            for request in interim["inputRequests"]?.members ?? [] {
                let method = request.value["method"]?.string ?? ""
                let capability = RequestEnvelope.inputCapability(for: method)
                guard let capability, session.hello?.capabilities?[capability] != nil else {
                    result = .failure(
                        JSONRPCError(
                            code: JSONRPCError.Code.methodNotFound,
                            message:
                                "server '\(child.name)' needs \(method) from the client, which did not declare \(capability ?? "it")"
                        )
                    )
                    break retrying
                }
                let answer = await askClient(
                    method,
                    params: request.value["params"]?.value ?? .object([]),
                    session: session,
                    relatedTo: id,
                    timeout: child.callTimeout
                )
                guard let answer, let value = answer.result else {
                    let why = answer?.error?["message"]?.string ?? "no answer in time"
                    result = .failure(JSONRPCError.timeout("the client did not answer \(method): \(why)"))
                    break retrying
                }
                responses.append((request.key, value.value))
            }
            var retry = forwarding.edits
            var appended: [(key: String, value: [UInt8])] = [("inputResponses", JSONValue.object(responses).encoded)]
            if let state = interim["requestState"] { appended.append(("requestState", Array(state.bytes))) }
            if let params = message.params {
                retry.editMembers(of: params, appending: appended)
            }
            result = await exchange(forwarding, edits: retry)
        }
        return deliver(result, forwarding)
    }
}
