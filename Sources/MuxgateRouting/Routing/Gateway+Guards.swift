import Logging
package import MuxgateConfig
package import MuxgatePolicy
package import MuxgateWire

/// A tool call's result guard, carried from the gate to the answer (`screen`): the guards of the
/// call's configuration, the settings of its tool, and what the tool declares.
package struct ResultScreen: Sendable {
    package let guards: ResultGuard
    package let settings: GuardsConfig.Settings
    /// The exposed name, for the messages.
    package let tool: String
    /// The tool, for its `outputSchema` (read only when a finding is inside `structuredContent`).
    package let entry: NamedCatalogue.Entry
    /// The envelope's label when the tool is open-world and spotlighting is on.
    package let spotlight: String?

    /// Guards `result`; its edits go into `edits`.
    package func inspect(_ result: JSONSlice, into edits: inout JSONSplice) -> ResultGuard.Verdict {
        guards.inspect(
            result,
            settings: settings,
            outputSchema: entry.childDefinition["outputSchema"],
            spotlight: spotlight,
            into: &edits
        )
    }
}

/// The result guards' two places in the gate: the arguments of a call bound for an open-world
/// tool (part of `judge`: a secret there refuses the call, audited as the decision), and the
/// child's answer (`screen`, in `deliver`, before the IDE gets it).
extension Gateway {
    /// Whether `entry` reaches the outside world: the operator's `open_world` wins; else the
    /// child's `openWorldHint: true` (an annotation alone never makes a tool less guarded).
    package nonisolated static func isOpenWorld(_ entry: NamedCatalogue.Entry, _ settings: GuardsConfig.Settings)
        -> Bool
    {
        settings.openWorld ?? entry.openWorldHint
    }

    /// The screen of a call to `entry`, or nil when no guard can change its result.
    package nonisolated func resultScreen(for entry: NamedCatalogue.Entry, in setup: GatewaySetup) -> ResultScreen? {
        let settings = setup.guards.config.settings(server: entry.server, tool: entry.exposedName)
        let spotlight = settings.spotlight && Self.isOpenWorld(entry, settings)
        guard settings.secrets != .off || settings.hygiene || spotlight || settings.maxResult != nil else {
            return nil
        }
        return ResultScreen(
            guards: setup.guards,
            settings: settings,
            tool: entry.exposedName,
            entry: entry,
            spotlight: spotlight ? "\(entry.server)/\(entry.originalName)" : nil
        )
    }

    /// `judge`'s guard: a call bound for an open-world tool whose arguments carry a secret is
    /// denied (rule `guards.secrets.RULE`), so it is audited as the decision and never forwarded.
    nonisolated func screenArguments(_ call: inout GateCall) {
        let settings = call.setup.guards.config.settings(server: call.entry.server, tool: call.entry.exposedName)
        // Whether the tool reaches out first (a flag read once per definition): most do not, and
        // their arguments, however large, are not scanned.
        guard settings.secrets != .off, Self.isOpenWorld(call.entry, settings),
            let rule = call.setup.guards.screenArguments(call.arguments, settings: settings)
        else { return }
        call.decision = PolicyDecision(
            effect: .deny,
            rule: "guards.secrets.\(rule)",
            reason: "the arguments carry a \(rule) and \(call.entry.exposedName) reaches the outside world "
                + "(open_world): muxgate does not send secrets out"
        )
    }
}
