import Foundation
import MuxgateAudit
import MuxgateConfig
import MuxgatePolicy
import MuxgateWire

/// A throwaway PostgreSQL server for one test: `initdb` in a temporary directory, password
/// (SCRAM) authentication, a Unix socket only (no TCP port), stopped by `stop()`.
///
/// Debian's `postgresql` package provides the binaries (`/usr/lib/postgresql/N/bin`); no system
/// service is used. As root, the server runs as the `postgres` user (initdb refuses root).
package final class PostgresServer: Sendable {
    /// The directory that holds the PostgreSQL binaries, or nil when none is installed.
    package static let binDirectory: String? = {
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for version in versions where FileManager.default.isExecutableFile(atPath: "\(base)/\(version)/bin/initdb") {
            return "\(base)/\(version)/bin"
        }
        return nil
    }()

    /// Where `postgres-mcp` is installed by `scripts/setup-venv.sh` (absent without Python ≥ 3.12).
    package static var postgresMCP: String { TestPaths.root + "/.venv-postgres/bin/postgres-mcp" }

    /// Whether the PostgreSQL tests can run here: the server's binaries and postgres-mcp.
    /// CI installs both (`.ci/run`); elsewhere the tests are skipped when either is missing.
    package static var available: Bool {
        binDirectory != nil && (ProcessInfo.processInfo.environment["CI"] != nil || hasPython312)
    }

    private static var hasPython312: Bool {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "/root"
        let pyenv = (try? FileManager.default.contentsOfDirectory(atPath: home + "/.pyenv/versions")) ?? []
        return pyenv.contains { $0.hasPrefix("3.12") || $0.hasPrefix("3.13") || $0.hasPrefix("3.14") }
            || ["/usr/bin/python3.12", "/usr/bin/python3.13"].contains(where: FileManager.default.isExecutableFile)
    }

    package let directory: String
    package let socketDirectory: String
    package let port: Int
    package let user = "muxgate"
    package let password: String
    package let database = "app"
    private let runAs: [String]
    private let bin: String

    /// `postgresql://muxgate:PASSWORD@/app?host=SOCKETDIR&port=PORT`
    package var url: String { "postgresql://\(user):\(password)@/\(database)?host=\(socketDirectory)&port=\(port)" }

    private init(directory: String, password: String, port: Int, runAs: [String], bin: String) {
        self.directory = directory
        self.socketDirectory = directory + "/socket"
        self.password = password
        self.port = port
        self.runAs = runAs
        self.bin = bin
    }

    /// Creates the cluster and its `app` database, starts the server and waits until it accepts.
    package static func start() async throws -> PostgresServer {
        guard let bin = binDirectory else {
            throw TestEnvironment.SetupError(
                description: "PostgreSQL is not installed (apt-get install postgresql; .ci/run does)"
            )
        }
        let directory = try TestPaths.temporaryDirectory("muxgate-pg")
        let password = "pw-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let runAs = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
        let server = PostgresServer(
            directory: directory,
            password: password,
            port: Int.random(in: 40000...59999),
            runAs: runAs,
            bin: bin
        )
        try FileManager.default.createDirectory(atPath: server.socketDirectory, withIntermediateDirectories: true)
        let passwordFile = try TestPaths.write(password + "\n", to: directory, name: "pwfile")
        if getuid() == 0 {
            try TestEnvironment.shared.runBlocking("/bin/chown", ["-R", "postgres", directory])
        }
        try await server.run(
            "initdb",
            [
                "-D", directory + "/data", "-U", server.user, "--pwfile", passwordFile, "-A", "scram-sha-256",
                "-E", "UTF8", "--no-sync", "--no-instructions",
            ]
        )
        // The server inherits pg_ctl's output: it goes to a file, or reading it would never end.
        try await server.run(
            detached: true,
            "pg_ctl",
            [
                "-D", directory + "/data", "-l", directory + "/server.log", "-w", "-t", "60", "-o",
                "-c listen_addresses='' -k \(server.socketDirectory) -p \(server.port) -c fsync=off",
                "start",
            ]
        )
        _ = try await server.sql("CREATE DATABASE app", database: "postgres")
        return server
    }

    /// Runs SQL with `psql` as the owner and returns its unaligned, tuples-only output.
    @discardableResult
    package func sql(_ statements: String, database: String? = nil) async throws -> String {
        try await TestEnvironment.shared.run(
            "/usr/bin/env",
            [
                "PGPASSWORD=\(password)", bin + "/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h",
                socketDirectory, "-p", "\(port)", "-U", user, "-d", database ?? self.database, "-c", statements,
            ]
        ).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `body` with a fresh server, stopped afterwards whether `body` throws or not.
    package static func with<T>(_ body: (PostgresServer) async throws -> T) async throws -> T {
        let server = try await start()
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Stops the server at once and removes its directory.
    package func stop() async {
        _ = try? await run("pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func run(detached: Bool = false, _ tool: String, _ arguments: [String]) async throws {
        var command = runAs + [bin + "/" + tool] + arguments
        if detached {
            // Nor may it keep any other descriptor: Foundation's Process watches one to see the exit.
            let closeInherited =
                #"for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && [ -e /proc/$$/fd/$fd ] && eval "exec $fd>&-"; done; "#
            command =
                ["/bin/bash", "-c", closeInherited + "exec \"$@\" >>'\(directory)/pg_ctl.log' 2>&1 </dev/null", "sh"]
                + command
        }
        try await TestEnvironment.shared.run(command[0], Array(command.dropFirst()), cwd: directory)
    }
}
