import Foundation
import MuxgateAudit
import MuxgateConfig
import MuxgatePolicy
import MuxgateWire

/// Where the test suites find the project's binaries, venvs and scripts.
package enum TestPaths {
    /// The repository root, found from this file's location.
    package static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The debug build's products (`swift build` puts them here; tests depend on them being built).
    package static var binDirectory: String {
        ProcessInfo.processInfo.environment["MUXGATE_BIN_DIR"] ?? root + "/.build/debug"
    }

    package static var muxgate: String { binDirectory + "/muxgate" }
    package static var fixture: String { binDirectory + "/muxgate-fixture" }
    package static var python: String { root + "/.venv/bin/python" }
    package static var clientScript: String { root + "/Tests/e2e/mcp_client.py" }
    /// An agent framework as the client: LangChain's MCP adapter, in a venv of its own (it needs mcp 1.x).
    package static var agentPython: String { root + "/.venv-agent/bin/python" }
    package static var agentClientScript: String { root + "/Tests/e2e/agent_client.py" }

    /// The start-up budget of every test config with Python children: the whole suite starts
    /// dozens of Python processes at once on two cores, and a fresh venv compiles its bytecode on
    /// first use, so a child can take far longer than muxgate's default 10 s. Tests wait on the
    /// child's readiness (a signal); this only bounds how long a broken one may take to say so.
    package static let loadedStartup = "startup_timeout: 120s"

    /// A fresh temporary directory.
    package static func temporaryDirectory(_ prefix: String = "muxgate-test") throws -> String {
        let path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Writes `text` to `directory/name` and returns the path.
    @discardableResult
    package static func write(_ text: String, to directory: String, name: String) throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
