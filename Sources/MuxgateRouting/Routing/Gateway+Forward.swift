import Logging
package import MuxgateAudit
package import MuxgateChildren
import MuxgateConfig
package import MuxgatePolicy
import MuxgateTelemetry
package import MuxgateWire
import Synchronization
import Tracing

/// The forward stage, once for every route: the IDE's request to its child under a fresh id
/// (the IDE's cancel reaching it), across the protocol eras, and the answer back under the IDE's
/// id. Every route — a tool call on the fast path or the general one, a prompt, a resource, a
/// completion, a task — goes through `forward`, which has a callback entry (no task: the fast
/// path) and an async one over it; the era crossings (`Gateway+Modern`, `ChildServer+Modern`)
/// are strategies inside it, built on the same `exchange`.
extension Gateway {
    /// How a forwarded request ended, for the audit trail.
    package struct RelayOutcome {
        package var kind: AuditEvent.Outcome
        /// The result the child answered (its size and digest are audited).
        package var result: JSONSlice? = nil
        package var error: String? = nil
        /// What the result guard did (`screen`), for the outcome's record.
        package var guarded: JSONValue? = nil
    }

    /// What one forwarded request needs: the IDE's message and id, its session, the child, the
    /// edits the child's line gets, and those the answer gets. A class: the closures of one
    /// exchange share it instead of each copying its dozen references.
    package final class Forwarding: Sendable {
        package let message: JSONRPCMessage
        package let id: [UInt8]
        package let session: ClientSession
        package let child: ChildServer
        package let edits: JSONSplice
        package let answerEdits: (@Sendable (JSONRPCMessage) -> JSONSplice)?
        /// The decision's fsync, which the answer waits for (`audit.durable_before: answer`).
        package let commit: PendingCommit?
        /// A tool call's result guard (`screen`); nil for every other route.
        package let screen: ResultScreen?
        /// A tool call's places in its limits' calls in flight: given back as the exchange ends,
        /// before its answer leaves (the IDE's next call must find them free).
        package let limitHold: LimitHold?

        package init(
            message: JSONRPCMessage,
            id: [UInt8],
            session: ClientSession,
            child: ChildServer,
            edits: JSONSplice,
            answerEdits: (@Sendable (JSONRPCMessage) -> JSONSplice)? = nil,
            commit: PendingCommit? = nil,
            screen: ResultScreen? = nil,
            limitHold: LimitHold? = nil
        ) {
            self.message = message
            self.id = id
            self.session = session
            self.child = child
            self.edits = edits
            self.answerEdits = answerEdits
            self.commit = commit
            self.screen = screen
            self.limitHold = limitHold
        }

        package var method: String { message.method! }

        /// The same request, its decision on disk already.
        package var committed: Forwarding {
            Forwarding(
                message: message,
                id: id,
                session: session,
                child: child,
                edits: edits,
                answerEdits: answerEdits,
                screen: screen,
                limitHold: limitHold
            )
        }
    }

    /// How a request crosses between the IDE's protocol era and the child's.
    package enum Crossing {
        /// The same era: one exchange, answered as it comes.
        case direct
        /// A 2026-07-28 IDE's tool call: the child's requests become input-required results.
        case inputRequired
        /// A 2026-07-28 child, an `initialize`-era IDE: its input-required results become requests.
        case resolvingInput
    }

    package nonisolated func crossing(_ forwarding: Forwarding) -> Crossing {
        if modern && forwarding.method == "tools/call" { return .inputRequired }
        if forwarding.child.isModern && !modern { return .resolvingInput }
        return .direct
    }

    /// Forwards and delivers; `completion` gets how it ended, once. A direct crossing to a ready
    /// child runs without a task (the child's reader thread delivers); the others run in one.
    package nonisolated func forward(_ forwarding: Forwarding, completion: @escaping @Sendable (RelayOutcome) -> Void) {
        guard crossing(forwarding) == .direct else {
            // The crossings answer from inside their exchanges: the record is on disk first.
            guard let commit = forwarding.commit else {
                Task { completion(await self.forwardAcrossEras(forwarding)) }
                return
            }
            let strict = forwarding.committed
            return commit.whenDurable { [self] error in
                if let failure = auditor?.failure(error) {
                    completion(withhold(nil, strict, failure: failure))
                } else {
                    forward(strict, completion: completion)
                }
            }
        }
        exchange(forwarding) { [self] result in
            forwarding.limitHold?.release()
            guard let commit = forwarding.commit else { return completion(deliver(result, forwarding)) }
            // The child has answered: the IDE hears of it once the decision is on disk.
            commit.whenDurable { [self] error in
                if let failure = auditor?.failure(error) {
                    completion(withhold(result, forwarding, failure: failure))
                } else {
                    completion(deliver(result, forwarding))
                }
            }
        }
    }

    /// Answers a call whose decision could not be made durable (`audit.on_failure: deny`) with an
    /// error instead of the child's answer: the IDE must not take as done what the audit trail
    /// cannot show. The child may have run it (`result`); the error says so.
    private nonisolated func withhold(
        _ result: Result<JSONRPCMessage, any Error>?,
        _ forwarding: Forwarding,
        failure: String
    ) -> RelayOutcome {
        let ran = result != nil ? "server '\(forwarding.child.name)' ran the call, but " : ""
        let message = "\(ran)its audit record could not be made durable: \(failure); the answer is withheld"
        logger.error("\(forwarding.method): \(message)", metadata: ["muxgate.server": .string(forwarding.child.name)])
        forwarding.session.respond(to: forwarding.id, JSONRPC.error(id: forwarding.id, .internalError(message)))
        return RelayOutcome(kind: .rpcError, error: message)
    }

    /// `forward`, awaited.
    @discardableResult
    package nonisolated func forward(_ forwarding: Forwarding) async -> RelayOutcome {
        await withCheckedContinuation { continuation in
            forward(forwarding) { continuation.resume(returning: $0) }
        }
    }

    /// The crossings that need more than one exchange, or the IDE's help.
    private func forwardAcrossEras(_ forwarding: Forwarding) async -> RelayOutcome {
        switch crossing(forwarding) {
        case .inputRequired: await forwardAskingForInput(forwarding)
        case .resolvingInput: await forwardResolvingInput(forwarding)
        case .direct: deliver(await exchange(forwarding), forwarding)
        }
    }

    /// One exchange with the child: the IDE's request under a fresh id (with `edits`), its
    /// answer to `completion`; the IDE's cancel reaches the child meanwhile. A 2026-07-28 IDE's
    /// envelope is muxgate's to read: an `initialize`-era child does not see it.
    package nonisolated func exchange(
        _ forwarding: Forwarding,
        edits override: JSONSplice? = nil,
        completion: @escaping @Sendable (Result<JSONRPCMessage, any Error>) -> Void
    ) {
        let (message, session, child) = (forwarding.message, forwarding.session, forwarding.child)
        let server = child.name
        let id = forwarding.id
        var edits = override ?? forwarding.edits
        var optedIn = false
        if session.modern, let meta = Self.envelope(message) {
            if !child.isModern { edits.editMembers(of: meta, removing: { RequestEnvelope.keys.contains($0.key) }) }
            if let level = meta[RequestEnvelope.logLevelKey]?.string.flatMap(LogLevel.init(rawValue:)) {
                optedIn = true
                let lower = session.logging.optIn(server: server, id: id, level: level)
                if let lower, !child.isModern { setChildLevel(lower, child) }
            }
        }
        let tracked = trackedLine(message, session: session, to: server, edits: edits)
        child.submit(forwarding.method, build: tracked.build) { [self, optedIn] result in
            session.inFlight.withLock { _ = $0.removeValue(forKey: id) }
            tracked.release()
            if optedIn, let higher = session.logging.optOut(server: server, id: id), !child.isModern {
                setChildLevel(higher, child)
            }
            completion(result)
        }
    }

    /// `exchange`, awaited.
    package nonisolated func exchange(_ forwarding: Forwarding, edits: JSONSplice? = nil) async
        -> Result<JSONRPCMessage, any Error>
    {
        await withCheckedContinuation { continuation in
            exchange(forwarding, edits: edits) { continuation.resume(returning: $0) }
        }
    }

    /// Tells an `initialize`-era child that offers logging which level to send (the lowest any
    /// opted-in request in flight to it asked for), before the request that needs it.
    package nonisolated func setChildLevel(_ level: LogLevel, _ child: ChildServer) {
        guard child.serverHello?.capabilities["logging"] != nil else { return }
        child.notifyRequest(
            method: "logging/setLevel",
            params: try? JSONSlice.parse(JSONValue.object([("level", .string(level.rawValue))]).encoded)
        )
    }

    /// Marks the IDE's request as in flight to `server` and returns the builder of the child's
    /// line, which records the id the child sees too (so a cancel from the IDE can be translated).
    /// In team mode the call's progress token is made muxgate-wide unique on the way (`release`
    /// forgets it). The caller removes the mark when the request ends.
    package nonisolated func trackedLine(
        _ message: JSONRPCMessage,
        session: ClientSession,
        to server: String,
        edits: JSONSplice
    ) -> TrackedLine {
        let id = Array(message.id!.bytes)
        var edits = edits
        var progress: String?
        if routes.only == nil, let token = message.params?["_meta"]?["progressToken"] {
            let ours = routes.registerProgress(token, of: session, requestID: id)
            edits.replace(token.range, with: JSONValue.quoted(ours))
            progress = ours
        }
        var observed: TrackedLine.Observed?
        if let telemetry = session.telemetry {
            observed = observe(message, id: id, session: session, server: server, telemetry: telemetry, edits: &edits)
        }
        let inFlight = session.inFlight
        inFlight.withLock { $0[id] = InFlightCall(server: server) }
        return TrackedLine(
            build: { [edits] childID in
                inFlight.withLock {
                    $0[id] = InFlightCall(server: server, id: Int(String(decoding: childID, as: UTF8.self)))
                }
                return message.rewritten(id: childID, edits)
            },
            progress: progress,
            routes: routes,
            observed: observed
        )
    }

    /// Telemetry on: the call to the child gets a client span inside the IDE request's, and the
    /// child learns it as `_meta.traceparent` (the only change tracing makes to a message).
    private nonisolated func observe(
        _ message: JSONRPCMessage,
        id: [UInt8],
        session: ClientSession,
        server: String,
        telemetry: Telemetry,
        edits: inout JSONSplice
    ) -> TrackedLine.Observed {
        let method = message.method ?? "unknown"
        let span = telemetry.span(
            message.params?["name"]?.string.map { "\(method) \($0)" } ?? method,
            in: session.trace(of: id),
            kind: .client
        )
        if let span {
            let remote = if case .http = current.servers[server]?.transport { true } else { false }
            span.attributes = SpanAttributes([
                "mcp.method.name": .string(method), "server.name": .string(server),
                "network.transport": .string(remote ? "tcp" : "pipe"),
            ])
            if let parent = telemetry.traceparent(of: span), let params = message.params, params.kind == .object {
                let value = JSONValue.quoted(parent)
                // Never over another edit (a shaped argument, a token muxgate renamed): then the
                // child goes without the trace context rather than get a broken message.
                if let meta = params["_meta"], meta.kind == .object {
                    if !edits.conflictsSetting("traceparent", in: meta) {
                        edits.setMember("traceparent", to: value, in: meta)
                    }
                } else if params["_meta"] == nil, !edits.conflictsSetting("_meta", in: params) {
                    edits.setMember(
                        "_meta",
                        to: JSONValue.object([("traceparent", .string(parent))]).encoded,
                        in: params
                    )
                }
            }
        }
        telemetry.instruments?.pending(server, 1)
        return TrackedLine.Observed(span: span, telemetry: telemetry, method: method, server: server)
    }

    /// Answers the IDE with the child's response (or the error that stood in for it).
    package nonisolated func deliver(_ result: Result<JSONRPCMessage, any Error>, _ forwarding: Forwarding)
        -> RelayOutcome
    {
        let (id, session, method, server) = (
            forwarding.id, forwarding.session, forwarding.method, forwarding.child.name
        )
        let answerEdits = forwarding.answerEdits
        do {
            let response = try result.get()
            var edits = answerEdits?(response) ?? JSONSplice()
            var guarded: JSONValue?
            if let screen = forwarding.screen, let result = response.result, result.kind == .object {
                trace?.passed(.screen, id)
                var verdict = screen.inspect(result, into: &edits)
                if case .block(let rule) = verdict.action {
                    logger.notice(
                        "withheld the result of \(screen.tool): result guard rule '\(rule)'",
                        metadata: ["muxgate.server": .string(server)]
                    )
                    session.sendResult(id: id, ResultGuard.blockedResult(tool: screen.tool, rule: rule))
                    return RelayOutcome(
                        kind: .toolError,
                        error: "result withheld by guard rule \(rule)",
                        guarded: verdict.audit
                    )
                }
                if let capped = capResult(result, edits: edits, screen: screen, session: session, verdict: &verdict) {
                    session.sendResult(id: id, capped)
                    let kind: AuditEvent.Outcome = result["isError"]?.bool == true ? .toolError : .ok
                    return RelayOutcome(kind: kind, result: result, guarded: verdict.audit)
                }
                guarded = verdict.audit
            }
            if modern, let result = response.result, result.kind == .object,
                result["resultType"] == nil
            {
                // A 2026-07-28 client expects resultType on every result; the child predates it.
                edits.setMember("resultType", to: JSONValue.quoted("complete"), in: result)
            }
            session.respond(to: id, response.rewritten(id: id, edits))
            guard let result = response.result else {
                return RelayOutcome(kind: .rpcError, error: response.error?["message"]?.string ?? response.error?.text)
            }
            return RelayOutcome(
                kind: result["isError"]?.bool == true ? .toolError : .ok,
                result: result,
                guarded: guarded
            )
        } catch let error as JSONRPCError {
            logger.warning("\(method) failed: \(error.message)", metadata: ["muxgate.server": .string(server)])
            session.respond(to: id, JSONRPC.error(id: id, error))
            let kind: AuditEvent.Outcome =
                switch error.code {
                case JSONRPCError.Code.timeout: .timeout
                case JSONRPCError.Code.serverUnavailable: .childExit
                default: .rpcError
                }
            return RelayOutcome(kind: kind, error: error.message)
        } catch is CancelledByClient {
            return RelayOutcome(kind: .cancelled)
        } catch {
            // muxgate is shutting down (the client closed stdin): no one is left to answer.
            if Task.isCancelled { return RelayOutcome(kind: .cancelled) }
            logger.error("\(method) failed: \(error)", metadata: ["muxgate.server": .string(server)])
            session.respond(
                to: id,
                JSONRPC.error(id: id, .internalError("muxgate could not complete \(method): \(error)"))
            )
            return RelayOutcome(kind: .rpcError, error: "\(error)")
        }
    }
}
