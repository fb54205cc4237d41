import Foundation
import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
package import MuxgateWire
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// One run of a command tool: its process in a group of its own, its output kept up to a cap
/// (the rest counted and dropped), a timeout and a cancel that kill the whole group.
package struct CommandRun {
    package struct Outcome {
        package var exitStatus: Int32?
        package var signal: Int32?
        package var timedOut = false
        package var cancelled = false
        package var stdout: [UInt8] = []
        package var stderr: [UInt8] = []
        package var stdoutDropped = 0
        package var stderrDropped = 0
        package var lines = 0
        package var duration: Duration = .zero
        /// The program could not be started (it says why).
        package var failure: String?
    }

    package let argv: [String]
    package let environment: [String: String]
    package let cwd: String?
    package let timeout: Duration
    package let maxOutputBytes: Int

    /// How long the group has after SIGTERM before SIGKILL.
    package static let grace: Duration = .seconds(2)

    /// Runs the command to its end (or its timeout, or `cancel`); `progress` hears every second
    /// how long it has run and how many lines it printed.
    package func run(cancel: Latch, progress: (@Sendable (Duration, Int) -> Void)?) async -> Outcome {
        let started = ContinuousClock.now
        let result = Locked(Outcome())
        let group = Locked<pid_t?>(nil)
        let ended = Latch()
        var options = PlatformOptions()
        options.processGroupID = 0
        let program = argv[0]
        let executable: Executable = program.contains("/") ? .path(FilePath(program)) : .name(program)
        let cap = maxOutputBytes
        do {
            let status = try await Subprocess.run(
                executable,
                arguments: Arguments(Array(argv.dropFirst())),
                environment: .custom(
                    Dictionary(
                        uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), $0.value) }
                    )
                ),
                workingDirectory: cwd.map { FilePath($0) },
                platformOptions: options,
                input: .none,
                output: .sequence,
                error: .sequence
            ) { execution in
                let pid = execution.processIdentifier.value
                group.withLock { $0 = pid }
                await withTaskGroup(of: Void.self) { tasks in
                    tasks.addTask {
                        // A timeout or a cancel ends the whole group: SIGTERM, then SIGKILL.
                        let why = await Self.first(timeout: timeout, cancel: cancel, ended: ended)
                        guard why != .ended else { return }
                        result.withLock {
                            $0.timedOut = why == .timeout
                            $0.cancelled = why == .cancel
                        }
                        kill(-pid, SIGTERM)
                        if (try? await withTimeout(Self.grace) { await ended.wait() }) == nil { kill(-pid, SIGKILL) }
                    }
                    if let progress {
                        tasks.addTask {
                            while !ended.isFired {
                                _ = try? await withTimeout(.seconds(1)) { await ended.wait() }
                                if ended.isFired { return }
                                progress(ContinuousClock.now - started, result.withLock { $0.lines })
                            }
                        }
                    }
                    await withTaskGroup(of: Void.self) { readers in
                        readers.addTask {
                            do {
                                for try await chunk in execution.standardOutput {
                                    chunk.withUnsafeBytes { bytes in
                                        result.withLock {
                                            Self.keep(
                                                bytes,
                                                in: &$0.stdout,
                                                dropped: &$0.stdoutDropped,
                                                lines: &$0.lines,
                                                cap: cap
                                            )
                                        }
                                    }
                                }
                            } catch {}
                        }
                        readers.addTask {
                            do {
                                for try await chunk in execution.standardError {
                                    chunk.withUnsafeBytes { bytes in
                                        var ignored = 0
                                        result.withLock {
                                            Self.keep(
                                                bytes,
                                                in: &$0.stderr,
                                                dropped: &$0.stderrDropped,
                                                lines: &ignored,
                                                cap: cap
                                            )
                                        }
                                    }
                                }
                            } catch {}
                        }
                    }
                    ended.fire()
                    tasks.cancelAll()
                }
            }
            switch status.terminationStatus {
            case .exited(let code): result.withLock { $0.exitStatus = code }
            case .signaled(let signal): result.withLock { $0.signal = signal }
            }
        } catch {
            result.withLock { $0.failure = "could not be started: \(error) (is '\(program)' installed and on PATH?)" }
        }
        ended.fire()
        // Whatever the group left running (a grandchild in the background) goes with it.
        if let pid = group.withLock({ $0 }) { kill(-pid, SIGKILL) }
        var outcome = result.withLock { $0 }
        outcome.duration = ContinuousClock.now - started
        return outcome
    }

    package enum Ending { case ended, timeout, cancel }

    package static func first(timeout: Duration, cancel: Latch, ended: Latch) async -> Ending {
        await withTaskGroup(of: Ending.self) { group in
            group.addTask {
                await ended.wait()
                return .ended
            }
            group.addTask {
                await cancel.wait()
                return Task.isCancelled ? .ended : .cancel
            }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                    return .timeout
                } catch {
                    return .ended
                }
            }
            let first = await group.next() ?? .ended
            group.cancelAll()
            return first
        }
    }

    /// Keeps `bytes` up to `cap` in `buffer`, counting the rest as dropped, and the lines.
    package static func keep(
        _ bytes: UnsafeRawBufferPointer,
        in buffer: inout [UInt8],
        dropped: inout Int,
        lines: inout Int,
        cap: Int
    ) {
        for byte in bytes where byte == 0x0A { lines += 1 }
        let room = max(0, cap - buffer.count)
        if room > 0 { buffer.append(contentsOf: bytes.prefix(room)) }
        dropped += max(0, bytes.count - room)
    }
}
