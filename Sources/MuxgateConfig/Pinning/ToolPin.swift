package import MuxgateWire

/// What a pin covers of a tool definition, and its hash.
///
/// The fields that change what a model is told or what a call does: name, title, description,
/// inputSchema, outputSchema, annotations, execution — as the child sent them, canonicalised
/// (keys sorted, compact) so formatting never matters and content always does.
package enum ToolPin {
    package static let fields = [
        "name", "title", "description", "inputSchema", "outputSchema", "annotations", "execution",
    ]

    /// The pinned part of a child's tool definition, canonical.
    package static func definition(_ tool: JSONSlice) -> JSONValue {
        AuditCanonical.canonical(
            .object(fields.compactMap { key in tool[key].map { (key, AuditCanonical.value($0)) } })
        )
    }

    /// Hex SHA-256 of the canonical pinned definition.
    package static func sha256(_ tool: JSONSlice) -> String {
        AuditCanonical.sha256(definition(tool).encoded)
    }

    /// Hex SHA-256 of how a server is launched (command, args, cwd, env names; or url, header names).
    ///
    /// Env and header values are left out: they hold secrets and rotate without changing the server.
    package static func launchSHA256(_ server: ServerConfig) -> String {
        let launch: JSONValue =
            switch server.transport {
            case .stdio(let command, let args, let env, let cwd):
                .object([
                    ("args", .array(args.map(JSONValue.string))), ("command", .string(command)),
                    ("cwd", cwd.map(JSONValue.string) ?? .null),
                    ("env", .array(env.keys.sorted().map(JSONValue.string))),
                ])
            case .http(let remote):
                .object([
                    ("headers", .array(remote.headers.keys.sorted().map(JSONValue.string))),
                    ("url", .string(remote.url)),
                ])
            // Each tool's run template is in its definition (a changed one is a changed definition).
            case .commands(let tools):
                .object([("commands", .array(tools.map { .string($0.name) }))])
            }
        return AuditCanonical.sha256(launch.encoded)
    }
}
