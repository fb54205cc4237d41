import Foundation
package import MuxgateWire

/// `muxgate.lock`: the reviewed tool definitions of every server, pinned by hash.
///
/// JSON, keys sorted, one member a line, the definitions included in full so that a change shows
/// in a code review as a readable diff. Meant to be committed next to the config.
package struct Lockfile: Sendable {
    package struct Server: Sendable {
        package var launchSHA256: String
        package var instructionsSHA256: String?
        /// Child's tool name → (hash, canonical pinned definition).
        package var tools: [String: (sha256: String, definition: JSONValue)]
    }

    package var servers: [String: Server]

    package init(servers: [String: Server] = [:]) {
        self.servers = servers
    }

    /// The lockfile that belongs to a configuration file: `muxgate.lock` beside it.
    package static func path(forConfig file: String) -> String {
        ((file as NSString).deletingLastPathComponent as NSString).appendingPathComponent("muxgate.lock")
    }

    /// Pins for a server as it runs now.
    package static func pins(for server: ServerConfig, tools: [JSONSlice], instructions: String?) -> Server {
        var pinned: [String: (String, JSONValue)] = [:]
        for tool in tools {
            guard let name = tool["name"]?.string else { continue }
            pinned[name] = (ToolPin.sha256(tool), ToolPin.definition(tool))
        }
        return Server(
            launchSHA256: ToolPin.launchSHA256(server),
            instructionsSHA256: instructions.map { AuditCanonical.sha256(Array($0.utf8)) },
            tools: pinned
        )
    }

    /// The file's text.
    package var text: String {
        let servers: [(String, JSONValue)] = self.servers.keys.sorted().map { name in
            let server = self.servers[name]!
            let tools: [(String, JSONValue)] = server.tools.keys.sorted().map { tool in
                let pin = server.tools[tool]!
                return (tool, .object([("definition", pin.definition), ("sha256", .string(pin.sha256))]))
            }
            return (
                name,
                .object([
                    ("instructions_sha256", server.instructionsSHA256.map(JSONValue.string) ?? .null),
                    ("launch_sha256", .string(server.launchSHA256)), ("tools", .object(tools)),
                ])
            )
        }
        return JSONValue.object([("servers", .object(servers)), ("version", .int(1))]).pretty() + "\n"
    }

    /// Reads a lockfile; nil when there is none.
    ///
    /// - Throws: `ConfigError` when the file exists but is not a muxgate lockfile.
    package static func read(_ path: String) throws(ConfigError) -> Lockfile? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let root: JSONSlice
        do {
            root = try JSONSlice.parse(Array(data))
        } catch {
            throw ConfigError(
                .syntax,
                file: path,
                message: "not JSON (\(error)); regenerate it with muxgate lock --update"
            )
        }
        guard root["version"]?.int == 1, let servers = root["servers"], servers.kind == .object else {
            throw ConfigError(.invalidValue, file: path, message: "not a version 1 muxgate lockfile")
        }
        var lock = Lockfile()
        for server in servers.members {
            var tools: [String: (String, JSONValue)] = [:]
            for tool in server.value["tools"]?.members ?? [] {
                guard let sha = tool.value["sha256"]?.string, let definition = tool.value["definition"] else {
                    throw ConfigError(
                        .invalidValue,
                        file: path,
                        path: "servers.\(server.key).tools.\(tool.key)",
                        message: "needs sha256 and definition"
                    )
                }
                tools[tool.key] = (sha, AuditCanonical.value(definition))
            }
            lock.servers[server.key] = Server(
                launchSHA256: server.value["launch_sha256"]?.string ?? "",
                instructionsSHA256: server.value["instructions_sha256"]?.string,
                tools: tools
            )
        }
        return lock
    }

    /// Why a child's tool may not be used as it is now, or nil when it matches its pin.
    ///
    /// - Parameter sha256: The tool's pinned-part hash (`ToolPin.sha256`), when already computed.
    package func quarantineReason(server: String, tool: JSONSlice, sha256: String? = nil) -> String? {
        let name = tool["name"]?.string ?? "?"
        guard let pins = servers[server] else {
            return "server '\(server)' is not in muxgate.lock"
        }
        guard let pin = pins.tools[name] else {
            return "tool '\(name)' of server '\(server)' is new since muxgate.lock was written"
        }
        let now = sha256 ?? ToolPin.sha256(tool)
        guard now == pin.sha256 else {
            return "the definition of tool '\(name)' of server '\(server)' changed since muxgate.lock was written "
                + "(pinned \(pin.sha256.prefix(12)), now \(now.prefix(12)))"
        }
        return nil
    }
}
