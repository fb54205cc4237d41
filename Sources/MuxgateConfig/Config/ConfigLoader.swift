import Foundation
package import MuxgateWire
import Yams

/// Finds, reads, decodes, expands and validates a configuration file.
package struct ConfigLoader: Sendable {
    package let environment: [String: String]
    package let currentDirectory: String
    /// The profile to run instead of `policy.profile` (`--profile`); `MUXGATE_PROFILE` otherwise.
    package let profileOverride: String?
    /// Where the secrets a configuration holds are registered, as soon as they are read (`Secrets`).
    package let secrets: Secrets

    package init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath,
        profileOverride: String? = nil,
        secrets: Secrets = .shared
    ) {
        self.environment = environment
        self.currentDirectory = currentDirectory
        self.profileOverride = profileOverride ?? environment["MUXGATE_PROFILE"]
        self.secrets = secrets
    }

    /// The file to read: `explicit`, else `./muxgate.yaml`, else `$XDG_CONFIG_HOME/muxgate/config.yaml`.
    ///
    /// - Throws: `ConfigError` (`notFound`) listing every place looked at.
    package func locate(_ explicit: String?) throws(ConfigError) -> String {
        if let explicit {
            let path = absolute(explicit)
            guard FileManager.default.fileExists(atPath: path) else {
                throw ConfigError(.notFound, file: path, message: "no such file")
            }
            return path
        }
        let xdg =
            environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        let candidates = [absolute("muxgate.yaml"), xdg + "/muxgate/config.yaml"]
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        throw ConfigError(
            .notFound,
            file: candidates[0],
            message: "no config given and none found at \(candidates.joined(separator: " or ")); pass --config FILE"
        )
    }

    /// Loads the configuration at `path` (see `locate`).
    package func load(_ explicit: String?) throws(ConfigError) -> MuxgateConfig {
        let path = try locate(explicit)
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(.unreadable, file: path, message: "\(error.localizedDescription)")
        }
        var config = try parse(text, file: path)
        config.sha256 = AuditCanonical.sha256(Array(text.utf8))
        config.lock = try Lockfile.read(Lockfile.path(forConfig: path))
        return config
    }

    /// Decodes configuration text; `file` names it in errors and anchors relative `cwd`s.
    package func parse(_ text: String, file: String) throws(ConfigError) -> MuxgateConfig {
        let node: Node
        do {
            guard let composed = try Yams.compose(yaml: text) else {
                throw ConfigError(
                    .missingKey,
                    file: file,
                    line: 1,
                    message: "the file is empty; it needs a 'servers:' section"
                )
            }
            node = composed
        } catch let error as ConfigError {
            throw error
        } catch let error as YamlError {
            throw Self.syntaxError(error, text: text, file: file)
        } catch {
            throw ConfigError(.syntax, file: file, message: "\(error)")
        }
        var config: MuxgateConfig
        do {
            config = try YAMLDecoder().decode(MuxgateConfig.self, from: node)
        } catch let issue as ConfigIssue {
            throw locate(issue.code, issue.path, issue.message, in: node, file: file)
        } catch let error as DecodingError {
            throw describe(error, in: node, file: file)
        } catch {
            throw ConfigError(.invalidValue, file: file, message: "\(error)")
        }
        config.file = file
        do {
            config.policy = try PolicyEngine(config: config.policyConfig, profileOverride: profileOverride)
        } catch {
            throw locate(error.code, error.path, error.message, in: node, file: file)
        }
        for client in config.clients {
            for profile in client.profilesNamed where config.clientPolicies[profile] == nil {
                let known = config.policyConfig ?? PolicyConfig(profile: nil)
                guard known.allProfiles[profile] != nil else {
                    throw locate(
                        .invalidValue,
                        ["clients", client.name, client.profile == profile ? "profile" : "profiles"],
                        known.unknownProfile(profile),
                        in: node,
                        file: file
                    )
                }
                do {
                    config.clientPolicies[profile] = try PolicyEngine(
                        config: config.policyConfig,
                        profileOverride: profile
                    )
                } catch {
                    throw locate(error.code, ["clients", client.name, "profile"], error.message, in: node, file: file)
                }
            }
        }
        let directory = (file as NSString).deletingLastPathComponent
        if let tls = config.http?.tls {
            do throws(ConfigIssue) {
                config.http?.tls = try resolve(tls, in: directory)
            } catch {
                throw locate(error.code, error.path, error.message, in: node, file: file)
            }
        }
        let serversKey = node["servers"] != nil ? "servers" : "mcpServers"
        for index in config.servers.indices {
            let server = config.servers[index]
            let path = [serversKey, server.name]
            do {
                switch server.transport {
                case .stdio(let command, let args, let env, let cwd):
                    var expandedCwd = try cwd.map { try expand($0, path + ["cwd"], secret: false) }
                    if let dir = expandedCwd, !dir.hasPrefix("/") {
                        expandedCwd = directory + "/" + dir
                    }
                    config.servers[index].transport = .stdio(
                        command: try expand(command, path + ["command"], secret: false),
                        args: try args.enumerated().map { try expand($1, path + ["args", "[\($0)]"]) },
                        env: try env.reduce(into: [:]) { $0[$1.key] = try expand($1.value, path + ["env", $1.key]) },
                        cwd: expandedCwd
                    )
                case .http(var remote):
                    remote.url = try expand(remote.url, path + ["url"])
                    // Before anything can reject the URL and print it.
                    secrets.add(ServerConfig.credentials(inURL: remote.url))
                    remote.headers = try remote.headers.reduce(into: [:]) {
                        $0[$1.key] = try expand($1.value, path + ["headers", $1.key])
                    }
                    if let caFile = remote.caFile {
                        let expanded = try expand(caFile, path + ["ca_file"], secret: false)
                        remote.caFile = expanded.hasPrefix("/") ? expanded : directory + "/" + expanded
                    }
                    try Self.validate(remote, at: path)
                    config.servers[index].transport = .http(remote)
                case .commands(var tools):
                    for (position, tool) in tools.enumerated() {
                        let base = ["commands", tool.name]
                        tools[position].run = try tool.run.enumerated().map {
                            try expand($1, base + ["run", "[\($0)]"])
                        }
                        tools[position].env = try tool.env.reduce(into: [:]) {
                            $0[$1.key] = try expand($1.value, base + ["env", $1.key])
                        }
                        if var cwd = try tool.cwd.map({ try expand($0, base + ["cwd"], secret: false) }) {
                            if !cwd.hasPrefix("/") { cwd = directory + "/" + cwd }
                            tools[position].cwd = cwd
                        }
                    }
                    config.servers[index].transport = .commands(tools)
                }
            } catch let issue as ConfigIssue {
                throw locate(issue.code, issue.path, issue.message, in: node, file: file)
            } catch {
                throw ConfigError(.invalidValue, file: file, path: path.joined(separator: "."), message: "\(error)")
            }
            // What the child is handed that must never be shown (env and header values, passwords).
            secrets.add(config.servers[index].secrets)
        }
        return config
    }

    /// A remote server's URL must be http(s) with a host; plain http only to a loopback address
    /// (a token or header would cross the network in clear otherwise).
    package static func validate(_ remote: RemoteServerConfig, at path: [String]) throws(ConfigIssue) {
        guard let url = URLParts(remote.url), ["http", "https"].contains(url.scheme), !url.host.isEmpty else {
            let userInfo =
                ServerConfig.credentials(inURL: remote.url).isEmpty
                ? "" : " (user info in a URL is refused: put credentials in headers)"
            throw ConfigIssue(
                code: .invalidValue,
                path: path + ["url"],
                message: "'\(ServerConfig.redactingUserInfo(remote.url))' is not an http:// or https:// URL with a host"
                    + userInfo
            )
        }
        if url.scheme == "http", !url.isLoopback {
            throw ConfigIssue(
                code: .invalidValue,
                path: path + ["url"],
                message: "plain http:// is allowed only to a loopback address (127.0.0.1, ::1, localhost); use https://"
            )
        }
        for (name, value) in remote.headers where value.contains("\n") || value.contains("\r") || name.isEmpty {
            throw ConfigIssue(
                code: .invalidValue,
                path: path + ["headers", name],
                message: "a header name must not be empty, and a value must not contain a line break"
            )
        }
    }

    /// Variables that name where things are, not credentials: their values (`/home/alice`) are not
    /// registered as secrets when expanded, or every path in every log line would be hidden.
    package static let notSecret: Set<String> = [
        "HOME", "PWD", "TMPDIR", "USER", "LOGNAME", "PATH", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
        "XDG_CACHE_HOME", "XDG_RUNTIME_DIR",
    ]

    /// Expands `${VAR}` and `${VAR:-default}` as Claude Code does.
    ///
    /// - Parameter secret: Register each substituted value as a secret (`Secrets`): everything a
    ///   server is launched with, but paths (its command, its cwd, a CA file).
    package func expand(_ text: String, _ path: [String], secret: Bool = true) throws(ConfigIssue) -> String {
        guard text.contains("${") else { return text }
        var substituted: [String] = []
        defer { if secret { secrets.add(substituted) } }
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw ConfigIssue(code: .invalidValue, path: path, message: "'${' without a closing '}' in '\(text)'")
            }
            let inner = rest[open.upperBound..<close]
            let name: Substring
            let fallback: Substring?
            if let separator = inner.range(of: ":-") {
                name = inner[..<separator.lowerBound]
                fallback = inner[separator.upperBound...]
            } else {
                name = inner
                fallback = nil
            }
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw ConfigIssue(code: .invalidValue, path: path, message: "'${\(inner)}' is not a variable reference")
            }
            if let value = environment[String(name)] {
                out += value
                if !Self.notSecret.contains(String(name)) { substituted.append(value) }
            } else if let fallback {
                // Written in the file, as any literal: env and header values are secrets anyway.
                out += fallback
            } else {
                throw ConfigIssue(
                    code: .unsetVariable,
                    path: path,
                    message: "environment variable \(name) is not set and has no default (write ${\(name):-default})"
                )
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    private func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        if path.hasPrefix("~/") { return (environment["HOME"] ?? NSHomeDirectory()) + path.dropFirst() }
        return currentDirectory + "/" + path
    }

    private func describe(_ error: DecodingError, in node: Node, file: String) -> ConfigError {
        let components = ConfigIssue.keyPath
        switch error {
        case .typeMismatch(let type, let context):
            return locate(
                .wrongType,
                components(context.codingPath),
                "expected \(Self.describe(type))",
                in: node,
                file: file
            )
        case .valueNotFound(let type, let context):
            return locate(
                .wrongType,
                components(context.codingPath),
                "expected \(Self.describe(type)), found nothing",
                in: node,
                file: file
            )
        case .keyNotFound(let key, let context):
            return locate(
                .missingKey,
                components(context.codingPath),
                "'\(key.stringValue)' is required",
                in: node,
                file: file
            )
        case .dataCorrupted(let context):
            return locate(.invalidValue, components(context.codingPath), context.debugDescription, in: node, file: file)
        @unknown default:
            return ConfigError(.invalidValue, file: file, message: "\(error)")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Double.Type: "a number"
        case is [String].Type: "a list of strings"
        case is [String: String].Type: "a mapping of strings"
        default: "a mapping"
        }
    }

    /// Builds an error at the YAML position of `path` (the deepest part of it that exists).
    private func locate(
        _ code: ConfigError.Code,
        _ path: [String],
        _ message: String,
        in root: Node,
        file: String
    ) -> ConfigError {
        var node: Node? = root
        var mark = root.mark
        for component in path {
            if component.hasPrefix("["), let index = Int(component.dropFirst().dropLast()),
                let sequence = node?.sequence,
                index < sequence.count
            {
                node = sequence[index]
            } else if let mapping = node?.mapping, let entry = mapping.first(where: { $0.key.string == component }) {
                // Point unknown-key errors at the key, others at the value.
                mark = entry.key.mark
                node = entry.value
            } else {
                break
            }
            if code != .unknownKey, let valueMark = node?.mark { mark = valueMark }
        }
        let dotted = path.reduce(into: "") { result, part in
            result += part.hasPrefix("[") || result.isEmpty ? part : "." + part
        }
        return ConfigError(code, file: file, line: mark?.line, column: mark?.column, path: dotted, message: message)
    }

    private static func syntaxError(_ error: YamlError, text: String, file: String) -> ConfigError {
        switch error {
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Point at the second occurrence of the first duplicated key (block style).
            let key = duplicates.first ?? ""
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let occurrences = lines.indices.filter { index in
                let trimmed = lines[index].drop { $0 == " " || $0 == "-" }
                return trimmed.hasPrefix(key + ":") || trimmed.hasPrefix("\"\(key)\":")
            }
            let line = occurrences.count > 1 ? occurrences[1] + 1 : context.mark.line
            return ConfigError(
                .duplicateKey,
                file: file,
                line: line,
                path: key,
                message: "'\(key)' appears more than once in the same mapping"
            )
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let what = [context?.text, problem].compactMap { $0 }.joined(separator: " ")
            return ConfigError(.syntax, file: file, line: mark.line, column: mark.column, message: what)
        default:
            return ConfigError(.syntax, file: file, message: "\(error)")
        }
    }
}
