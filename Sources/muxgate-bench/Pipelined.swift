import Foundation
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
import MuxgateWire

#if canImport(Glibc)
    import Glibc
#endif

/// A lean load generator: a server spoken to over raw pipes by plain threads with blocking I/O.
///
/// `LineProcess` (the tests' client) hands every line to a task and waits with a timeout task
/// group; at tens of thousands of calls per second that client burns more CPU than the server it
/// measures, and on a small machine it takes that CPU from the child and from muxgate. This one
/// costs a `write` per call and a `read` per batch of answers, like a real IDE's stdio transport.
final class RawPeer: @unchecked Sendable {
    let process: Process
    private let inputHandle: FileHandle
    private let input: Int32
    private let output: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var pending: [UInt8] = []

    /// - Parameters:
    ///   - environment: Added to this process's (muxgate logs errors only unless it says otherwise).
    ///   - stderr: A file for the process's stderr (default: discarded).
    init(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        stderr: String? = nil
    ) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["MUXGATE_LOG_LEVEL": "error"]) { $1 }
            .merging(environment) { $1 }
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        if let stderr {
            FileManager.default.createFile(atPath: stderr, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: stderr)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        inputHandle = stdin.fileHandleForWriting
        input = inputHandle.fileDescriptor
        output = stdout.fileHandleForReading.fileDescriptor
        send(
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#
        )
        guard nextLine() != nil else { throw BenchError("\(executable) did not answer initialize") }
        send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        send(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        guard nextLine() != nil else { throw BenchError("\(executable) did not answer tools/list") }
    }

    func send(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let count = write(input, raw.baseAddress! + offset, raw.count - offset)
                guard count > 0 else {
                    if count < 0 && errno == EINTR { continue }
                    return
                }
                offset += count
            }
        }
    }

    /// The next line (blocking); nil at end of output.
    func nextLine() -> [UInt8]? {
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                return line
            }
            let count = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            pending.append(contentsOf: buffer[..<count])
        }
    }

    /// Counts the newlines in what arrives until `lines` have (blocking); false at end of output.
    func awaitLines(_ lines: Int, each: (Int) -> Void) -> Bool {
        var seen = 0
        while seen < lines {
            let count = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            for byte in buffer[..<count] where byte == 0x0A {
                seen += 1
                each(seen)
            }
        }
        return true
    }

    func close() {
        try? inputHandle.close()
        process.waitUntilExit()
    }

    /// The pids of this process's children (muxgate's child servers), whichever thread started them.
    var childPIDs: [Int32] {
        let tasks = "/proc/\(process.processIdentifier)/task"
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? []
        return threads.flatMap { thread in
            let text = (try? String(contentsOfFile: "\(tasks)/\(thread)/children", encoding: .utf8)) ?? ""
            return text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
    }
}

/// CPU µs (user + system) each thread of `pid` has used, by thread name (threads of one name summed).
func threadCPUMicroseconds(_ pid: Int32) -> [String: Double] {
    let tasks = "/proc/\(pid)/task"
    var totals: [String: Double] = [:]
    for thread in (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? [] {
        guard let stat = try? String(contentsOfFile: "\(tasks)/\(thread)/stat", encoding: .utf8),
            let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
        else { continue }
        let name = String(stat[stat.index(after: open)..<close])
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        totals[name, default: 0] += ticks / Double(sysconf(Int32(_SC_CLK_TCK))) * 1e6
    }
    return totals
}

/// What a pipelined run measured.
struct PipelinedRun {
    /// Calls per second.
    let rate: Double
    /// CPU µs per call of the load generator (this process).
    let clientCPU: Double
}

/// Sequential calls, so both sides are warm before a run.
func warmUp(_ peer: RawPeer, tool: String, count: Int = 500) throws {
    for index in 0..<count {
        peer.send(callLine(1_000_000 + index, tool: tool))
        guard peer.nextLine() != nil else { throw BenchError("warm-up stalled") }
    }
}

func callLine(_ id: Int, tool: String) -> String {
    #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"\#(tool)","arguments":{"text":"hello"}}}"#
}

/// CPU time (user + system) of this process so far, in µs.
func ownCPUMicroseconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func micros(_ time: timeval) -> Double { Double(time.tv_sec) * 1e6 + Double(time.tv_usec) }
    return micros(usage.ru_utime) + micros(usage.ru_stime)
}

/// Sequential call latencies in µs (each sent once the previous answer is back), sorted.
func sequential(_ peer: RawPeer, tool: String, count: Int) throws -> [Double] {
    var samples: [Double] = []
    samples.reserveCapacity(count)
    for index in 0..<count {
        let started = ContinuousClock.now
        peer.send(callLine(3_000_000 + index, tool: tool))
        guard let answer = peer.nextLine() else { throw BenchError("no answer for \(tool)") }
        samples.append((ContinuousClock.now - started).seconds * 1e6)
        guard !String(decoding: answer.prefix(200), as: UTF8.self).contains(#""error""#) else {
            throw BenchError("\(tool) failed: \(String(decoding: answer.prefix(300), as: UTF8.self))")
        }
    }
    return samples.sorted()
}

/// Calls per second with `window` calls in flight: a writer thread keeps the window full, the
/// calling thread reads the answers.
func pipelined(_ peer: RawPeer, tool: String, count: Int, window: Int) throws -> PipelinedRun {
    let room = DispatchSemaphore(value: window)
    let cpuBefore = ownCPUMicroseconds()
    let started = ContinuousClock.now
    let writer = Thread {
        for index in 0..<count {
            room.wait()
            peer.send(callLine(2_000_000 + index, tool: tool))
        }
    }
    writer.start()
    guard peer.awaitLines(count, each: { _ in room.signal() }) else { throw BenchError("pipelined run stalled") }
    let elapsed = ContinuousClock.now - started
    return PipelinedRun(
        rate: Double(count) / elapsed.seconds,
        clientCPU: (ownCPUMicroseconds() - cpuBefore) / Double(count)
    )
}

/// The least any stdio proxy does: a process between the client and the child that copies bytes
/// both ways, one thread each way, without looking at them (`muxgate-bench relay COMMAND ARGS…`).
///
/// Through it, the pipelined runs measure what one more process in the path costs on this
/// machine before any parsing, routing or policy; muxgate's gap to direct is read against it.
func relay(_ command: [String]) throws -> Never {
    let child = Process()
    child.executableURL = URL(fileURLWithPath: command[0])
    child.arguments = Array(command.dropFirst())
    let stdin = Pipe()
    let stdout = Pipe()
    child.standardInput = stdin
    child.standardOutput = stdout
    try child.run()
    @Sendable func copy(from source: Int32, to target: Int32) {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return }
            guard writeAll(Array(buffer[..<count]), to: target).error == nil else { return }
        }
    }
    let toChild = stdin.fileHandleForWriting
    let upstream = Thread {
        copy(from: 0, to: toChild.fileDescriptor)
        try? toChild.close()
    }
    upstream.start()
    copy(from: stdout.fileHandleForReading.fileDescriptor, to: 1)
    child.waitUntilExit()
    exit(0)
}
