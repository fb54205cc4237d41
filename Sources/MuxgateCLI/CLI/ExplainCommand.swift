package import ArgumentParser
import Foundation
import MuxgateAudit
import MuxgateChildren
import MuxgateCommands
import MuxgateConfig
import MuxgateDiscovery
import MuxgatePolicy
import MuxgateRemote
import MuxgateRouting
import MuxgateTeam
import MuxgateTelemetry
import MuxgateWire

/// `muxgate explain`: what the policy would decide for a call, without making it.
package struct ExplainCommand: AsyncParsableCommand {
    package init() {}

    package static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Print the policy's decision for a tool call and what made it, without calling anything.",
        discussion: """
            Starts the servers to learn the tool's definition (its scope may come from its annotations), \
            then prints the decision (allow, ask or deny), the rule or profile entry that made it, and why, \
            and the limits (limits:) that count the call for the caller, with what its quotas have used. \
            Exit status: 0 allow, 1 ask or deny, 2 invalid config or unknown tool.
            """
    )

    @OptionGroup package var options: ConfigOptions

    @Argument(help: "The tool's exposed name, as the IDE sees it.")
    package var tool: String

    @Option(help: "The call's arguments, as a JSON object.")
    package var args: String?

    @Option(name: .customLong("as"), help: "Decide as this team-mode client (clients.NAME), under its profile.")
    package var client: String?

    package func validate() throws {
        if let args, (try? JSONSlice.parse(args))?.kind != .object {
            throw ValidationError("--args must be a JSON object, e.g. '{\"query\": \"SELECT 1\"}'")
        }
    }

    package func run() async throws {
        let logger = options.bootstrapLogging(default: "critical")
        let config = try options.loadConfig()
        let gateway = Gateway(config: config, sink: CollectingSink(), logger: logger, transports: .standard)
        let catalogue = try await gateway.withChildren { await $0.settledCatalogue() }
        guard let entry = catalogue[tool] else {
            let known = catalogue.entries.map(\.exposedName).sorted().joined(separator: ", ")
            Console.error("muxgate explain: no tool '\(tool)' (tools: \(known))\n")
            throw ExitCode(2)
        }
        let arguments = try args.map { try JSONSlice.parse($0) }
        var policy = config.policy
        if let client {
            guard let found = config.clients.first(where: { $0.name == client }) else {
                let known = config.clients.map(\.name).joined(separator: ", ")
                Console.error("muxgate explain: no client '\(client)' in \(config.file) (clients: \(known))\n")
                throw ExitCode(2)
            }
            policy = found.profile.flatMap { config.clientPolicies[$0] } ?? config.policy
            print("client    \(client)")
        }
        let server = config.servers.first { $0.name == entry.server }
        let decision = policy.decide(
            tool: entry.exposedName,
            scope: entry.scope,
            arguments: arguments,
            workingDirectory: { server?.workingDirectory(forTool: entry.originalName) }
        )
        print("tool      \(entry.exposedName) (server \(entry.server), child's name \(entry.originalName))")
        print("scope     \(entry.scope.rawValue) (from \(entry.scopeSource.rawValue))")
        print("profile   \(policy.profileName)\(policy.isConfigured ? "" : " (no policy: section)")")
        print(
            "decision  \(decision.effect.rawValue)\(decision.effect == .ask ? " (the user is asked through the IDE)" : "")"
        )
        print("by        \(decision.rule)")
        print("because   \(decision.reason)")
        printLimits(entry, profile: policy.profileName, limiter: gateway.limiter, config: config)
        if decision.effect != .allow { throw ExitCode(1) }
    }

    /// The limits that count a call to `entry` by the caller (`--as`, else the stdio front's user),
    /// each with what it allows and what its quota has used in this window.
    private func printLimits(_ entry: NamedCatalogue.Entry, profile: String, limiter: Limiter, config: MuxgateConfig) {
        guard !config.limits.isEmpty else { return }
        let caller = client ?? MuxgateConfig.localCaller
        let applying = config.limits.filter {
            $0.applies(tool: entry.exposedName, server: entry.server, caller: caller, profile: profile)
        }
        guard !applying.isEmpty else { return print("limits    none apply to \(caller)") }
        for rule in applying {
            var line = "limit     \(rule.name): \(rule.allowance)"
            if let quota = rule.quota {
                let used = limiter.usage(of: rule, caller: caller).quota
                line += "; \(used) of \(quota.count) used this \(quota.period.rawValue) by \(caller)"
                if rule.costs.contains(where: { $0.tool.matches(entry.exposedName) }) {
                    line += ", this call costs \(rule.cost(of: entry.exposedName))"
                }
            }
            print(line)
        }
    }
}
