package import Foundation
import MuxgateAudit
import MuxgateCLI
import MuxgateChildren
import MuxgateCommands
import MuxgateConfig
import MuxgatePolicy
import MuxgateRemote
import MuxgateRouting
import MuxgateTeam
import MuxgateTelemetry
package import MuxgateWire
import Synchronization

/// A process spoken to in newline-delimited JSON over its stdin/stdout, for tests.
///
/// Stdout lines are collected by a reader thread; `next(timeout:)` waits for one without sleeping.
/// Stderr is kept whole for assertions and failure messages.
package final class LineProcess: Sendable {
    package let process: Process
    private let stdin: FileHandle
    private let lines: Locked<(buffered: [[UInt8]], waiter: CheckedContinuation<[UInt8]?, Never>?, closed: Bool)>
    private let stderrText = Locked<String>("")
    /// Waiters for text on stderr: the text, how many times it must have appeared, the waiter.
    private let stderrWaiters = Locked<[Int: (text: String, count: Int, waiter: CheckedContinuation<Bool, Never>)]>(
        [:]
    )
    private let done = Latch()
    /// Fired by Foundation when the process has been reaped.
    private let exited = Latch()

    /// Starts `executable` with `arguments`.
    package init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, cwd: String? = nil)
        throws
    {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let input = Pipe()
        let output = Pipe()
        let error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        stdin = input.fileHandleForWriting
        lines = Locked(([], nil, false))
        let exited = self.exited
        process.terminationHandler = { _ in exited.fire() }
        try process.run()
        let lines = self.lines
        let done = self.done
        let stdoutThread = Thread {
            var framer = LineFramer(maximumLineBytes: 1 << 30)
            let handle = output.fileHandleForReading
            let deliver: (LineFramer.Event) -> Void = { event in
                guard case .line(let line) = event else { return }
                let waiter = lines.withLock { state -> CheckedContinuation<[UInt8]?, Never>? in
                    if let waiter = state.waiter {
                        state.waiter = nil
                        return waiter
                    }
                    state.buffered.append(line)
                    return nil
                }
                waiter?.resume(returning: line)
            }
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                data.withUnsafeBytes { framer.push($0, deliver) }
            }
            framer.finish(deliver)
            let waiter = lines.withLock { state -> CheckedContinuation<[UInt8]?, Never>? in
                state.closed = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
            done.fire()
        }
        stdoutThread.start()
        let stderrText = self.stderrText
        let stderrWaiters = self.stderrWaiters
        let stderrThread = Thread {
            let handle = error.fileHandleForReading
            while true {
                let data = handle.availableData
                let text = stderrText.withLock { text in
                    text += String(decoding: data, as: UTF8.self)
                    return text
                }
                let ended = data.isEmpty
                let ready = stderrWaiters.withLock { waiters in
                    let ready = waiters.filter {
                        ended || Self.occurrences(of: $0.value.text, in: text) >= $0.value.count
                    }
                    for key in ready.keys { waiters[key] = nil }
                    return ready.values
                }
                for waiter in ready {
                    waiter.waiter.resume(returning: Self.occurrences(of: waiter.text, in: text) >= waiter.count)
                }
                if ended { break }
            }
        }
        stderrThread.start()
    }

    /// Waits until `text` has appeared `count` times on stderr (a log line as the signal that
    /// something happened); false if stderr ended or `timeout` passed first.
    package func waitForStderr(_ text: String, count: Int = 1, timeout: Duration = .seconds(20)) async -> Bool {
        let token = Int.random(in: 0..<Int.max)
        return
            (try? await withTimeout(timeout) { [stderrWaiters, stderrText] in
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                        // Checked and registered under the lock the reader and onCancel take: either
                        // they find the waiter, or the waiter sees the text or the cancellation.
                        let now = stderrWaiters.withLock { waiters -> Bool? in
                            if stderrText.withLock({ Self.occurrences(of: text, in: $0) >= count }) { return true }
                            guard !Task.isCancelled else { return false }
                            waiters[token] = (text, count, continuation)
                            return nil
                        }
                        if let now { continuation.resume(returning: now) }
                    }
                } onCancel: {
                    stderrWaiters.withLock { $0.removeValue(forKey: token) }?.waiter.resume(returning: false)
                }
            }) ?? false
    }

    static func occurrences(of needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    /// Whether the process's stdout has ended.
    package var outputClosed: Bool { lines.withLock { $0.closed } }

    /// Everything the process wrote to stderr so far.
    package var stderr: String { stderrText.withLock { $0 } }

    package func send(_ line: String) {
        send(Array(line.utf8))
    }

    package func send(_ bytes: [UInt8]) {
        try? stdin.write(contentsOf: Data(bytes + [0x0A]))
    }

    /// Closes the process's stdin (an IDE going away).
    package func closeInput() {
        try? stdin.close()
    }

    /// The next stdout line, or nil at end of output or after `timeout`.
    package func next(timeout: Duration = .seconds(20)) async -> [UInt8]? {
        try? await withTimeout(timeout) { [lines] in
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<[UInt8]?, Never>) in
                    let immediate = lines.withLock { state -> [UInt8]?? in
                        if !state.buffered.isEmpty { return .some(state.buffered.removeFirst()) }
                        if state.closed || Task.isCancelled { return .some(nil) }
                        state.waiter = continuation
                        return nil
                    }
                    if let immediate { continuation.resume(returning: immediate) }
                }
            } onCancel: {
                let waiter = lines.withLock { state in
                    defer { state.waiter = nil }
                    return state.waiter
                }
                waiter?.resume(returning: nil)
            }
        } ?? nil
    }

    /// The next stdout line parsed as JSON-RPC (nil on end or timeout).
    package func nextMessage(timeout: Duration = .seconds(20)) async -> JSONRPCMessage? {
        guard let line = await next(timeout: timeout) else { return nil }
        return try? JSONRPCMessage.parse(line)
    }

    /// Sends a request and waits for the response with the same id, collecting what came before.
    ///
    /// - Parameter timeout: Longer by default than the tests' start-up budget
    ///   (`TestPaths.loadedStartup`): a list or call may wait that long for children to start.
    package func request(
        id: Int,
        method: String,
        params: String? = nil,
        timeout: Duration = .seconds(150)
    ) async -> (response: JSONRPCMessage?, others: [JSONRPCMessage]) {
        let paramsText = params.map { ",\"params\":\($0)" } ?? ""
        send("{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\"\(method)\"\(paramsText)}")
        var others: [JSONRPCMessage] = []
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let message = await nextMessage(timeout: deadline - .now) else { break }
            if message.kind == .response && message.id?.int == id { return (message, others) }
            others.append(message)
        }
        return (nil, others)
    }

    /// Waits for the process to exit (after its stdout closes), at most `timeout`; true if it did.
    package func waitForExit(timeout: Duration = .seconds(15)) async -> Bool {
        _ = try? await withTimeout(timeout) { [done, exited] in
            await done.wait()
            await exited.wait()
        }
        return !process.isRunning
    }

    /// Kills the process if it still runs.
    package func terminate() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
