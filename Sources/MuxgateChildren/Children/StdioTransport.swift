import Foundation
import Logging
import MuxgateAudit
import MuxgateConfig
import MuxgatePolicy
package import MuxgateWire
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A child that is a process spoken to over its stdin and stdout (one message a line), with its
/// stderr as diagnostics. It runs in its own process group, which is killed whole when it ends
/// (`uvx` → python, `sh -c "… &"`: no grandchild outlives its child).
package struct StdioTransport: ChildTransport {
    package let command: String
    package let args: [String]
    package let env: [String: String]
    package let cwd: String?

    package init(command: String, args: [String], env: [String: String], cwd: String?) {
        self.command = command
        self.args = args
        self.env = env
        self.cwd = cwd
    }

    /// How long the child has to exit after its stdin is closed, and again after SIGTERM.
    package static let shutdownGrace: Duration = .seconds(2)

    package var summary: String { ([command] + args).joined(separator: " ") }

    package func run(_ link: ChildLink, stopping: Latch) async -> ConnectionEnd {
        let stdin: (read: Int32, write: Int32)
        let stdout: (read: Int32, write: Int32)
        do throws(JSONRPCError) {
            stdin = try makePipe()
            do throws(JSONRPCError) {
                stdout = try makePipe()
            } catch {
                _ = close(stdin.read)
                _ = close(stdin.write)
                throw error
            }
        } catch {
            return ConnectionEnd("could not be started: \(error.message)")
        }
        let input = PipeWriter(descriptor: stdin.write) { [logger = link.logger] error in
            logger.warning("cannot write to its stdin: \(String(cString: strerror(error)))")
        }
        let processGroup = Locked<pid_t?>(nil)
        var platformOptions = PlatformOptions()
        platformOptions.processGroupID = 0
        let executable: Executable = command.contains("/") ? .path(FilePath(command)) : .name(command)
        let environment = Environment.inherit.updating(
            Dictionary(uniqueKeysWithValues: env.map { (Environment.Key(stringLiteral: $0.key), Optional($0.value)) })
        )
        link.attach(input)
        var outcome: String
        do {
            let result = try await withThrowingTaskGroup(of: Void.self) { outer in
                outer.addTask { await Self.escalate(stopping, input: input, group: processGroup, logger: link.logger) }
                defer { outer.cancelAll() }
                return try await Subprocess.run(
                    executable,
                    arguments: Arguments(args),
                    environment: environment,
                    workingDirectory: cwd.map { FilePath($0) },
                    platformOptions: platformOptions,
                    input: .fileDescriptor(FileDescriptor(rawValue: stdin.read), closeAfterSpawningProcess: true),
                    output: .fileDescriptor(FileDescriptor(rawValue: stdout.write), closeAfterSpawningProcess: true),
                    error: .sequence
                ) { execution in
                    processGroup.withLock { $0 = execution.processIdentifier.value }
                    link.started(execution.processIdentifier.value)
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask { await Self.readStderr(execution.standardError, link) }
                        await Self.readStdout(stdout.read, link)
                        input.finish()
                    }
                }
            }
            outcome = Self.describe(result.terminationStatus)
        } catch {
            outcome = "could not be started: \(error) (is '\(command)' installed and on PATH?)"
        }
        input.finish()
        _ = close(stdout.read)
        // Grandchildren (uvx → python) may outlive the leader: end the whole group.
        if let group = processGroup.withLock({ $0 }) { kill(-group, SIGKILL) }
        return ConnectionEnd(outcome)
    }

    private static func describe(_ status: TerminationStatus) -> String {
        switch status {
        case .exited(let code): "exit status \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        }
    }

    /// Once stopping is requested: close stdin, then SIGTERM, then SIGKILL the process group.
    private static func escalate(_ stop: Latch, input: PipeWriter, group: Locked<pid_t?>, logger: Logger) async {
        await stop.wait()
        input.finish()
        for signal in [SIGTERM, SIGKILL] {
            do {
                try await Task.sleep(for: shutdownGrace)
            } catch {
                return
            }
            guard let pid = group.withLock({ $0 }) else { return }
            logger.warning(
                "did not exit in time; sending \(signal == SIGTERM ? "SIGTERM" : "SIGKILL") to its process group"
            )
            kill(-pid, signal)
        }
    }

    private static func readStderr(_ stream: SubprocessOutputSequence, _ link: ChildLink) async {
        var framer = LineFramer(maximumLineBytes: 64 << 10)
        let handle: (LineFramer.Event) -> Void = { event in
            switch event {
            case .line(let bytes): link.diagnostic(String(decoding: bytes, as: UTF8.self))
            case .oversized(let count): link.diagnostic("[\(count) bytes without a newline]")
            }
        }
        do {
            for try await chunk in stream {
                chunk.withUnsafeBytes { framer.push($0, handle) }
            }
        } catch {
            // The process is gone; what was read is logged.
        }
        framer.finish(handle)
    }

    private static func readStdout(_ descriptor: Int32, _ link: ChildLink) async {
        await readLines(
            from: descriptor,
            maximumLineBytes: link.maxMessageBytes,
            threadName: "muxgate.child",
            batch: link.batch
        ) { event in
            switch event {
            case .line(let bytes): link.receive(bytes)
            case .oversized(let count): link.oversized(count)
            }
        }
    }
}

extension PipeWriter: ChildOutbox {}
