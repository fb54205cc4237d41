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

@Suite("Configuration")
struct ConfigLoaderTests {
    let loader = ConfigLoader(
        environment: ["HOME": "/home/dev", "USER": "dev", "TOKEN": "s3cret"],
        currentDirectory: "/work"
    )

    func load(_ text: String) throws -> MuxgateConfig { try loader.parse(text, file: "/etc/muxgate.yaml") }

    func failure(_ text: String) -> ConfigError? {
        do {
            _ = try loader.parse(text, file: "/etc/muxgate.yaml")
            return nil
        } catch {
            return error
        }
    }

    @Test("a full config decodes, with ${VAR} and ${VAR:-default} expanded")
    func full() throws {
        let config = try load(
            """
            servers:
              git:
                command: uvx
                args: [mcp-server-git, --repository, "${HOME}/app"]
                env: { GIT_AUTHOR_NAME: "${MISSING:-bot}", T: "${TOKEN}" }
                cwd: sub
              db:
                url: https://example.test/mcp
                headers: { Authorization: "Bearer ${TOKEN}" }
                call_timeout: 5s
            client:
              entry: tools
            startup_timeout: 1500ms
            max_message_size: 1MiB
            """
        )
        #expect(config.servers.map(\.name) == ["db", "git"])
        #expect(
            config.servers[1].transport
                == .stdio(
                    command: "uvx",
                    args: ["mcp-server-git", "--repository", "/home/dev/app"],
                    env: ["GIT_AUTHOR_NAME": "bot", "T": "s3cret"],
                    cwd: "/etc/sub"
                )
        )
        #expect(
            config.servers[0].transport
                == .http(
                    RemoteServerConfig(url: "https://example.test/mcp", headers: ["Authorization": "Bearer s3cret"])
                )
        )
        #expect(config.callTimeout(for: config.servers[0]) == .seconds(5))
        #expect(config.callTimeout(for: config.servers[1]) == .seconds(60))
        #expect(config.startupTimeout == .milliseconds(1500))
        #expect(config.maxMessageBytes == 1 << 20)
        #expect(config.client.entry == "tools")
    }

    @Test("a Claude Code .mcp.json works unchanged (JSON is YAML, mcpServers is an alias)")
    func mcpJSON() throws {
        let config = try load(
            #"{"mcpServers": {"time": {"type": "stdio", "command": "uvx", "args": ["mcp-server-time"], "env": {}}}}"#
        )
        #expect(config.servers.map(\.name) == ["time"])
    }

    @Test("an unknown key names file, line, key path and a suggestion")
    func unknownKey() throws {
        let error = try #require(failure("servers:\n  git:\n    comand: uvx\n"))
        #expect(error.code == .unknownKey)
        #expect(error.line == 3)
        #expect(error.path == "servers.git.comand")
        #expect(error.description.contains("/etc/muxgate.yaml:3"))
        #expect(error.description.contains("did you mean 'command'"))
    }

    @Test("a wrong type names the key and the expected type")
    func wrongType() throws {
        let error = try #require(failure("servers:\n  git:\n    command: uvx\n    args: notalist\n"))
        #expect(error.code == .wrongType)
        #expect(error.path == "servers.git.args")
        #expect(error.line == 4)
    }

    @Test("an unset variable without default is an error at its line")
    func unsetVariable() throws {
        let error = try #require(failure("servers:\n  git:\n    command: uvx\n    args: [a, \"${NOPE}\"]\n"))
        #expect(error.code == .unsetVariable)
        #expect(error.path == "servers.git.args[1]")
        #expect(error.line == 4)
        #expect(error.message.contains("NOPE"))
    }

    @Test("a server with neither command nor url is an error")
    func neither() throws {
        let error = try #require(failure("servers:\n  git:\n    args: [x]\n"))
        #expect(error.code == .missingKey)
        #expect(error.path == "servers.git")
        #expect(error.line == 3)
    }

    @Test(
        "other mistakes are caught with their place",
        arguments: [
            ("servers:\n  git: {command: uvx, url: http://x}\n", ConfigError.Code.invalidValue),
            ("servers:\n  \"bad name\": {command: uvx}\n", .invalidValue),
            ("client: {entry: x}\n", .missingKey),
            ("servers: {a: {command: x}}\nstartup_timeout: soon\n", .invalidValue),
            ("servers: {a: {command: x}}\nclient: {entry: \(String(repeating: "e", count: 50))}\n", .invalidValue),
            ("servers: [\n", .syntax),
            ("servers: {a: {command: x}}\nservers: {b: {command: y}}\n", .duplicateKey),
            ("", .missingKey),
        ]
    )
    func mistakes(_ text: String, _ code: ConfigError.Code) throws {
        let error = try #require(failure(text))
        #expect(error.code == code, "\(error)")
    }

    @Test("every example in config/ is a valid configuration")
    func examples() throws {
        let directory = TestPaths.root + "/config"
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }
        #expect(files.count >= 4)
        for file in files {
            let config = try ConfigLoader(environment: [:]).load(directory + "/" + file)
            #expect(!config.servers.isEmpty, "\(file)")
        }
    }
}

@Suite("Config: what counts as a secret, registered as it is read")
struct ConfigSecretsTests {
    @Test("every ${VAR} in a launch, env and header values, URL credentials; not paths, not defaults")
    func registered() throws {
        let secrets = Secrets()
        let loader = ConfigLoader(
            environment: ["TOK": "tok-value-123456", "HOME": "/home/alice-dev", "KEY": "header-key-998877"],
            secrets: secrets
        )
        _ = try loader.parse(
            """
            servers:
              local:
                command: ${HOME}/bin/server
                args: [--token, "${TOK}", "${HOME}/data", "--mode=${MODE:-production-default}"]
                env: { LITERAL: literal-env-value }
              remote:
                url: "https://api.example.com/mcp?sig=query-signature-42&v=1"
                headers: { X-Key: "${KEY}" }
            """,
            file: "/tmp/c.yaml"
        )
        let known = Set(secrets.snapshot.values)
        for value in ["tok-value-123456", "literal-env-value", "header-key-998877", "query-signature-42"] {
            #expect(known.contains(value), "\(value) is a secret")
        }
        for value in ["/home/alice-dev", "production-default"] {
            #expect(!known.contains(value), "\(value) is not")
        }
        #expect(secrets.scrub("ran with tok-value-123456 in /home/alice-dev") == "ran with [secret] in /home/alice-dev")
    }

    @Test("a URL rejected for its user info is never printed with it, and its credentials are registered first")
    func rejectedURL() throws {
        let secrets = Secrets()
        let loader = ConfigLoader(environment: [:], secrets: secrets)
        #expect {
            _ = try loader.parse(
                "servers:\n  r:\n    url: \"https://bob:hunter2-secret@example.com/mcp\"\n",
                file: "/tmp/c.yaml"
            )
        } throws: { error in
            "\(error)".contains("servers.r.url") && !"\(error)".contains("hunter2-secret")
        }
        #expect(secrets.snapshot.values.contains("hunter2-secret"))
    }
}
