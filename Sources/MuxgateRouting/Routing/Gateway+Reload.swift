import Logging
import MuxgateAudit
package import MuxgateChildren
package import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
import MuxgateWire
import Synchronization

/// Hot reload: a new configuration replaces the running one without dropping the IDE.
extension Gateway {
    /// Re-reads the configuration (SIGHUP, `serve --watch`) and applies it.
    ///
    /// Children whose launch (command, args, env, cwd, url, headers, timeouts) is unchanged keep
    /// running under the new shaping, scopes and policy; new and changed ones start first and are
    /// ready (or failed, at most their start-up bound) before the switch, so the IDE sees one
    /// `list_changed` per list that changed; removed and replaced ones finish their in-flight
    /// calls (at most their call timeout) and stop. A configuration that fails to load is
    /// rejected, logged and audited, and the running one stays.
    ///
    /// - Returns: Whether the configuration was accepted.
    @discardableResult
    package func reload(_ load: () throws -> MuxgateConfig) async -> Bool {
        let new: MuxgateConfig
        do {
            new = try load()
        } catch {
            logger.error("config reload rejected, the running configuration stays: \(error)")
            auditor?.record(.reload(configSHA256: nil, applied: false, error: "\(error)"), durable: true)
            return false
        }
        guard !reloading else {
            // One reload at a time; the newest waiting configuration is applied next.
            pendingReload = new
            return true
        }
        reloading = true
        defer { reloading = false }
        var next: MuxgateConfig? = new
        while let config = next {
            await apply(config)
            next = pendingReload
            pendingReload = nil
        }
        return true
    }

    private func apply(_ new: MuxgateConfig) async {
        let old = current
        let next = GatewaySetup(
            config: new,
            children: old.childByName,
            logger: logger,
            events: eventSink,
            routes: routes,
            namespacedURIs: namespacedURIs,
            tasks: tasks,
            transports: transports
        )
        let fresh = next.children.filter { old.childByName[$0.name] !== $0 }
        let retired = old.children.filter { next.childByName[$0.name] !== $0 }
        for child in fresh {
            adopt(child)
            guard let hello = childHello else { continue }
            if next.servers[child.name]!.lazy && !child.tools.isEmpty {
                child.prepare(with: hello)
            } else {
                child.start(with: hello)
            }
        }
        await withTaskGroup(of: Void.self) { group in
            for child in fresh where child.phase == .starting {
                group.addTask { await child.waitUntilSettled(until: .now + child.startupTimeout) }
            }
        }
        if let failure = limiter.configure(new.limits) { logger.error("limits: \(failure)") }
        replaceSetup(with: next)
        for child in retired {
            Task { await child.stopWhenIdle() }
        }
        reportedRules = [:]
        rebuildCatalogues()
        for child in next.children where child.phase == .ready { reportShapingProblems(child.name) }

        let added = fresh.map(\.name).filter { old.childByName[$0] == nil }
        let restarted = fresh.map(\.name).filter { old.childByName[$0] != nil }
        let removed = retired.map(\.name).filter { next.childByName[$0] == nil }
        var notes: [String] = []
        if new.audit != old.config.audit { notes.append("audit: changes take effect when muxgate restarts") }
        if new.maxMessageBytes != old.config.maxMessageBytes {
            notes.append("max_message_size: applies to children now, to the client when muxgate restarts")
        }
        for note in notes { logger.warning("config reload: \(note)") }
        let kept = next.children.count - fresh.count
        logger.notice(
            "config reloaded: \(added.count) added, \(removed.count) removed, \(restarted.count) restarted, \(kept) kept; \(new.policySummary)",
            metadata: [
                "muxgate.added": .string(added.joined(separator: ",")),
                "muxgate.removed": .string(removed.joined(separator: ",")),
                "muxgate.restarted": .string(restarted.joined(separator: ",")),
            ]
        )
        auditor?.record(
            .reload(configSHA256: new.sha256, applied: true, added: added, removed: removed, restarted: restarted),
            durable: true
        )
    }
}

extension ChildServer {
    /// Stops the child once its in-flight requests are answered (at most its call timeout): a
    /// reload never cuts a call short.
    package func stopWhenIdle() async {
        let deadline = ContinuousClock.now + callTimeout
        while state.withLock({ !$0.pending.isEmpty }) && .now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        stop()
    }
}
