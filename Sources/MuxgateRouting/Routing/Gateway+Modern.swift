import Logging
import MuxgateAudit
package import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
package import MuxgateWire
package import Synchronization

/// Protocol 2026-07-28 towards the IDE: `server/discover`, the per-request `_meta` envelope, and
/// multi round-trip requests (MRTR) bridging the children's server-to-client requests.
///
/// Children keep speaking the `initialize` era (2025-11-25 at most) with muxgate. When a child
/// sends `elicitation/create`, `sampling/createMessage` or `roots/list` during a `tools/call` of a
/// 2026-07-28 IDE, muxgate answers that call with an `InputRequiredResult` carrying the request,
/// keeps the child's call open, and when the IDE retries with `inputResponses` and muxgate's
/// `requestState`, answers the child and goes on waiting for its result.
extension Gateway {

    /// The per-request envelope of a request; nil for an `initialize`-era request.
    package static func envelope(_ message: JSONRPCMessage) -> JSONSlice? {
        guard let meta = message.params?["_meta"], meta[RequestEnvelope.versionKey] != nil else { return nil }
        return meta
    }

    /// -32022 when a request names a version muxgate does not speak per request.
    package func unsupportedVersion(_ meta: JSONSlice, id: [UInt8], session: ClientSession) -> Bool {
        let requested = meta[RequestEnvelope.versionKey]?.string
        guard requested != RequestEnvelope.version else { return false }
        session.respond(
            to: id,
            JSONRPC.error(
                id: id,
                JSONRPCError(
                    code: JSONRPCError.Code.unsupportedProtocolVersion,
                    message: "Unsupported protocol version",
                    data: .object([
                        ("supported", .array([.string(RequestEnvelope.version)])),
                        ("requested", requested.map(JSONValue.string) ?? .null),
                    ])
                )
            )
        )
        return true
    }

    /// -32602 when a request opts in to a log level that is none (the spec: servers should reject it).
    package func invalidLogLevel(_ meta: JSONSlice, id: [UInt8], session: ClientSession) -> Bool {
        guard let level = meta[RequestEnvelope.logLevelKey], level.string.flatMap(LogLevel.init(rawValue:)) == nil
        else { return false }
        session.respond(
            to: id,
            JSONRPC.error(
                id: id,
                .invalidParams(
                    "Invalid params: _meta[\"\(RequestEnvelope.logLevelKey)\"] is \(level.text), not one of \(LogLevel.names)"
                )
            )
        )
        return true
    }

    /// The first modern request: the children start with what its envelope says of the IDE.
    package func adoptModernClient(_ meta: JSONSlice, session: ClientSession) {
        // Only the stdio front's IDE may speak 2026-07-28 (the HTTP front serves the initialize era).
        guard session === primary, !session.modern, session.hello == nil else { return }
        session.modernClient.set()
        adoptClient(
            session,
            capabilities: meta[RequestEnvelope.capabilitiesKey],
            clientInfo: meta[RequestEnvelope.clientInfoKey],
            childVersion: ProtocolVersion.latest,
            protocolVersion: RequestEnvelope.version,
            how: "per-request envelope"
        )
    }

    /// `server/discover`: the versions muxgate serves per request, what it offers, who it is.
    package func discover(id: [UInt8], session: ClientSession, params: JSONSlice?) {
        if let meta = params?["_meta"], meta[RequestEnvelope.versionKey] != nil {
            if unsupportedVersion(meta, id: id, session: session) { return }
            adoptModernClient(meta, session: session)
        }
        session.respond(
            to: id,
            JSONRPC.result(
                id: id,
                .object([
                    ("resultType", .string("complete")),
                    ("supportedVersions", .array([.string(RequestEnvelope.version)])),
                    ("capabilities", Self.capabilities),
                    (
                        "_meta",
                        .object([
                            (
                                "io.modelcontextprotocol/serverInfo",
                                .object([("name", .string("muxgate")), ("version", .string(MuxgateVersion.current))])
                            )
                        ])
                    ),
                    ("ttlMs", .int(0)),
                    ("cacheScope", .string("private")),
                ])
            )
        )
    }

    // MARK: - Multi round-trip bridging

    /// Where a child's request during a modern call goes: the call's relay waits on it.
    package final class InputBridge: Sendable {
        package enum Event: Sendable {
            case response(Result<JSONRPCMessage, any Error>)
            case input(JSONRPCMessage)
        }

        package let state = Mutex<(events: [Event], waiter: CheckedContinuation<Event, Never>?)>(([], nil))
        package let child: ChildServer
        /// What the call's own request declared it can answer (2026-07-28: per request).
        package let capabilities: JSONSlice?

        package init(child: ChildServer, capabilities: JSONSlice?) {
            self.child = child
            self.capabilities = capabilities
        }

        package func post(_ event: Event) {
            let waiter = state.withLock { state -> CheckedContinuation<Event, Never>? in
                guard let waiter = state.waiter else {
                    state.events.append(event)
                    return nil
                }
                state.waiter = nil
                return waiter
            }
            waiter?.resume(returning: event)
        }

        package func next() async -> Event {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Event? in
                    guard state.events.isEmpty else { return state.events.removeFirst() }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }

    /// A child's call held open while the IDE gathers input.
    package struct ParkedCall: Sendable {
        package let bridge: InputBridge
        /// `inputRequests` key → the child's own request id.
        package let requests: [String: [UInt8]]
        package let deadline: ContinuousClock.Instant
    }

    package func openBridge(for child: ChildServer, capabilities: JSONSlice?) -> InputBridge {
        let bridge = InputBridge(child: child, capabilities: capabilities)
        bridges[ObjectIdentifier(child), default: []].append(bridge)
        return bridge
    }

    package func closeBridge(_ bridge: InputBridge) {
        bridges[ObjectIdentifier(bridge.child)]?.removeAll { $0 === bridge }
    }

    package func park(_ call: ParkedCall) -> String {
        let now = ContinuousClock.now
        parked = parked.filter { $0.value.deadline > now }
        let token = randomToken("mgrs1.")
        parked[token] = call
        return token
    }

    package func unpark(_ token: String) -> ParkedCall? { parked.removeValue(forKey: token) }

    /// A child's request to the IDE while the IDE speaks 2026-07-28: it joins the most recent
    /// modern call in flight to that child (the `initialize` era does not say which call a request
    /// belongs to; with one call in flight it is exact) if that call's request declared the
    /// capability it needs, else the child hears -32601.
    package func bridgeRequest(_ message: JSONRPCMessage, from child: ChildServer, needs capability: String) -> Bool {
        guard let bridge = bridges[ObjectIdentifier(child)]?.last,
            (bridge.capabilities ?? primary?.hello?.capabilities)?[capability] != nil
        else { return false }
        bridge.post(.input(message))
        return true
    }

    /// Forwards a `tools/call` of a 2026-07-28 IDE, turning the child's requests into
    /// `InputRequiredResult`s; a retry carrying muxgate's `requestState` resumes the parked call.
    package func forwardAskingForInput(_ forwarding: Forwarding) async -> RelayOutcome {
        let (message, id, session, child) = (forwarding.message, forwarding.id, forwarding.session, forwarding.child)
        let bridge: InputBridge
        if let token = message.params?["requestState"]?.string, token.hasPrefix("mgrs1.") {
            guard let call = unpark(token) else {
                session.respond(
                    to: id,
                    JSONRPC.error(id: id, .invalidParams("Unknown or expired requestState; call the tool again"))
                )
                return RelayOutcome(kind: .rpcError, error: "unknown requestState")
            }
            bridge = call.bridge
            bridges[ObjectIdentifier(bridge.child), default: []].append(bridge)
            let responses = message.params?["inputResponses"]
            for (key, childID) in call.requests {
                let answer: [UInt8] =
                    if let result = responses?[key] {
                        Array(#"{"jsonrpc":"2.0","id":"#.utf8) + childID + Array(#","result":"#.utf8)
                            + Array(result.bytes) + [0x7D]
                    } else {
                        JSONRPC.error(id: childID, .invalidParams("the client gave no input for \(key)"))
                    }
                call.bridge.child.notify(answer)
            }
        } else {
            bridge = openBridge(for: child, capabilities: Self.envelope(message)?[RequestEnvelope.capabilitiesKey])
            exchange(forwarding) { bridge.post(.response($0)) }
        }
        defer { closeBridge(bridge) }
        switch await bridge.next() {
        case .input(let request):
            let key = "muxgate:" + (request.id?.text ?? "0")
            let inputRequest = JSONValue.object([
                ("method", .string(request.method ?? "")),
                ("params", request.params?.value ?? .object([])),
            ])
            let token = park(
                ParkedCall(
                    bridge: bridge,
                    requests: [key: Array(request.id?.bytes ?? [])],
                    deadline: .now + child.callTimeout
                )
            )
            session.respond(
                to: id,
                JSONRPC.result(
                    id: id,
                    .object([
                        ("resultType", .string("input_required")),
                        ("inputRequests", .object([(key, inputRequest)])),
                        ("requestState", .string(token)),
                    ])
                )
            )
            return RelayOutcome(kind: .ok)
        case .response(let result):
            return deliver(result, forwarding)
        }
    }
}

/// `subscriptions/listen` (2026-07-28): change notifications go only to the streams that asked
/// for them, tagged with the stream's id; the request stays open until the IDE cancels it.
extension Gateway {
    package struct Subscription: Sendable {
        package var kinds: Set<String>
        package var uris: Set<String>
    }

    package static let subscriptionKey = "io.modelcontextprotocol/subscriptionId"

    package func listen(_ message: JSONRPCMessage, id: [UInt8], session: ClientSession) {
        let filter = message.params?["notifications"]
        var kinds: Set<String> = []
        for kind in ["toolsListChanged", "promptsListChanged", "resourcesListChanged"]
        where filter?[kind]?.bool == true {
            kinds.insert(kind)
        }
        let uris = Set(filter?["resourceSubscriptions"]?.elements.compactMap(\.string) ?? [])
        listens[id] = Subscription(kinds: kinds, uris: uris)
        // The children hear of the resources through the initialize era's subscribe.
        for uri in uris {
            guard let route = resources.route(uri), let child = childByName[route.server],
                child.serverHello?.capabilities["resources"]?["subscribe"]?.bool == true
            else { continue }
            let params = try? JSONSlice.parse(JSONValue.object([("uri", .string(route.uri))]).encoded)
            child.notifyRequest(method: "resources/subscribe", params: params)
        }
        var honoured: [(String, JSONValue)] = kinds.sorted().map { ($0, .bool(true)) }
        if !uris.isEmpty { honoured.append(("resourceSubscriptions", .array(uris.sorted().map(JSONValue.string)))) }
        session.sink.send(
            JSONRPC.notification(
                method: "notifications/subscriptions/acknowledged",
                params: .object([
                    ("_meta", .object([(Self.subscriptionKey, .raw(ArraySlice(id)))])),
                    ("notifications", .object(honoured)),
                ])
            )
        )
    }

    /// Sends a change notification to every stream that asked for `kind` (or, for a resource
    /// update, subscribed to `uri`).
    package func notifySubscribers(
        _ method: String,
        kind: String?,
        uri: String? = nil,
        params: [(String, JSONValue)] = []
    ) {
        for (id, subscription) in listens.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            if let kind, !subscription.kinds.contains(kind) { continue }
            if let uri, !subscription.uris.contains(uri) { continue }
            primary?.sink.send(
                JSONRPC.notification(
                    method: method,
                    params: .object(params + [("_meta", .object([(Self.subscriptionKey, .raw(ArraySlice(id)))]))])
                )
            )
        }
    }

}
