import Foundation
import MuxgateTesting
import Testing

@testable import MuxgateAudit
@testable import MuxgateCLI
@testable import MuxgateChildren
@testable import MuxgateCommands
@testable import MuxgateConfig
@testable import MuxgatePolicy
@testable import MuxgateRemote
@testable import MuxgateRouting
@testable import MuxgateTeam
@testable import MuxgateTelemetry
@testable import MuxgateWire

@Suite("muxgate import")
struct ImportTests {
    @Test("a .mcp.json round-trips into an equivalent muxgate config")
    func roundTrip() throws {
        let directory = try TestPaths.temporaryDirectory()
        let path = try TestPaths.write(
            #"""
            {"mcpServers": {
              "git": {"type": "stdio", "command": "uvx", "args": ["mcp-server-git", "--repository", "/srv/app"], "env": {"A": "1", "T": "${TOKEN:-x}"}},
              "db.main": {"command": "python3", "args": ["-m", "mcp_server_sqlite", "--db-path", "/srv/a b/dev.db"]},
              "remote": {"type": "http", "url": "https://example.test/mcp", "headers": {"Authorization": "Bearer ${TOKEN:-none}"}},
              "old": {"type": "sse", "url": "https://example.test/sse"}
            }}
            """#,
            to: directory,
            name: ".mcp.json"
        )
        let imported = try ImportedServers.read(path)
        let config = try ConfigLoader(environment: [:]).parse(imported.yaml(entry: "muxgate"), file: "imported.yaml")
        #expect(config.servers.map(\.name) == ["db_main", "git", "old", "remote"])
        #expect(
            imported.yaml(entry: "muxgate").contains(#"transport: "sse""#),
            "Claude's type becomes muxgate's transport"
        )
        #expect(
            config.servers[0].transport
                == .stdio(
                    command: "python3",
                    args: ["-m", "mcp_server_sqlite", "--db-path", "/srv/a b/dev.db"],
                    env: [:],
                    cwd: nil
                )
        )
        #expect(
            config.servers[1].transport
                == .stdio(
                    command: "uvx",
                    args: ["mcp-server-git", "--repository", "/srv/app"],
                    env: ["A": "1", "T": "x"],
                    cwd: nil
                )
        )
        #expect(
            config.servers[3].transport
                == .http(
                    RemoteServerConfig(
                        url: "https://example.test/mcp",
                        headers: ["Authorization": "Bearer none"],
                        kind: .streamableHTTP
                    )
                )
        )
        #expect(config.servers[2].transport == .http(RemoteServerConfig(url: "https://example.test/sse", kind: .sse)))
    }

    @Test("~/.claude.json: top-level and per-project servers are merged, conflicts renamed with a warning")
    func claudeJSON() throws {
        let directory = try TestPaths.temporaryDirectory()
        let path = try TestPaths.write(
            #"""
            {"numStartups": 3, "mcpServers": {"time": {"command": "uvx", "args": ["mcp-server-time"]}},
             "projects": {"/srv/a": {"mcpServers": {"time": {"command": "uvx", "args": ["mcp-server-time"]}, "git": {"command": "uvx", "args": ["mcp-server-git"], "alwaysAllow": []}}},
                          "/srv/b": {"mcpServers": {"git": {"command": "uvx", "args": ["mcp-server-git", "--repository", "/srv/b"]}}}}}
            """#,
            to: directory,
            name: "claude.json"
        )
        let imported = try ImportedServers.read(path)
        #expect(imported.servers.map(\.name) == ["time", "git", "git-2"])
        #expect(imported.warnings.contains { $0.contains("alwaysAllow") })
        #expect(imported.warnings.contains { $0.contains("git-2") })
        _ = try ConfigLoader(environment: [:]).parse(imported.yaml(entry: "muxgate"), file: "imported.yaml")
    }

    @Test("a file without servers is a clear error")
    func empty() throws {
        let directory = try TestPaths.temporaryDirectory()
        let path = try TestPaths.write(#"{"projects": {}}"#, to: directory, name: "empty.json")
        #expect(throws: (any Error).self) { try ImportedServers.read(path) }
    }
}
