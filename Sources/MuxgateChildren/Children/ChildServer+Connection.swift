import Foundation
import Logging
import MuxgateAudit
import MuxgateConfig
import MuxgatePolicy
package import MuxgateWire
import Synchronization

extension ChildServer {
    /// Runs one connection to the child (its transport's: a process from spawn to exit, an HTTP
    /// session), from open to end, with the handshake and the list refreshes on top.
    package func runConnection() async {
        let stopLatch = Latch()
        let attached = Latch()
        let (refresh, refreshContinuation) = AsyncStream.makeStream(
            of: ListKind.self,
            bufferingPolicy: .bufferingNewest(8)
        )
        state.withLock { state in
            state.stopLatch = stopLatch
            state.refresh = refreshContinuation
            state.stderrTail = []
        }
        if state.withLock({ $0.stopping }) { stopLatch.fire() }
        logger.info("starting: \(scrubbed(transport.summary))")
        let link = ChildLink(
            server: name,
            logger: logger,
            maxMessageBytes: maxMessageBytes,
            attach: { [self] outbox in
                state.withLock { $0.outbox = outbox }
                attached.fire()
            },
            receive: { [self] line in handleLine(line) },
            oversized: { [self] count in
                logger.error(
                    "dropped a message of \(count) bytes from the server: over the \(maxMessageBytes)-byte cap"
                )
            },
            diagnostic: { [self] text in keepDiagnostic(text) },
            batch: batch,
            started: { [self] pid in state.withLock { $0.pid = pid } },
            tool: { [self] name in list(.tools).first { $0["name"]?.string == name } }
        )
        let end = await withTaskGroup(of: Void.self) { group -> ConnectionEnd in
            group.addTask {
                await attached.wait()
                guard !stopLatch.isFired, !Task.isCancelled else { return }
                await self.handshake(stopLatch: stopLatch)
                for await kind in refresh { await self.refresh(kind) }
            }
            let end = await transport.run(link, stopping: stopLatch)
            stopLatch.fire()
            attached.fire()
            refreshContinuation.finish()
            group.cancelAll()
            return end
        }
        state.withLock { $0.outbox?.finish() }
        let outcome = end.outcome
        // Phase first, then the in-flight failures: a caller that retries at once must see the
        // child as exited (and restart it), never as ready without a connection.
        let tail = stderrTail.suffix(5).joined(separator: "\n  ")
        let (stopping, wasReady, circuit) = state.withLock { state -> (Bool, Bool, String?) in
            state.outbox = nil
            state.refresh = nil
            state.stopLatch = nil
            state.pid = nil
            state.serverHello = nil
            state.retryAfter = end.retryAfter
            let wasReady = state.phase == .ready
            if !wasReady { state.consecutiveFailures += 1 }
            guard !state.stopping else { return (true, wasReady, nil) }
            // Too many crashes in the window: stop trying for a window and withdraw the tools.
            let now = ContinuousClock.now
            state.crashes = state.crashes.filter { now - $0 < restartLimit.window } + [now]
            guard state.crashes.count >= restartLimit.count else { return (false, wasReady, nil) }
            state.crashes = []
            state.circuitOpenUntil = now + restartLimit.window
            state.lists = [:]
            return (
                false, wasReady,
                "circuit open: it failed \(restartLimit.count) times within \(restartLimit.window.seconds)s; "
                    + "its tools are withdrawn and muxgate tries it again after \(restartLimit.window.seconds)s"
            )
        }
        if stopping {
            logger.info("stopped (\(outcome))")
            setPhase(.stopped)
            failPending("server '\(name)' was stopped (muxgate is shutting down)")
        } else {
            logger.error("exited: \(outcome)\(tail.isEmpty ? "" : "; last stderr:\n  " + tail)")
            if let circuit {
                logger.error("\(circuit)")
                setPhase(.failed(ChildFailure(.circuitOpen, "\(circuit) (last: \(outcome))")))
            } else if wasReady {
                setPhase(.exited(ChildFailure(.exited, outcome)))
            } else if case .failed = phase {
                // The handshake already said why.
            } else {
                setPhase(
                    .failed(
                        ChildFailure(
                            .exitedDuringStartup,
                            "exited during start-up (\(outcome))\(tail.isEmpty ? "" : "; stderr: " + tail)"
                        )
                    )
                )
            }
            failPending("server '\(name)' exited (\(outcome)) before answering")
        }
        report(.unavailable(server: name, reason: outcome, failed: !wasReady))
    }

    /// Keeps a diagnostic line (stderr) for errors and `check`, and logs it.
    /// `text` with this child's secrets replaced by `[secret]`.
    package func scrubbed(_ text: String) -> String {
        Secrets.shared.scrub(Secrets.scrub(text, secrets))
    }

    private func keepDiagnostic(_ line: String) {
        // What the child prints may echo what it was given (a connection string, a token).
        let text = scrubbed(line)
        logger.info("stderr: \(text)")
        state.withLock { state in
            state.stderrTail.append(text)
            if state.stderrTail.count > Self.stderrTailLines { state.stderrTail.removeFirst() }
        }
    }

    package func fail(with failure: ChildFailure) {
        logger.error("\(failure.message)")
        setPhase(.failed(failure))
        report(.unavailable(server: name, reason: failure.message, failed: true))
    }

    private func failPending(_ message: String) {
        let pending = state.withLock { state in
            defer { state.pending = [:] }
            return state.pending.values.map(\.resume)
        }
        for resume in pending {
            resume(.failure(JSONRPCError.serverUnavailable(message)))
        }
    }

    /// Routes one line from the child's stdout.
    package func handleLine(_ line: [UInt8]) {
        let message: JSONRPCMessage
        do {
            message = try JSONRPCMessage.parse(line)
        } catch {
            let preview = String(decoding: line.prefix(200), as: UTF8.self)
            logger.warning("dropped a line from its stdout that is not JSON-RPC (\(error.error.message)): \(preview)")
            return
        }
        switch message.kind {
        case .response:
            guard let id = message.id?.int,
                let waiter = state.withLock({ $0.pending.removeValue(forKey: id)?.resume })
            else {
                if let id = message.id?.int, state.withLock({ $0.unawaited.remove(id) }) != nil { return }
                logger.warning("dropped a response to an unknown request id \(message.id?.text ?? "null")")
                return
            }
            waiter(.success(message))
        case .request:
            if message.method == "ping", let id = message.id {
                notify(JSONRPC.result(id: Array(id.bytes), .object([])))
            } else {
                report(.request(server: name, message))
            }
        case .notification:
            // The acknowledgement of muxgate's own subscriptions/listen to a 2026-07-28 child.
            if message.method == "notifications/subscriptions/acknowledged" { return }
            let kinds = ListKind.changed(by: message.method!)
            if !kinds.isEmpty {
                let refresh = state.withLock { $0.refresh }
                for kind in kinds { refresh?.yield(kind) }
            } else {
                if !passThrough(message) { report(.notification(server: name, message)) }
            }
        }
    }

    /// The MCP handshake: `initialize`, `notifications/initialized`, then the tool list.
    private func handshake(stopLatch: Latch) async {
        let serverHello: ServerHello
        let version: String
        if isModern {
            do {
                serverHello = try await discoverHello()
            } catch {
                if Task.isCancelled || stopLatch.isFired { return }
                handshakeFailed(
                    Self.failureCode(of: error),
                    "server/discover failed: \((error as? JSONRPCError)?.message ?? "\(error)")",
                    stopLatch
                )
                return
            }
            version = serverHello.protocolVersion
            state.withLock { $0.serverHello = serverHello }
            listenForChanges(serverHello)
        } else {
            guard let hello = await initializeHello(stopLatch: stopLatch) else { return }
            serverHello = hello
            version = hello.protocolVersion
        }
        let info = serverHello.serverInfo.map { "\($0["name"]?.string ?? "?") \($0["version"]?.string ?? "")" } ?? "?"
        var lists: [ListKind: [JSONSlice]] = [:]
        for kind in ListKind.allCases where serverHello.offers(kind) {
            do {
                lists[kind] = try await listAll(kind.method, key: kind.key)
            } catch {
                if Task.isCancelled || stopLatch.isFired { return }
                guard kind == .tools else {
                    // Prompts and resources are optional extras: a server that fails them still serves
                    // tools. Many servers with resources have no templates: -32601 is no news.
                    if (error as? JSONRPCError)?.code == JSONRPCError.Code.methodNotFound {
                        logger.debug("\(kind.method) is not implemented; listing none")
                    } else {
                        logger.warning("\(kind.method) failed: \(error); listing none")
                    }
                    continue
                }
                handshakeFailed(.toolsListFailed, "tools/list failed: \(error)", stopLatch)
                return
            }
        }
        state.withLock { state in
            state.lists = lists
            state.consecutiveFailures = 0
        }
        keepTools?(lists[.tools] ?? [])
        let counts = ListKind.allCases.compactMap { kind in lists[kind].map { "\($0.count) \(kind.rawValue)" } }
        logger.info("ready: \(info), protocol \(version), \(counts.joined(separator: ", "))")
        setPhase(.ready)
        report(.started(server: name, pid: state.withLock { $0.pid }))
        report(.listsChanged(server: name, kinds: ListKind.allCases))
    }

    private func handshakeFailed(_ code: ChildFailure.Code, _ reason: String, _ stopLatch: Latch) {
        let tail = stderrTail.suffix(5).joined(separator: " | ")
        fail(with: ChildFailure(code, reason + (tail.isEmpty ? "" : "; stderr: " + tail)))
        stopLatch.fire()
    }

    /// A handshake request's failure: no answer in time, or any other.
    package static func failureCode(of error: any Error) -> ChildFailure.Code {
        (error as? JSONRPCError)?.code == JSONRPCError.Code.timeout ? .startupTimeout : .handshakeFailed
    }

    /// The `initialize` handshake; nil when it failed (already reported).
    private func initializeHello(stopLatch: Latch) async -> ServerHello? {
        let hello = state.withLock { $0.hello } ?? .standalone
        let params = JSONValue.object([
            ("protocolVersion", .string(hello.protocolVersion)),
            ("capabilities", hello.capabilities),
            ("clientInfo", hello.clientInfo),
        ])
        let response: JSONRPCMessage
        do {
            response = try await exchange("initialize", timeout: startupTimeout) { id in
                JSONRPC.request(id: id, method: "initialize", params: params)
            }
        } catch {
            if Task.isCancelled || stopLatch.isFired { return nil }
            let reason = (error as? JSONRPCError)?.message ?? "\(error)"
            handshakeFailed(Self.failureCode(of: error), "initialize failed: \(reason)", stopLatch)
            return nil
        }
        guard let result = response.result else {
            handshakeFailed(.handshakeFailed, "initialize was refused: \(response.error?.text ?? "")", stopLatch)
            return nil
        }
        guard let version = result["protocolVersion"]?.string, ProtocolVersion.supported.contains(version) else {
            handshakeFailed(
                .unsupportedVersion,
                "it answered protocol version \(result["protocolVersion"]?.text ?? "none"), which muxgate does not speak "
                    + "(it speaks \(ProtocolVersion.supported.joined(separator: ", ")))",
                stopLatch
            )
            return nil
        }
        let serverHello = ServerHello(
            protocolVersion: version,
            capabilities: result["capabilities"] ?? (try! JSONSlice.parse("{}")),
            serverInfo: result["serverInfo"],
            instructions: result["instructions"]?.string
        )
        state.withLock { $0.serverHello = serverHello }
        notify(JSONRPC.notification(method: "notifications/initialized", params: nil))
        return serverHello
    }

    /// Re-reads one list after the child said it changed.
    private func refresh(_ kind: ListKind) async {
        guard phase == .ready else { return }
        do {
            let items = try await listAll(kind.method, key: kind.key)
            state.withLock { $0.lists[kind] = items }
            if kind == .tools { keepTools?(items) }
            logger.info("\(kind.rawValue) changed: \(items.count) items")
            report(.listsChanged(server: name, kinds: [kind]))
        } catch {
            logger.error("could not re-read \(kind.method): \(error)")
        }
    }

    /// Follows `nextCursor` to the end of a paginated list.
    package func listAll(_ method: String, key: String) async throws -> [JSONSlice] {
        var items: [JSONSlice] = []
        var cursor: String?
        var seen: Set<String> = []
        repeat {
            let params: JSONValue? = cursor.map { .object([("cursor", .string($0))]) }
            let response = try await exchange(method, timeout: startupTimeout) { id in
                JSONRPC.request(id: id, method: method, params: params)
            }
            if let code = response.error?["code"]?.int, code == JSONRPCError.methodNotFound(method).code {
                throw JSONRPCError.methodNotFound(method)
            }
            guard let result = response.result, let page = result[key], page.kind == .array else {
                throw JSONRPCError.internalError(
                    "server '\(name)' answered \(method) without a '\(key)' list: \(response.error?.text ?? response.root.text.prefix(200).description)"
                )
            }
            items.append(contentsOf: method == "tools/list" ? usableTools(page.elements) : page.elements)
            cursor = result["nextCursor"]?.string
            if let next = cursor, !seen.insert(next).inserted {
                throw JSONRPCError.internalError("server '\(name)' repeated the cursor '\(next)' in \(method)")
            }
        } while cursor != nil
        return items
    }

    /// The tools a client may call: over 2026-07-28 HTTP, a tool whose `x-mcp-header` annotations
    /// break the rules must be dropped (its calls could not carry the headers a server checks).
    private func usableTools(_ tools: [JSONSlice]) -> [JSONSlice] {
        guard isModern, case .http = config.transport else { return tools }
        return tools.filter { tool in
            guard let schema = tool["inputSchema"] else { return true }
            do {
                _ = try ParamHeaders.declarations(in: schema)
                return true
            } catch {
                logger.warning(
                    "tool '\(tool["name"]?.string ?? "?")' is left out: \(error) (2026-07-28 x-mcp-header rules)"
                )
                return false
            }
        }
    }
}
