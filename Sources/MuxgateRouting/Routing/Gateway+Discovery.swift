import Foundation
import Logging
import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgateDiscovery
import MuxgatePolicy
import MuxgateWire

/// Progressive tool discovery in the gate (`discovery:`): what a session lists, `search_tools`
/// answered over the caller's own catalogue, and `call_tool` unwrapped at `resolve` into the
/// `tools/call` it stands for — from there the very stages a direct call passes (`pass`,
/// `carryOut`): shape, judge, record, approve, forward, observe. The gate does not move.
extension Gateway {
    /// The discovery settings of a caller running under `policy` (its profile's).
    nonisolated func discoverySettings(_ policy: PolicyEngine, in setup: GatewaySetup) -> DiscoveryConfig.Settings {
        setup.config.discovery.settings(profile: policy.profileName)
    }

    /// The definitions `session`'s `tools/list` holds (`DiscoveryListing` says which).
    nonisolated func listedTools(for session: ClientSession, in setup: GatewaySetup) -> [JSONValue] {
        let policy = policy(for: session, in: setup)
        let settings = discoverySettings(policy, in: setup)
        let catalogue = self.catalogue
        guard settings.mode != .off else {
            return catalogue.items { isListed($0, config: setup.config, policy: policy) }
        }
        let visible = catalogue.entries.filter { isListed($0, config: setup.config, policy: policy) }
        let listing = listing(for: session, settings, tools: visible.count, in: setup)
        var items: [JSONValue] = []
        if listing.kind == .search {
            items.append(
                .raw(
                    MetaTools.searchDefinition(
                        standard: settings.limit,
                        maximum: DiscoveryConfig.maximumLimit,
                        marked: listing.marksAlwaysLoad
                    )[...]
                )
            )
            items.append(.raw(MetaTools.callDefinition(marked: listing.marksAlwaysLoad)[...]))
        }
        for entry in visible {
            // The meta-tools' names are theirs in a search listing (`metaToolCall`).
            if listing.kind == .search, entry.exposedName == MetaTools.search || entry.exposedName == MetaTools.call {
                continue
            }
            let always = DiscoveryListing.alwaysLoads(entry.exposedName, settings)
            guard listing.kind == .full || always else { continue }
            let definition =
                always && listing.marksAlwaysLoad
                ? DiscoveryListing.markedAlwaysLoad(entry.definition) : entry.definition
            items.append(.raw(definition[...]))
        }
        return items
    }

    /// The rule for `session` (its client's name from its hello).
    nonisolated func listing(
        for session: ClientSession,
        _ settings: DiscoveryConfig.Settings,
        tools: Int,
        in setup: GatewaySetup
    ) -> DiscoveryListing {
        DiscoveryListing.of(
            settings,
            clientName: session.hello?.clientInfo?["name"]?.string,
            tools: tools,
            budget: settings.toolBudget ?? setup.config.client.toolBudget
        )
    }

    /// Whether search may show `entry` to a caller under `policy`: never a tool its profile denies
    /// (listed or not: `hide_denied` does not matter here) or one pinning quarantines.
    nonisolated func isFindable(_ entry: NamedCatalogue.Entry, config: MuxgateConfig, policy: PolicyEngine) -> Bool {
        if config.pinning == .enforce && quarantineReason(entry, config: config) != nil { return false }
        return policy.listingEffect(tool: entry.exposedName, scope: entry.scope) != .deny
    }

    /// The catalogues once every child is ready or failed (at most the start-up bound), as `tools/list` waits.
    func settleCatalogues() async {
        await waitForChildren()
        rebuildIfNeeded()
    }

    /// Hands a new catalogue to the search index (only while some caller can search).
    func indexForDiscovery(_ tools: NamedCatalogue, setup: GatewaySetup) {
        guard setup.config.discovery.isUsed else { return }
        var instructions: [String: String] = [:]
        for child in setup.children {
            if let text = child.serverHello?.instructions { instructions[child.name] = text }
        }
        discovery.submit(tools, instructions: instructions, config: setup.config)
    }

    // MARK: - The meta-tools

    /// `tools/call` of `search_tools` or `call_tool` by a caller whose profile has discovery on;
    /// nil when `name` is neither or the caller's discovery is off (the call is an ordinary one).
    nonisolated func metaToolCall(
        _ name: String,
        _ message: JSONRPCMessage,
        id: [UInt8],
        session: ClientSession
    ) -> MetaToolCall? {
        guard name == MetaTools.search || name == MetaTools.call else { return nil }
        let setup = current
        let settings = discoverySettings(policy(for: session.identity(for: id), in: setup), in: setup)
        guard settings.mode != .off else { return nil }
        // A child tool exposed under this name is what a session with the full listing sees and
        // means; a search listing shows the meta-tool in its place (the child's stays reachable
        // through `call_tool`).
        if catalogue[name] != nil {
            let policy = policy(for: session.identity(for: id), in: setup)
            let visible = catalogue.entries.filter { isListed($0, config: setup.config, policy: policy) }.count
            guard listing(for: session, settings, tools: visible, in: setup).kind == .search else { return nil }
        }
        return name == MetaTools.search
            ? MetaToolCall(work: searchTools(message, id: id, session: session, settings: settings, setup: setup))
            : MetaToolCall(work: callFoundTool(message, id: id, session: session))
    }

    /// What a meta-tool's call leaves to do (nil: answered already).
    struct MetaToolCall {
        let work: (@Sendable () async -> Void)?
    }

    /// `search_tools`: the best matches among the tools the caller may see, as text and as
    /// `structuredContent`; the query is audited (redacted like a call's arguments).
    private nonisolated func searchTools(
        _ message: JSONRPCMessage,
        id: [UInt8],
        session: ClientSession,
        settings: DiscoveryConfig.Settings,
        setup: GatewaySetup
    ) -> (@Sendable () async -> Void)? {
        let arguments = message.params?["arguments"]
        guard let query = arguments?["query"]?.string, !query.allSatisfy(\.isWhitespace) else {
            session.sendResult(
                id: id,
                Self.toolError("\(MetaTools.search) needs a 'query': what you want to do, in a few words")
            )
            return nil
        }
        var limit = settings.limit
        if let value = arguments?["limit"], value.kind != .null {
            guard let asked = value.int, (1...DiscoveryConfig.maximumLimit).contains(asked) else {
                session.sendResult(
                    id: id,
                    Self.toolError(
                        "'limit' must be a whole number from 1 to \(DiscoveryConfig.maximumLimit); got \(value.text.prefix(40))"
                    )
                )
                return nil
            }
            limit = asked
        }
        trace?.passed(.resolve, id)
        return { [self, limit] in
            // As tools/list: the children that are starting are waited for, so their tools can be found.
            await settleCatalogues()
            let policy = policy(for: session.identity(for: id), in: setup)
            let catalogue = self.catalogue
            let config = current.config
            let matches = await discovery.search(query, limit: limit, vectorWait: config.discovery.vectorWait) {
                [self] name in
                guard let entry = catalogue[name] else { return false }
                return isFindable(entry, config: config, policy: policy)
            }
            let found = matches.compactMap { catalogue[$0.id] }
            trace?.passed(.record, id)
            if let auditor {
                let (redacted, sha256) = auditor.redactor.redact(tool: MetaTools.search, arguments: arguments)
                _ = auditor.record(
                    .search(
                        requestID: message.id,
                        tool: MetaTools.search,
                        args: redacted,
                        argsSHA256: sha256,
                        results: found.map(\.exposedName),
                        caller: session.auditCaller
                    ),
                    durable: false
                )
            }
            session.sendResult(id: id, Self.searchResult(found))
        }
    }

    /// `call_tool`: the `tools/call` it stands for — the found tool's name and arguments in place
    /// of the meta-tool's, every other byte of the request kept — resolved and passed as a direct
    /// call is (`resolveAndPass`).
    private nonisolated func callFoundTool(
        _ message: JSONRPCMessage,
        id: [UInt8],
        session: ClientSession
    ) -> (@Sendable () async -> Void)? {
        guard let params = message.params, let nameSlice = params["name"], let outer = params["arguments"],
            outer.kind == .object, let innerName = outer["name"], let name = innerName.string
        else {
            session.respond(
                to: id,
                JSONRPC.error(
                    id: id,
                    .invalidParams(
                        "Invalid params: \(MetaTools.call) needs arguments {\"name\": a tool \(MetaTools.search) found, "
                            + "\"arguments\": its arguments}"
                    )
                )
            )
            return nil
        }
        let inner = outer["arguments"]
        if let inner, inner.kind != .object {
            session.respond(
                to: id,
                JSONRPC.error(
                    id: id,
                    .invalidParams("Invalid params: \(MetaTools.call)'s 'arguments' must be an object")
                )
            )
            return nil
        }
        var splice = JSONSplice()
        splice.replace(nameSlice.range, with: Array(innerName.bytes))
        splice.replace(outer.range, with: inner.map { Array($0.bytes) } ?? Array("{}".utf8))
        let unwrapped: JSONRPCMessage
        do {
            unwrapped = try JSONRPCMessage.parse(splice.apply(to: params.buffer), oneReading: true)
        } catch {
            // Bytes of a message that read once, rearranged: this cannot fail, and if it did the call stops.
            logger.error("\(MetaTools.call): the unwrapped call cannot be read: \(error.error.message)")
            session.respond(to: id, JSONRPC.error(id: id, .internalError("muxgate could not unwrap the call")))
            return nil
        }
        return { [self] in await resolveAndPass(unwrapped, name: name, id: id, session: session) }
    }

    /// A result with `isError` (a meta-tool's arguments the model can correct).
    static func toolError(_ text: String) -> JSONValue {
        .object([
            ("content", .array([.object([("type", .string("text")), ("text", .string(text))])])),
            ("isError", .bool(true)),
        ])
    }

    /// `search_tools`' result: each match's exposed name, title, description and input schema (the
    /// definition the IDE would list, bytes as they are), as `structuredContent` and as its JSON text.
    static func searchResult(_ entries: [NamedCatalogue.Entry]) -> JSONValue {
        let tools: [JSONValue] = entries.map { entry in
            let definition = try? JSONSlice.parse(entry.definition)
            var members: [(String, JSONValue)] = [("name", .string(entry.exposedName))]
            for key in ["title", "description"] {
                if let value = definition?[key], value.kind == .string { members.append((key, .raw(value.bytes))) }
            }
            let schema = definition?["inputSchema"].flatMap { $0.kind == .object ? $0 : nil }
            members.append(("inputSchema", schema.map { .raw($0.bytes) } ?? .object([("type", .string("object"))])))
            return .object(members)
        }
        let structured = JSONValue.object([("tools", .array(tools))])
        let text =
            entries.isEmpty
            ? "No tool matches. Try other words (what the tool does, not its name)." : structured.encodedString
        return .object([
            ("content", .array([.object([("type", .string("text")), ("text", .string(text))])])),
            ("structuredContent", structured),
        ])
    }
}
