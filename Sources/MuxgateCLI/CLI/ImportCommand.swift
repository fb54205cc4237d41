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
package import MuxgateWire

/// `muxgate import`: turns Claude Code or Claude Desktop MCP entries into one muxgate config.
package struct ImportCommand: AsyncParsableCommand {
    package init() {}

    package static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Print a muxgate config equivalent to a Claude Code or Claude Desktop MCP configuration.",
        discussion: """
            Reads a .mcp.json, ~/.claude.json (its top-level and per-project mcpServers) or a Claude Desktop \
            claude_desktop_config.json, prints the equivalent muxgate YAML, and the one `claude mcp add` line \
            that replaces all those entries.
            """
    )

    @Argument(help: "The file to import (.mcp.json, ~/.claude.json or claude_desktop_config.json).")
    package var file: String

    @Option(name: .shortAndLong, help: "Write the config to this file instead of stdout.")
    package var output: String?

    @Option(help: "The entry name to give muxgate in the IDE.")
    package var entry = "muxgate"

    package func run() async throws {
        let imported: ImportedServers
        do {
            imported = try ImportedServers.read(file)
        } catch {
            Console.error("muxgate import: \(error)\n")
            throw ExitCode(2)
        }
        let yaml = imported.yaml(entry: entry)
        let configPath = output.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? "/path/to/muxgate.yaml"
        if let output {
            try yaml.write(toFile: output, atomically: true, encoding: .utf8)
        } else {
            print(yaml, terminator: "")
        }
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        var advice = "\n# Replace the \(imported.servers.count) entries with one:\n"
        for name in imported.servers.map(\.name) { advice += "#   claude mcp remove \(name)\n" }
        advice += "#   claude mcp add \(entry) -- \(binary) serve --config \(configPath)\n"
        for warning in imported.warnings { advice += "# warning: \(warning)\n" }
        if output == nil {
            print(advice, terminator: "")
        } else {
            Console.error(advice)
        }
    }
}

/// MCP server entries read from a Claude configuration file.
package struct ImportedServers: Sendable {
    package struct Server: Sendable {
        package let name: String
        /// The entry's fields, verbatim (command, args, env, cwd, url, headers, type).
        package let fields: [(String, JSONSlice)]
        package let source: String
    }

    package var servers: [Server] = []
    package var warnings: [String] = []

    /// The keys muxgate's server entries understand; others are dropped with a warning.
    package static let knownKeys: Set<String> = ["command", "args", "env", "cwd", "url", "headers", "type"]

    /// Reads `path`, collecting `mcpServers` at the top level and under `projects.*`.
    package static func read(_ path: String) throws -> ImportedServers {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("\(path): cannot read the file")
        }
        let root: JSONSlice
        do {
            root = try JSONSlice.parse(Array(data))
        } catch {
            throw ValidationError("\(path): not JSON (\(error))")
        }
        var result = ImportedServers()
        result.collect(root["mcpServers"], source: "mcpServers")
        for project in root["projects"]?.members ?? [] {
            result.collect(project.value["mcpServers"], source: "projects[\(project.key)]")
        }
        guard !result.servers.isEmpty else {
            throw ValidationError("\(path): no mcpServers entries found (top level or under projects)")
        }
        return result
    }

    private mutating func collect(_ entries: JSONSlice?, source: String) {
        for entry in entries?.members ?? [] {
            guard entry.value.kind == .object else {
                warnings.append("\(source).\(entry.key) is not an object; skipped")
                continue
            }
            var fields: [(String, JSONSlice)] = []
            for member in entry.value.members {
                if member.key == "type" {
                    // Claude Code's `type` is muxgate's `transport` (stdio is what a command is).
                    switch member.value.string {
                    case "stdio": break
                    case "http", "streamable-http": fields.append(("transport", Self.quoted("streamable-http")))
                    case "sse": fields.append(("transport", Self.quoted("sse")))
                    default: fields.append((member.key, member.value))
                    }
                } else if Self.knownKeys.contains(member.key) {
                    fields.append((member.key, member.value))
                } else {
                    warnings.append("\(source).\(entry.key).\(member.key) has no muxgate equivalent; dropped")
                }
            }
            var name = Naming.sanitize(entry.key)
            if let existing = servers.first(where: { $0.name == name }) {
                if existing.fields.map({ "\($0.0)=\($0.1.text)" }) == fields.map({ "\($0.0)=\($0.1.text)" }) {
                    continue
                }
                var suffix = 2
                while servers.contains(where: { $0.name == "\(name)-\(suffix)" }) { suffix += 1 }
                warnings.append(
                    "\(source).\(entry.key) differs from an entry of the same name; imported as \(name)-\(suffix)"
                )
                name += "-\(suffix)"
            }
            servers.append(Server(name: name, fields: fields, source: source))
        }
    }

    /// The muxgate configuration, as YAML (values are written as JSON, which YAML reads unchanged).
    package func yaml(entry: String) -> String {
        var out = "# Imported by muxgate import. Every key: docs/config.md.\nservers:\n"
        for server in servers {
            out += "  \(server.name):    # from \(server.source)\n"
            for (key, value) in server.fields {
                out += "    \(key): \(Self.flowValue(value))\n"
            }
        }
        out += "client:\n  entry: \(entry)\n"
        return out
    }

    private static func quoted(_ text: String) -> JSONSlice {
        try! JSONSlice.parse(JSONValue.quoted(text))
    }

    /// A JSON value re-encoded compactly: a valid YAML flow value.
    private static func flowValue(_ value: JSONSlice) -> String {
        switch value.kind {
        case .object:
            "{"
                + value.members.map { "\(JSONValue.string($0.key).encodedString): \(flowValue($0.value))" }.joined(
                    separator: ", "
                ) + "}"
        case .array:
            "[" + value.elements.map(flowValue).joined(separator: ", ") + "]"
        default:
            value.text
        }
    }
}
