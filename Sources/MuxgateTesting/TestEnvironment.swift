import Foundation
import MuxgateCore

/// Prepares what integration tests need, once per test process: the Python venvs with the
/// reference servers and the official MCP client.
package actor TestEnvironment {
    package static let shared = TestEnvironment()

    private var prepared: Result<Void, any Error>?

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

    /// Also runs `scripts/setup-venv.sh` (idempotent, fast when done), once per test process.
    package func preparePython() throws {
        try prepare()
        if let prepared { return try prepared.get() }
        let result = Result<Void, any Error> {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [TestPaths.root + "/scripts/setup-venv.sh"]
            process.currentDirectoryURL = URL(fileURLWithPath: TestPaths.root)
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.standardError
            try process.run()
            let text = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw SetupError(
                    description: "setup-venv.sh failed: \(String(decoding: text, as: UTF8.self).suffix(2000))"
                )
            }
        }
        prepared = result
        try result.get()
    }

    /// A temporary git repository with one commit, for mcp-server-git.
    package nonisolated func makeGitRepository() throws -> String {
        let directory = try TestPaths.temporaryDirectory("muxgate-repo")
        try run("/usr/bin/git", ["init", "-q", "-b", "main", directory])
        try TestPaths.write("hello\n", to: directory, name: "README.md")
        let git = ["-C", directory, "-c", "user.name=Test", "-c", "user.email=test@example.com"]
        try run("/usr/bin/git", git + ["add", "README.md"])
        try run("/usr/bin/git", git + ["commit", "-q", "-m", "initial commit"])
        return directory
    }

    /// Runs a command to completion and returns its stdout.
    @discardableResult
    package nonisolated func run(_ executable: String, _ arguments: [String], input: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
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
                    + String(decoding: errorData.withLock { $0 }, as: UTF8.self)
            )
        }
        return String(decoding: data, as: UTF8.self)
    }
}
