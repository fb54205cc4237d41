package import MuxgateConfig
import MuxgateWire

/// What one session's `tools/list` is: the per-client rule of `discovery.mode`.
///
/// | mode | client | listing |
/// |---|---|---|
/// | off | any | every tool the profile lists |
/// | search | any | the always-loaded tools, `search_tools`, `call_tool` |
/// | auto | in `defer_clients` (Claude Code: `claude-code`) | every tool; the always-loaded ones marked |
/// | auto | any other, more tools than the budget | as search |
/// | auto | any other, within the budget | every tool |
///
/// A client in `defer_clients` gets `_meta["anthropic/alwaysLoad"]: true` on every tool muxgate
/// wants loaded up front (the always-loaded tools, and in search the two meta-tools), in any mode:
/// such a client hides unmarked tools behind its own search, which would hide muxgate's too.
package struct DiscoveryListing: Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        /// Every tool the profile lists.
        case full
        /// The always-loaded tools and the two meta-tools.
        case search
    }

    package let kind: Kind
    /// Mark the always-loaded tools (and meta-tools) with `anthropic/alwaysLoad`.
    package let marksAlwaysLoad: Bool

    package init(kind: Kind, marksAlwaysLoad: Bool) {
        self.kind = kind
        self.marksAlwaysLoad = marksAlwaysLoad
    }

    /// The rule.
    ///
    /// - Parameters:
    ///   - settings: The caller's discovery settings (its profile's).
    ///   - clientName: `clientInfo.name` from the IDE's hello (nil: not said).
    ///   - tools: How many tools the full listing would have.
    ///   - budget: `discovery.tool_budget`, else `client.tool_budget`.
    package static func of(
        _ settings: DiscoveryConfig.Settings,
        clientName: String?,
        tools: Int,
        budget: Int
    ) -> DiscoveryListing {
        let defers = clientName.map { settings.deferClients.contains($0) } ?? false
        switch settings.mode {
        case .off: return DiscoveryListing(kind: .full, marksAlwaysLoad: false)
        case .search: return DiscoveryListing(kind: .search, marksAlwaysLoad: defers)
        case .auto:
            if defers { return DiscoveryListing(kind: .full, marksAlwaysLoad: true) }
            return DiscoveryListing(kind: tools > budget ? .search : .full, marksAlwaysLoad: false)
        }
    }

    /// Whether the always-loaded globs pick `name`.
    package static func alwaysLoads(_ name: String, _ settings: DiscoveryConfig.Settings) -> Bool {
        settings.alwaysLoad.contains { $0.matches(name) }
    }

    /// `definition` with `_meta["anthropic/alwaysLoad"]: true` added (other `_meta` keys kept).
    package static func markedAlwaysLoad(_ definition: [UInt8]) -> [UInt8] {
        guard let parsed = try? JSONSlice.parse(definition), parsed.kind == .object else { return definition }
        var splice = JSONSplice()
        if let meta = parsed["_meta"], meta.kind == .object {
            splice.setMember(MetaTools.alwaysLoadKey, to: Array("true".utf8), in: meta)
        } else {
            splice.setMember("_meta", to: Array(#"{"anthropic/alwaysLoad":true}"#.utf8), in: parsed)
        }
        return splice.apply(to: parsed.buffer)
    }
}
