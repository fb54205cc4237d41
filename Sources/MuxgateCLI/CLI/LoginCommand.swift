package import ArgumentParser
package import Foundation
import MuxgateAudit
import MuxgateChildren
import MuxgateCommands
package import MuxgateConfig
import MuxgateDiscovery
import MuxgatePolicy
import MuxgateRemote
import MuxgateRouting
import MuxgateTeam
import MuxgateTelemetry
import MuxgateWire

/// `muxgate login NAME`: OAuth for a remote server with `auth: oauth`, once; `serve` then uses
/// and renews the tokens.
package struct LoginCommand: AsyncParsableCommand {
    package init() {}

    package static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in to a remote server that says auth: oauth (opens the browser, or prints the URL).",
        discussion: """
            Discovers the server's authorization server, registers muxgate there if it allows \
            (else set auth.client_id), and runs the authorization code flow with PKCE; the browser \
            comes back to a listener on 127.0.0.1. The tokens are stored under \
            $XDG_STATE_HOME/muxgate/oauth/NAME.json (mode 0600) and renewed by `serve`. \
            Exit status: 0 logged in, 1 the login failed, 2 invalid configuration or usage.
            """
    )

    @OptionGroup package var options: ConfigOptions

    @Argument(help: "The server's name in the configuration.")
    package var server: String

    @Option(
        help:
            "A command that opens a URL (it gets the URL as its last argument); default: MUXGATE_BROWSER, else xdg-open or open when there is a display."
    )
    package var browser: String?

    @Flag(help: "Only print the URL; open nothing.")
    package var noBrowser = false

    @Option(help: "How long to wait for the browser to come back, in seconds.")
    package var timeout: Int = 300

    package func run() async throws {
        _ = options.bootstrapLogging(default: "warning")
        let config = try options.loadConfig()
        let (remote, client) = try Self.oauthServer(server, in: config)
        let environment = ProcessInfo.processInfo.environment
        let store = OAuthTokenStore(environment: environment)
        let flow = OAuthFlow(server: server, remote: remote, config: client, environment: environment)
        let opener = noBrowser ? nil : (browser ?? environment["MUXGATE_BROWSER"] ?? Self.defaultBrowser(environment))
        let launched = Locked<Process?>(nil)
        do {
            let grant = try await flow.login(
                previous: try? store.load(server),
                openBrowser: { url in
                    guard let opener else { return }
                    launched.withLock { $0 = Self.open(url, with: opener) }
                },
                say: { print($0) },
                timeout: .seconds(timeout)
            )
            try store.save(grant, for: server)
            let until = grant.expiresAt.map { " (access token valid until \(Date(timeIntervalSince1970: $0)))" } ?? ""
            print("logged in to '\(server)' at \(grant.issuer)\(grant.scope.map { ", scope \($0)" } ?? "")\(until)")
            print("stored in \(store.path(for: server)); `muxgate serve` renews it")
        } catch {
            Console.error("muxgate login: \(error)\n")
            launched.withLock { $0 }?.waitUntilExit()
            throw ExitCode(1)
        }
        launched.withLock { $0 }?.waitUntilExit()
    }

    /// The named server's remote configuration, if it logs in with OAuth; else a usage error.
    package static func oauthServer(_ name: String, in config: MuxgateConfig) throws -> (
        RemoteServerConfig, OAuthClientConfig
    ) {
        guard let server = config.servers.first(where: { $0.name == name }) else {
            throw ValidationError(
                "no server '\(name)' in \(config.file) (servers: \(config.servers.map(\.name).joined(separator: ", ")))"
            )
        }
        guard case .http(let remote) = server.transport, case .oauth(let client) = remote.auth else {
            throw ValidationError("server '\(name)' does not say auth: oauth (only remote servers with it log in)")
        }
        return (remote, client)
    }

    package static func defaultBrowser(_ environment: [String: String]) -> String? {
        #if os(macOS)
            return "open"
        #else
            guard environment["DISPLAY"] != nil || environment["WAYLAND_DISPLAY"] != nil else { return nil }
            return "xdg-open"
        #endif
    }

    /// Runs `command URL` (through the shell's word splitting of `command`, not of the URL).
    package static func open(_ url: String, with command: String) -> Process? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command + " \"$1\"", "muxgate-browser", url]
        process.standardOutput = FileHandle.standardError
        do {
            try process.run()
            return process
        } catch {
            Console.error("muxgate login: cannot run \(command): \(error)\n")
            return nil
        }
    }
}

/// `muxgate logout NAME`: forgets the stored login.
package struct LogoutCommand: AsyncParsableCommand {
    package init() {}

    package static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Forget the OAuth login of a remote server."
    )

    @OptionGroup package var options: ConfigOptions

    @Argument(help: "The server's name in the configuration.")
    package var server: String

    package func run() async throws {
        let config = try options.loadConfig()
        _ = try LoginCommand.oauthServer(server, in: config)
        let store = OAuthTokenStore()
        if store.remove(server) {
            print("logged out of '\(server)' (removed \(store.path(for: server)))")
        } else {
            print("no login stored for '\(server)'")
        }
    }
}
