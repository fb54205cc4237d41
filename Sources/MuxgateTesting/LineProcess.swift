package import Foundation
package import MuxgateCore
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
    private let done = Latch()

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
        let stderrThread = Thread {
            let handle = error.fileHandleForReading
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                stderrText.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
        }
        stderrThread.start()
    }

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
    package func request(
        id: Int,
        method: String,
        params: String? = nil,
        timeout: Duration = .seconds(30)
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
        let deadline = ContinuousClock.now + timeout
        _ = try? await withTimeout(timeout) { [done] in await done.wait() }
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))  // no signal for reaping in Foundation.Process
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
