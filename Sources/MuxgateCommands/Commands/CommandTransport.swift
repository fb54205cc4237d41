import Crypto
import Foundation
import MuxgateAudit
package import MuxgateChildren
package import MuxgateConfig
import MuxgatePolicy
package import MuxgateWire
import Synchronization

/// muxgate's own MCP server of command tools (`commands:`), reached as any child is: through the
/// transport seam, so namespacing, shaping, policy, approval, audit, pinning and reload treat its
/// tools as any other server's. It answers `initialize`, `tools/list` and `tools/call`; a call is
/// checked against its tool's schema before anything runs, runs without a shell (unless the tool
/// says `shell: true`), at most `max_parallel` at once, and a cancel or the timeout kills its
/// process group.
package struct CommandTransport: ChildTransport {
    package let tools: [CommandToolConfig]
    package let callTimeout: Duration

    package init(tools: [CommandToolConfig], callTimeout: Duration) {
        self.tools = tools
        self.callTimeout = callTimeout
    }

    package var summary: String { "muxgate's command tools (\(tools.map(\.name).joined(separator: ", ")))" }

    package func run(_ link: ChildLink, stopping: Latch) async -> ConnectionEnd {
        let server = CommandServer(tools: tools.map(CommandTool.init(config:)), callTimeout: callTimeout, link: link)
        let (messages, continuation) = AsyncStream.makeStream(of: [UInt8].self)
        let outbox = QueueOutbox(continuation)
        link.attach(outbox)
        link.started(nil)
        await withDiscardingTaskGroup { group in
            group.addTask {
                await stopping.wait()
                outbox.finish()
            }
            for await line in messages {
                outbox.took(line.count)
                let body = line.last == 0x0A ? Array(line.dropLast()) : line
                guard let message = try? JSONRPCMessage.parse(body) else { continue }
                if message.method == "tools/call", message.kind == .request {
                    group.addTask { await server.call(message) }
                } else {
                    server.handle(message)
                }
            }
            server.cancelAll()
            group.cancelAll()
        }
        return ConnectionEnd("stopped")
    }
}

/// The command tools' server: answers and runs.
package final class CommandServer: Sendable {
    package let tools: [String: CommandTool]
    package let order: [String]
    package let callTimeout: Duration
    package let link: ChildLink
    /// Runs at most `max_parallel` at once, per tool.
    package let slots: [String: AsyncSemaphore]
    /// Calls running: request id → its cancel.
    private let running = Mutex<[[UInt8]: Latch]>([:])

    package init(tools: [CommandTool], callTimeout: Duration, link: ChildLink) {
        self.tools = Dictionary(uniqueKeysWithValues: tools.map { ($0.name, $0) })
        order = tools.map(\.name)
        self.callTimeout = callTimeout
        self.link = link
        slots = Dictionary(uniqueKeysWithValues: tools.map { ($0.name, AsyncSemaphore($0.config.maxParallel)) })
    }

    private func send(_ line: [UInt8]) {
        link.batch { link.receive(line) }
    }

    package func handle(_ message: JSONRPCMessage) {
        guard let method = message.method else { return }  // a response: muxgate asks nothing of the IDE here
        let id = message.id.map { Array($0.bytes) }
        switch method {
        case "initialize":
            let requested = message.params?["protocolVersion"]?.string
            send(
                JSONRPC.result(
                    id: id!,
                    .object([
                        ("protocolVersion", .string(ProtocolVersion.negotiate(requested))),
                        ("capabilities", .object([("tools", .object([]))])),
                        (
                            "serverInfo",
                            .object([
                                ("name", .string("muxgate-commands")), ("version", .string(MuxgateVersion.current)),
                            ])
                        ),
                    ])
                )
            )
        case "tools/list":
            send(JSONRPC.result(id: id!, .object([("tools", .array(order.map { tools[$0]!.definition }))])))
        case "ping":
            send(JSONRPC.result(id: id!, .object([])))
        case "notifications/cancelled":
            if let request = message.params?["requestId"] {
                running.withLock { $0[Array(request.bytes)] }?.fire()
            }
        default:
            if let id { send(JSONRPC.error(id: id, .methodNotFound(method))) }
        }
    }

    package func cancelAll() {
        for latch in running.withLock({ Array($0.values) }) { latch.fire() }
    }

    /// One `tools/call`: checked, run, answered (a cancelled call is not answered).
    package func call(_ message: JSONRPCMessage) async {
        let id = Array(message.id!.bytes)
        guard let name = message.params?["name"]?.string, let tool = tools[name] else {
            send(JSONRPC.error(id: id, .invalidParams("Unknown tool: \(message.params?["name"]?.text ?? "none")")))
            return
        }
        let argv: [String]
        do throws(CommandTool.Refusal) {
            argv = try tool.argv(for: message.params?["arguments"])
        } catch {
            let text = "muxgate did not run \(name): " + error.problems.joined(separator: "; ")
            send(JSONRPC.result(id: id, Self.result(text: text, isError: true, structured: nil)))
            return
        }
        let cancel = Latch()
        running.withLock { $0[id] = cancel }
        defer { running.withLock { _ = $0.removeValue(forKey: id) } }
        let slot = slots[name]!
        guard await slot.acquire(until: cancel) else { return }
        defer { slot.release() }
        var progress: (@Sendable (Duration, Int) -> Void)?
        if let token = message.params?["_meta"]?["progressToken"] {
            let tokenBytes = ArraySlice(token.bytes)
            progress = { [self] elapsed, lines in
                let seconds = Int(elapsed.seconds)
                let params = JSONValue.object([
                    ("progressToken", .raw(tokenBytes)), ("progress", .int(seconds)),
                    ("message", .string("\(name): running for \(seconds)s, \(lines) lines of output")),
                ])
                send(JSONRPC.notification(method: "notifications/progress", params: params))
            }
        }
        var environment = ProcessInfo.processInfo.environment.filter { $0.key == "PATH" || $0.key == "HOME" }
        environment.merge(tool.config.env) { $1 }
        let run = CommandRun(
            argv: argv,
            environment: environment,
            cwd: tool.config.cwd,
            timeout: tool.config.timeout?.duration ?? callTimeout,
            maxOutputBytes: tool.config.maxOutputBytes
        )
        let outcome = await run.run(cancel: cancel, progress: progress)
        if outcome.cancelled { return }
        send(JSONRPC.result(id: id, Self.result(outcome, argv: argv, tool: tool)))
    }

    package static func result(text: String, isError: Bool, structured: JSONValue?) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("content", .array([.object([("type", .string("text")), ("text", .string(text))])]))
        ]
        if let structured { members.append(("structuredContent", structured)) }
        members.append(("isError", .bool(isError)))
        return .object(members)
    }

    /// What a run came to: stdout as the text, the rest in `structuredContent` and `_meta`.
    package static func result(_ outcome: CommandRun.Outcome, argv: [String], tool: CommandTool) -> JSONValue {
        let stdout = String(decoding: outcome.stdout, as: UTF8.self)
        let stderr = String(decoding: outcome.stderr, as: UTF8.self)
        var text = stdout
        if outcome.stdoutDropped > 0 {
            text +=
                "\n[muxgate: \(outcome.stdoutDropped) more bytes of output were dropped (max_output \(tool.config.maxOutputBytes) bytes)]"
        }
        let failed = outcome.failure != nil || outcome.timedOut || outcome.exitStatus != 0
        if let failure = outcome.failure {
            text = "muxgate could not run \(tool.name): \(failure)"
        } else if outcome.timedOut {
            let seconds = Int((tool.config.timeout?.duration ?? .zero).seconds)
            text +=
                "\n[muxgate: \(tool.name) did not finish within its timeout\(seconds > 0 ? " of \(seconds)s" : ""); its process group was killed]"
        } else if let status = outcome.exitStatus, status != 0 {
            text += (text.isEmpty ? "" : "\n") + "[exit status \(status)]" + (stderr.isEmpty ? "" : "\n" + stderr)
        } else if let signal = outcome.signal {
            text += "\n[killed by signal \(signal)]"
        }
        let digest = SHA256.hash(data: outcome.stdout).map { String(format: "%02x", $0) }.joined()
        let structured = JSONValue.object([
            ("argv", .array(argv.map(JSONValue.string))),
            ("duration_ms", .int(Int(outcome.duration.seconds * 1000))),
            ("exit_status", outcome.exitStatus.map { .int(Int($0)) } ?? .null),
            ("signal", outcome.signal.map { .int(Int($0)) } ?? .null),
            ("stderr", .string(stderr)),
            ("stderr_dropped_bytes", .int(outcome.stderrDropped)),
            ("stdout_dropped_bytes", .int(outcome.stdoutDropped)),
            ("timed_out", .bool(outcome.timedOut)),
        ])
        guard
            case .object(var members) = result(
                text: text,
                isError: failed || outcome.signal != nil,
                structured: structured
            )
        else { return .null }
        // What the audit trail keeps of the run: the argv, the status, the output's digest.
        members.append(
            (
                "_meta",
                .object([
                    (
                        "muxgate/command",
                        .object([
                            ("argv", .array(argv.map(JSONValue.string))),
                            ("exit_status", outcome.exitStatus.map { .int(Int($0)) } ?? .null),
                            ("stdout_sha256", .string(digest)), ("timed_out", .bool(outcome.timedOut)),
                        ])
                    )
                ])
            )
        )
        return .object(members)
    }
}

/// A counting semaphore for tasks: `acquire` waits for a slot (or until `cancel` fires).
package final class AsyncSemaphore: Sendable {
    private struct State {
        package var free: Int
        package var waiters: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
        package var next = 0
    }

    private let state: Mutex<State>

    package init(_ slots: Int) {
        state = Mutex(State(free: slots))
    }

    /// True once a slot is this caller's; false when `cancel` fired first.
    package func acquire(until cancel: Latch) async -> Bool {
        let token = state.withLock { state -> Int? in
            if state.free > 0 {
                state.free -= 1
                return nil
            }
            state.next += 1
            return state.next
        }
        guard let token else { return true }
        return await withTaskGroup(of: Bool?.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    self.state.withLock { $0.waiters.append((token, continuation)) }
                }
            }
            group.addTask {
                await cancel.wait()
                return nil
            }
            let first = await group.next() ?? nil
            if first == nil {
                // Cancelled: leave the queue; a slot handed over meanwhile is passed on.
                let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                    guard let index = state.waiters.firstIndex(where: { $0.id == token }) else { return nil }
                    return state.waiters.remove(at: index).continuation
                }
                if let waiter {
                    waiter.resume(returning: false)
                } else {
                    _ = await group.next()
                    release()
                }
            }
            group.cancelAll()
            return first == true
        }
    }

    package func release() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard !state.waiters.isEmpty else {
                state.free += 1
                return nil
            }
            return state.waiters.removeFirst().continuation
        }
        waiter?.resume(returning: true)
    }
}
