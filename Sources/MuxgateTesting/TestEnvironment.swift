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

/// Prepares what integration tests need, once per test process: the Python venvs with the
/// reference servers and the official MCP client.
package actor TestEnvironment {
    package static let shared = TestEnvironment()

    private var preparing: Task<Void, any Error>?

    package struct SetupError: Error, CustomStringConvertible {
        package let description: String
    }

    /// Checks that the binaries under test are built, and points every muxgate the tests start at
    /// a temporary state directory (the default audit log lives there), never the user's.
    package func prepare() throws {
        if ProcessInfo.processInfo.environment["MUXGATE_TEST_STATE"] == nil {
            let state = try TestPaths.temporaryDirectory("muxgate-state")
            setenv("XDG_STATE_HOME", state, 1)
            setenv("MUXGATE_TEST_STATE", state, 1)
        }
        for binary in [TestPaths.muxgate, TestPaths.fixture] where !FileManager.default.isExecutableFile(atPath: binary)
        {
            throw SetupError(description: "\(binary) is missing: run `swift build` first (make test does)")
        }
    }

    /// Also runs `scripts/setup-venv.sh` (idempotent, fast when done), once per test process; the
    /// tests that ask meanwhile wait for that one run.
    package func preparePython() async throws {
        try prepare()
        if preparing == nil {
            preparing = Task {
                do {
                    try await run("/bin/bash", [TestPaths.root + "/scripts/setup-venv.sh"], cwd: TestPaths.root)
                } catch {
                    throw SetupError(description: "setup-venv.sh failed: \(error)")
                }
            }
        }
        try await preparing!.value
    }

    /// A temporary git repository with one commit, for mcp-server-git.
    package nonisolated func makeGitRepository() throws -> String {
        let directory = try TestPaths.temporaryDirectory("muxgate-repo")
        try runBlocking("/usr/bin/git", ["init", "-q", "-b", "main", directory])
        try TestPaths.write("hello\n", to: directory, name: "README.md")
        let git = ["-C", directory, "-c", "user.name=Test", "-c", "user.email=test@example.com"]
        try runBlocking("/usr/bin/git", git + ["add", "README.md"])
        try runBlocking("/usr/bin/git", git + ["commit", "-q", "-m", "initial commit"])
        return directory
    }

    /// Runs a command to completion and returns its stdout, on a thread of its own: a test that
    /// waits for a client run of many seconds must not hold one of the few threads every other
    /// test's `await` needs (two, on a 2-core machine).
    @discardableResult
    package nonisolated func run(_ executable: String, _ arguments: [String], input: String? = nil, cwd: String? = nil)
        async throws -> String
    {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<String, any Error>) in
            Thread {
                continuation.resume(
                    with: Result { try self.runBlocking(executable, arguments, input: input, cwd: cwd) }
                )
            }.start()
        }
    }

    /// `run` on the calling thread: only for commands that take milliseconds (git in a fixture).
    @discardableResult
    package nonisolated func runBlocking(
        _ executable: String,
        _ arguments: [String],
        input: String? = nil,
        cwd: String? = nil
    ) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let output = Pipe()
        let errors = Pipe()
        let stdin = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let errorData = Locked(Data())
        let reader = Thread { errorData.withLock { $0 = errors.fileHandleForReading.readDataToEndOfFile() } }
        reader.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SetupError(
                description: "\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): "
                    + String(decoding: errorData.withLock { $0 }, as: UTF8.self).suffix(4000)
            )
        }
        return String(decoding: data, as: UTF8.self)
    }
}
