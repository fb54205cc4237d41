import Foundation
package import Logging
import MuxgateAudit
package import MuxgateConfig
import MuxgatePolicy
package import MuxgateWire

/// Where a `lazy: true` server's tools come from before it first runs.
///
/// The lockfile's pinned definitions when the server is pinned (reviewed, so preferred); else the
/// list the server gave the last time it ran under this configuration file and launch, kept in
/// `$XDG_STATE_HOME/muxgate/lists/` (`~/.local/state/muxgate/lists/`); else nothing, and the
/// server runs at start-up like any other, once, to learn its tools.
package enum LazyToolCache {
    /// The tools to list for a lazy server that has not run yet.
    package static func tools(for server: ServerConfig, in config: MuxgateConfig, logger: Logger) -> [JSONSlice] {
        if let pins = config.lock?.servers[server.name], pins.launchSHA256 == ToolPin.launchSHA256(server) {
            return pins.tools.keys.sorted().compactMap { try? JSONSlice.parse(pins.tools[$0]!.definition.encoded) }
        }
        let path = file(for: server, in: config)
        guard let data = FileManager.default.contents(atPath: path) else {
            logger.notice("lazy: no lockfile pins or cached list yet: starting it now to learn its tools")
            return []
        }
        guard let list = try? JSONSlice.parse(Array(data)), list.kind == .array else {
            logger.warning("lazy: ignored an unreadable cached list at \(path)")
            return []
        }
        return list.elements
    }

    /// Keeps a lazy server's current tools for the next start (best effort: a failure is logged).
    package static func store(_ tools: [JSONSlice], for server: ServerConfig, in config: MuxgateConfig, logger: Logger)
    {
        let path = file(for: server, in: config)
        var bytes: [UInt8] = [0x5B]
        for (index, tool) in tools.enumerated() {
            if index > 0 { bytes.append(0x2C) }
            bytes += tool.bytes
        }
        bytes.append(0x5D)
        do {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            logger.warning("lazy: could not keep the tool list at \(path): \(error)")
        }
    }

    /// One file per configuration file, server and launch: a changed command never reuses a list.
    package static func file(for server: ServerConfig, in config: MuxgateConfig) -> String {
        let base = AuditConfig.stateDirectory(environment: ProcessInfo.processInfo.environment)
        let key = AuditCanonical.sha256(Array((config.file + "\n" + ToolPin.launchSHA256(server)).utf8))
        return "\(base)/lists/\(server.name)-\(key.prefix(16)).json"
    }
}
