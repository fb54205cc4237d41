import Logging
import MuxgateAudit
package import MuxgateChildren
package import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
import MuxgateWire

/// The aggregated lists: tools, prompts, resources and resource templates.
extension Gateway {
    /// Answers a `…/list` request once every child is ready or failed (at most the start-up bound).
    package func list(_ kind: ListKind, id: [UInt8], session: ClientSession, offset: Int = 0) async {
        await waitForChildren()
        rebuildIfNeeded()
        if kind == .tools {
            for child in children where child.phase != .ready && child.hasRun {
                let why: String
                switch child.phase {
                case .failed(let failure), .exited(let failure): why = failure.message
                default:
                    why =
                        "still starting after \(config.startupTimeout(for: child.config).seconds)s; "
                        + "list_changed follows when it is ready"
                }
                logger.warning("tools/list answered without server '\(child.name)': \(why)")
            }
        }
        session.markListed(kind)
        let items: [JSONValue] =
            switch kind {
            case .tools: withResultPaging(listedTools(for: session, in: current), in: current)
            case .prompts: prompts.items()
            case .resources: resources.resourceItems
            case .resourceTemplates: resources.templateItems
            }
        // muxgate's own pages: `page_size` items, then an opaque cursor for the rest.
        let end = min(items.count, offset + config.pageSize)
        var result: [(String, JSONValue)] = [(kind.key, .array(Array(items[min(offset, items.count)..<end])))]
        if end < items.count {
            result.append(("nextCursor", .string(Self.cursor(for: kind, offset: end))))
        }
        if modern {
            // 2026-07-28: list results say how long they stay fresh (sendResult adds resultType).
            result += [("ttlMs", .int(0)), ("cacheScope", .string("private"))]
        }
        session.sendResult(id: id, .object(result))
    }

    /// An opaque cursor for the page of `kind` that starts at `offset`.
    package static func cursor(for kind: ListKind, offset: Int) -> String {
        "mgc1." + Array("\(kind.rawValue).\(offset)".utf8).hexString
    }

    /// The offset a cursor of `kind` stands for; nil for a cursor muxgate did not issue.
    package static func offset(inCursor cursor: String, for kind: ListKind) -> Int? {
        guard cursor.hasPrefix("mgc1."), case let hex = Array(cursor.utf8.dropFirst(5)), hex.count % 2 == 0 else {
            return nil
        }
        var bytes: [UInt8] = []
        var index = 0
        while index < hex.count {
            guard let byte = UInt8(String(decoding: hex[index..<index + 2], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
            index += 2
        }
        let parts = String(decoding: bytes, as: UTF8.self).split(separator: ".")
        guard parts.count == 2, parts[0] == kind.rawValue, let offset = Int(parts[1]), offset > 0 else { return nil }
        return offset
    }

    /// Whether the IDE sees a tool: with `hide_denied`, tools the profile denies are left out;
    /// with `pinning: enforce`, so are tools quarantined by the lockfile.
    package nonisolated func isListed(_ entry: NamedCatalogue.Entry) -> Bool {
        isListed(entry, config: config)
    }

    /// `isListed` under one configuration snapshot (for loops over thousands of entries).
    ///
    /// - Parameter policy: The policy of the session that lists (its identity's profile); nil: the
    ///   configuration's.
    package nonisolated func isListed(_ entry: NamedCatalogue.Entry, config: MuxgateConfig, policy: PolicyEngine? = nil)
        -> Bool
    {
        if config.pinning == .enforce && quarantineReason(entry, config: config) != nil { return false }
        let policy = policy ?? config.policy
        return !policy.hideDenied || policy.listingEffect(tool: entry.exposedName, scope: entry.scope) != .deny
    }

    /// Why the lockfile holds a tool back, or nil (always nil with `pinning: off`).
    package nonisolated func quarantineReason(_ entry: NamedCatalogue.Entry) -> String? {
        quarantineReason(entry, config: config)
    }

    package nonisolated func quarantineReason(_ entry: NamedCatalogue.Entry, config: MuxgateConfig) -> String? {
        guard config.pinning != .off else { return nil }
        return config.lock?.quarantineReason(server: entry.server, tool: entry.childDefinition, sha256: entry.pinSHA256)
    }

    /// Logs and audits, once per new definition, the tools that differ from their pins.
    package func reportDefinitionChanges() {
        let config = self.config
        guard config.pinning != .off, let lock = config.lock else { return }
        for entry in catalogue.entries {
            guard let reason = quarantineReason(entry, config: config) else { continue }
            let now = entry.pinSHA256
            guard reportedDefinitions.insert("\(entry.server)/\(entry.originalName)/\(now)").inserted else { continue }
            let mode = config.pinning == .enforce ? "quarantined" : "pinning (warn)"
            logger.warning(
                "\(mode): \(reason); review with `muxgate diff`, approve with `muxgate lock --update`",
                metadata: ["muxgate.server": .string(entry.server)]
            )
            auditor?.record(
                .defChange(
                    server: entry.server,
                    tool: entry.originalName,
                    oldSHA256: lock.servers[entry.server]?.tools[entry.originalName]?.sha256 ?? "",
                    newSHA256: now
                ),
                durable: true
            )
        }
    }

    /// The tool catalogue rebuilt from the children's lists as they are now.
    package func currentCatalogue() -> NamedCatalogue {
        rebuildIfNeeded()
        return catalogue
    }

    /// Rebuilds every catalogue; tells the IDE, once per list, about lists it has seen that changed.
    /// Rebuilds the catalogues once the events already queued are handled: a hundred children
    /// coming up together cost one rebuild, not a hundred (each is linear in all the tools).
    package func scheduleRebuild() {
        guard !rebuildScheduled else { return }
        rebuildScheduled = true
        Task { self.runScheduledRebuild() }
    }

    private func runScheduledRebuild() {
        rebuildScheduled = false
        rebuildIfNeeded()
    }

    /// Rebuilds the catalogues if a child's lists or the configuration changed since the last build.
    package func rebuildIfNeeded() {
        let setup = current
        let lists = setup.children.map(\.listsVersion)
        if builtFrom?.setup != ObjectIdentifier(setup) || builtFrom?.lists != lists { rebuildCatalogues() }
    }

    package func rebuildCatalogues() {
        let setup = current
        builtFrom = (ObjectIdentifier(setup), setup.children.map(\.listsVersion))
        let children = setup.children
        let naming = setup.naming
        let shapers = setup.shapers
        let promptShapers = setup.promptShapers
        let skipped: (String, String) -> Void = { [logger] server, problem in
            logger.warning("skipped \(problem)", metadata: ["muxgate.server": .string(server)])
        }
        let tools = NamedCatalogue(
            naming: naming,
            sources: children.map {
                .init(
                    server: $0.name,
                    shaper: shapers[$0.name]!,
                    tools: $0.list(.tools),
                    scopes: setup.servers[$0.name]!.scopes,
                    trustAnnotations: setup.servers[$0.name]!.trustAnnotations
                )
            },
            rules: setup.config.policy.rules,
            skipped: skipped
        )
        let prompts = NamedCatalogue(
            naming: naming,
            sources: children.map { .init(server: $0.name, shaper: promptShapers[$0.name]!, tools: $0.list(.prompts)) },
            skipped: skipped
        )
        let resources = ResourceCatalogue(
            sources: children.map {
                .init(
                    server: $0.name,
                    filter: setup.servers[$0.name]!.resources,
                    resources: $0.list(.resources),
                    templates: $0.list(.resourceTemplates)
                )
            },
            skipped: skipped
        )
        var changed: [ListKind] = []
        // Team mode: a change any client's profile would see is announced (each session lists its own).
        let profiles = routes.only == nil ? Array(setup.policies.values) : []
        let visible: (NamedCatalogue.Entry) -> Bool = { entry in
            self.isListed(entry, config: setup.config)
                || profiles.contains { self.isListed(entry, config: setup.config, policy: $0) }
        }
        if tools.differs(from: catalogue, visible: visible) {
            changed.append(.tools)
        }
        if prompts.differs(from: self.prompts) { changed.append(.prompts) }
        if resources.differs(from: self.resources, in: .resources) { changed.append(.resources) }
        if resources.differs(from: self.resources, in: .resourceTemplates) { changed.append(.resourceTemplates) }
        if let auditor, changed.contains(.tools) { auditToolChanges(from: catalogue, to: tools, auditor) }
        catalogues.withLock { $0 = Catalogues(tools: tools, prompts: prompts, resources: resources) }
        indexForDiscovery(tools, setup: setup)
        reportDefinitionChanges()
        namespacedURIs.withLock { $0 = resources.namespacedURIs }
        // Resources and templates share one notification.
        for session in routes.all {
            let notifications = Set(changed.filter(session.hasListed).map(\.changedNotification))
            for method in notifications.sorted() {
                if session.modern {
                    notifySubscribers(method, kind: ListKind.changed(by: method).first?.subscriptionKey)
                } else {
                    session.sink.send(JSONRPC.notification(method: method, params: nil))
                }
            }
        }
    }

    /// Records which exposed tools appeared, disappeared or changed definition.
    private func auditToolChanges(from old: NamedCatalogue, to new: NamedCatalogue, _ auditor: Auditor) {
        let config = self.config
        func hashes(_ catalogue: NamedCatalogue) -> [String: (server: String, sha256: String)] {
            Dictionary(
                catalogue.entries.filter { isListed($0, config: config) }.map {
                    ($0.exposedName, ($0.server, $0.definitionSHA256))
                },
                uniquingKeysWith: { first, _ in first }
            )
        }
        let before = hashes(old)
        let after = hashes(new)
        let added = after.filter { before[$0.key]?.sha256 != $0.value.sha256 }
            .map { AuditEvent.Tool(name: $0.key, server: $0.value.server, sha256: $0.value.sha256) }
            .sorted { $0.name < $1.name }
        let removed = before.keys.filter { after[$0] == nil }.sorted()
        guard !added.isEmpty || !removed.isEmpty else { return }
        auditor.record(.tools(added: added, removed: removed), durable: false)
    }

    /// The tool for an exposed name; while children are still starting, waits for them (at most
    /// the start-up bound) before saying a name is unknown.
    package func resolveTool(_ name: String) async -> NamedCatalogue.Entry? {
        await resolve(name) { $0.catalogue[name] }
    }

    package func resolvePrompt(_ name: String) async -> NamedCatalogue.Entry? {
        await resolve(name) { $0.prompts[name] }
    }

    /// The child that owns an exposed URI, and the URI as that child wrote it.
    package func resolveResource(_ uri: String) async -> (server: String, uri: String)? {
        await resolve { $0.resources.route(uri) }
    }

    /// - Parameter name: An exposed name: when it looks like a still-starting server's after the
    ///   global bound, that server gets its own `startup_timeout` (a call names what it waits for).
    private func resolve<T>(_ name: String? = nil, _ lookup: (isolated Gateway) -> T?) async -> T? {
        if let found = lookup(self) { return found }
        // A child that became ready a moment ago may not be in the catalogues yet.
        rebuildIfNeeded()
        if let found = lookup(self) { return found }
        guard children.contains(where: { $0.phase == .starting }) else { return nil }
        await waitForChildren()
        rebuildIfNeeded()
        if let found = lookup(self) { return found }
        let separator = config.client.separator
        guard let name, let started = startedAt,
            let owner = children.first(where: { $0.phase == .starting && name.hasPrefix($0.name + separator) })
        else { return nil }
        await owner.waitUntilSettled(until: started + owner.startupTimeout)
        rebuildIfNeeded()
        return lookup(self)
    }

    /// Logs, once, the shaping rules of `server` that match none of its tools.
    package func reportShapingProblems(_ server: String) {
        guard let child = childByName[server], let shaper = shapers[server], let config = current.servers[server] else {
            return
        }
        let problems =
            shaper.unmatchedRules(childTools: child.tools)
            + shaper.renameCollisions(childToolNames: child.tools.compactMap { $0["name"]?.string })
            + config.prompts.unmatchedRules(
                section: "prompts",
                server: server,
                names: child.list(.prompts).compactMap { $0["name"]?.string }
            )
            + config.resources.unmatchedRules(
                section: "resources",
                server: server,
                names: child.list(.resources).compactMap { $0["uri"]?.string }
                    + child.list(.resourceTemplates).compactMap { $0["uriTemplate"]?.string }
            )
        guard problems != reportedRules[server] else { return }
        reportedRules[server] = problems
        for problem in problems {
            logger.warning("config: \(problem)", metadata: ["muxgate.server": .string(server)])
        }
    }
}
