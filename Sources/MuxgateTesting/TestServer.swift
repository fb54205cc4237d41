import Foundation
import MuxgateAudit
import MuxgateConfig
import MuxgatePolicy
import MuxgateWire

/// A server process for tests that listens on a loopback port and says which on stdout
/// (`PORT <n>`, as `Tests/e2e/http_server.py` does), or on a port picked for it beforehand.
package final class TestServer: Sendable {
    package let process: LineProcess
    package let port: Int

    /// Starts `executable` and waits for its `PORT <n>` line.
    ///
    /// - Throws: `TestEnvironment.SetupError` when it exits or says nothing within `timeout`.
    package init(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(60)) async throws {
        process = try LineProcess(executable, arguments)
        while true {
            guard let line = await process.next(timeout: timeout) else {
                process.terminate()
                throw TestEnvironment.SetupError(description: "\(executable) did not say its port: \(process.stderr)")
            }
            let text = String(decoding: line, as: UTF8.self)
            if let number = text.hasPrefix("PORT ") ? text.dropFirst(5) : Self.muxgatePort(text), let port = Int(number)
            {
                self.port = port
                return
            }
        }
    }

    /// Starts a server that takes its port as an argument (`{port}` in `arguments`), on a free
    /// port, and waits until it accepts connections.
    package init(_ executable: String, portArgument arguments: [String], timeout: Duration = .seconds(60)) async throws
    {
        let port = try Self.freePort()
        process = try LineProcess(executable, arguments.map { $0.replacingOccurrences(of: "{port}", with: "\(port)") })
        self.port = port
        let deadline = ContinuousClock.now + timeout
        while !Self.accepts(port) {
            guard ContinuousClock.now < deadline, process.process.isRunning else {
                process.terminate()
                throw TestEnvironment.SetupError(
                    description: "\(executable) did not listen on \(port): \(process.stderr)"
                )
            }
            try await Task.sleep(for: .milliseconds(100))  // nothing signals "listening" but the port
        }
    }

    /// The port in muxgate team mode's line (`muxgate: listening on port N`).
    static func muxgatePort(_ line: String) -> Substring? {
        let prefix = "muxgate: listening on port "
        return line.hasPrefix(prefix) ? line.dropFirst(prefix.count) : nil
    }

    /// `http://127.0.0.1:PORT` + `path`.
    package func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    package func stop() {
        process.terminate()
    }

    deinit { process.terminate() }

    /// A port nobody listens on now (the kernel's pick, released at once).
    package static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
            }
        }
        guard bound else { throw TestEnvironment.SetupError(description: "cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    package static func accepts(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
