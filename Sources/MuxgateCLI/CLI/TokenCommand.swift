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
import MuxgateWire

/// `muxgate token`: team mode's callers.
package struct TokenCommand: AsyncParsableCommand {
    package init() {}

    package static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Manage the bearer tokens of team mode's clients.",
        subcommands: [TokenAddCommand.self]
    )
}

/// `muxgate token add NAME --profile P`: a new random token, printed once; only its hash is stored.
package struct TokenAddCommand: AsyncParsableCommand {
    package init() {}

    package static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a team-mode client with a new token; print the token once, store only its SHA-256.",
        discussion: """
            Writes `clients.NAME: { token_sha256: …, profile: P }` into the configuration file (which must \
            load afterwards, or nothing is changed) and prints the token on stdout. Give it to the client as \
            `Authorization: Bearer TOKEN`; muxgate cannot show it again. A running `muxgate serve --http` \
            takes the new client on SIGHUP or with --watch. Exit status: 0 added, 2 invalid input or config.
            """
    )

    @Argument(help: "The client's name (letters, digits, '_' and '-'); audit records carry it.")
    package var name: String

    @Option(help: "The policy profile the client's calls run under (default: the configuration's active one).")
    package var profile: String?

    @Option(help: "The configuration file (default: ./muxgate.yaml, then $XDG_CONFIG_HOME/muxgate/config.yaml).")
    package var config: String?

    package func validate() throws {
        guard !name.isEmpty, name.allSatisfy(Naming.isAllowed) else {
            throw ValidationError("'\(name)' is not a client name: use letters, digits, '_' and '-'")
        }
    }

    package func run() async throws {
        let loader = ConfigLoader(profileOverride: nil)
        let current: MuxgateConfig
        do {
            current = try loader.load(config)
        } catch {
            Console.error("muxgate: \(error)\n")
            throw ExitCode(2)
        }
        guard !current.clients.contains(where: { $0.name == name }) else {
            fail("\(current.file) has a client '\(name)' already; remove its entry first to give it a new token")
        }
        let token = TeamAuthenticator.newToken()
        let profileText = profile.map { ", profile: \(JSONValue.string($0).encodedString)" } ?? ""
        let entry = "\(name): { token_sha256: \"\(TeamAuthenticator.hash(token))\"\(profileText) }"
        let original = try String(contentsOfFile: current.file, encoding: .utf8)
        let edited = Self.insert(entry, into: original)
        let temporary = current.file + ".muxgate-token"
        try edited.write(toFile: temporary, atomically: true, encoding: .utf8)
        do {
            _ = try loader.load(temporary)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            let why = "\(error)".replacingOccurrences(of: temporary, with: current.file)
            fail("the configuration would not load with the new client, so nothing was changed: \(why)")
        }
        guard rename(temporary, current.file) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            fail("cannot replace \(current.file): \(String(cString: strerror(errno)))")
        }
        let under = profile.map { "profile '\($0)'" } ?? "the active profile"
        Console.error(
            "muxgate: added client '\(name)' (\(under)) to \(current.file); its token follows, shown this once "
                + "— the client sends it as `Authorization: Bearer <token>`\n"
        )
        print(token)
    }

    /// `text` with `entry` under its top-level `clients:` (made at the end when there is none).
    package static func insert(_ entry: String, into text: String) -> String {
        var lines = text.components(separatedBy: "\n")
        guard
            let header = lines.firstIndex(where: { line in
                line.hasPrefix("clients:") && line.dropFirst("clients:".count).allSatisfy { $0 == " " || $0 == "\t" }
            })
        else {
            let separator = text.isEmpty || text.hasSuffix("\n") ? "" : "\n"
            return text + separator + "clients:\n  \(entry)\n"
        }
        // The indentation of the entries already there, else two spaces.
        let next = lines[(header + 1)...].first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        let indent = next.map { String($0.prefix { $0 == " " }) }.flatMap { $0.isEmpty ? nil : $0 } ?? "  "
        lines.insert(indent + entry, at: header + 1)
        return lines.joined(separator: "\n")
    }

    private func fail(_ message: String) -> Never {
        Console.error("muxgate token add: \(message)\n")
        Foundation.exit(2)
    }
}
