import Foundation
package import MuxgateChildren
import MuxgateCommands
import MuxgateConfig
import MuxgateRemote

/// The assembly: which transport reaches each kind of configured server. Routing and the children
/// know only the transport protocol; the remote and command transports are chosen here.
extension ChildTransports {
    /// Processes, HTTP sessions and muxgate's own command tools, as the configuration says: the
    /// one place that knows every kind of transport.
    package static let standard = ChildTransports(transport(for:callTimeout:))

    /// The transport a server's configuration asks for.
    private static func transport(for config: ServerConfig, callTimeout: Duration) -> any ChildTransport {
        switch config.transport {
        case .stdio(let command, let args, let env, let cwd):
            StdioTransport(command: command, args: args, env: env, cwd: cwd)
        case .commands(let tools):
            CommandTransport(tools: tools, callTimeout: callTimeout)
        case .http(let remote):
            HTTPTransport(
                remote: remote,
                modern: config.protocolEra == .modern,
                requestTimeout: callTimeout,
                credentials: remote.auth.map { auth -> any HTTPCredentials in
                    switch auth {
                    case .oauth(let client):
                        let environment = ProcessInfo.processInfo.environment
                        return OAuthCredentials(
                            flow: OAuthFlow(
                                server: config.name,
                                remote: remote,
                                config: client,
                                environment: environment
                            ),
                            store: OAuthTokenStore(environment: environment)
                        )
                    }
                }
            )
        }
    }
}
