package import ArgumentParser
import Foundation
import MuxgateAudit
package import MuxgateChildren
import MuxgateCommands
package import MuxgateConfig
import MuxgateDiscovery
package import MuxgatePolicy
import MuxgateRemote
package import MuxgateRouting
import MuxgateTeam
import MuxgateTelemetry
import MuxgateWire

/// `muxgate check`: validates the config, starts every child and reports what is wrong.
package struct CheckCommand: AsyncParsableCommand {
    package init() {}

    package static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the config, start every server and report problems.",
        discussion: """
            Reports per server: started or not (with its stderr tail), protocol version, tool count, \
            shaping rules that matched nothing, suspicious tool descriptions, and names shortened to fit \
            the IDE's 64-character budget. Exit status: 0 all good, 1 problems found, 2 invalid config.
            """
    )

    @OptionGroup package var options: ConfigOptions

    package func run() async throws {
        let logger = options.bootstrapLogging(default: "critical")
        print(MuxgateVersion.description)
        let config = try options.loadConfig()
        print("config \(config.file): valid, \(config.servers.count) servers")
        print(config.policySummary)
        let audit = Self.auditReport(config, environment: ProcessInfo.processInfo.environment)
        for line in audit.lines { print(line) }
        let discovery = Self.discoveryReport(config)
        for line in discovery.lines { print(line) }
        let gateway = Gateway(config: config, sink: CollectingSink(), logger: logger, transports: .standard)
        let (report, budget) = try await gateway.withChildren { gateway in
            let catalogue = await gateway.settledCatalogue()
            let servers = gateway.children.map { child in
                ServerReport(child: child, shaper: gateway.shapers[child.name]!, catalogue: catalogue)
            }
            return (servers, Self.budgetWarning(config, listed: catalogue.entries.filter(gateway.isListed)))
        }
        var problems = audit.problems + discovery.problems
        for server in report {
            print("")
            print(server.headline)
            for line in server.details { print("    \(line)") }
            problems += server.problems
        }
        if let budget {
            print("")
            for (index, line) in budget.enumerated() { print(index == 0 ? line : "    \(line)") }
            problems += 1
        }
        print("")
        if problems == 0 {
            print("no problems found")
        } else {
            print("\(problems) problem\(problems == 1 ? "" : "s") found")
            throw ExitCode(1)
        }
    }
}

extension CheckCommand {
    /// Where the audit log goes and whether its ends are anchored: the signing key must load, and
    /// an anchor beside the log protects less than one elsewhere.
    package static func auditReport(_ config: MuxgateConfig, environment: [String: String]) -> (
        lines: [String], problems: Int
    ) {
        guard config.audit.enabled else { return (["audit: off (audit.enabled: false)"], 0) }
        let directory = (config.file as NSString).deletingLastPathComponent
        let log = config.audit.resolvedPath(environment: environment, directory: directory)
        guard let anchor = config.audit.anchor else {
            return (
                [
                    "audit: \(log); its end is not anchored: records cut from its end, or a whole last session, "
                        + "go unnoticed by `audit verify` (set audit.anchor, docs/audit.md)"
                ], 0
            )
        }
        let path = anchor.resolvedPath(environment: environment, directory: directory)
        let key: AuditSigningKey
        do {
            key = try anchor.signingKey(environment: environment, directory: directory)
        } catch {
            return (["audit: \(log), anchored to \(path)", "✗ \(error)"], 1)
        }
        var lines = [
            "audit: \(log), anchored to \(path): a signed checkpoint every \(ServerReport.seconds(anchor.interval)) while records come and "
                + "at stop (key \(key.publicKey.id)\(anchor.syslog ? ", copied to syslog" : ""))"
        ]
        var problems = 0
        if let published = anchor.publicKey {
            do {
                let pinned = try AuditPublicKey.load(published, environment: environment, directory: directory)
                if pinned != key.publicKey {
                    lines.append(
                        "✗ audit.anchor.public_key (key \(pinned.id)) is not the public half of the signing key "
                            + "(\(key.publicKey.id)): `audit verify` would fail every checkpoint"
                    )
                    problems += 1
                }
            } catch {
                lines.append("✗ audit.anchor.public_key: \(error)")
                problems += 1
            }
        }
        func directoryOf(_ file: String) -> String { (file as NSString).deletingLastPathComponent }
        if directoryOf(path) == directoryOf(log), !anchor.syslog {
            lines.append(
                "⚠ audit.anchor.path is in the log's directory: whoever can rewrite the log there can delete or roll "
                    + "back the anchor too; put it elsewhere (another owner or filesystem) or set audit.anchor.syslog: true"
            )
            problems += 1
        }
        return (lines, problems)
    }

    /// Whether the IDE would see more tools than `client.tool_budget`: the servers that contribute
    /// most, and what would really bring the count within it — discovery, a profile, or filters on
    /// the biggest servers that together can (never a filter that cannot).
    package static func budgetWarning(_ config: MuxgateConfig, listed: [NamedCatalogue.Entry]) -> [String]? {
        let settings = config.discovery.settings(profile: config.policy.profileName)
        let budget = settings.toolBudget ?? config.client.toolBudget
        if settings.mode != .off {
            // Search lists the always-loaded tools and the two meta-tools (auto does for clients that
            // do not defer tools themselves, once over the budget).
            let always = listed.filter { DiscoveryListing.alwaysLoads($0.exposedName, settings) }.count
            guard always + 2 > budget else { return nil }
            return [
                "⚠ discovery.always_load picks \(always) tools: with search_tools and call_tool the IDE would see "
                    + "\(always + 2), more than the tool budget (\(budget))",
                "narrow discovery.always_load to the tools every task needs; search finds the rest",
            ]
        }
        guard listed.count > budget else { return nil }
        var perServer: [String: Int] = [:]
        for entry in listed { perServer[entry.server, default: 0] += 1 }
        let ranked = perServer.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let over = listed.count - budget
        var lines = [
            "⚠ the IDE would see \(listed.count) tools, more than client.tool_budget (\(budget)): a model picks "
                + "worse among many tools, and every tool's definition costs context on every turn",
            "most come from: " + ranked.prefix(3).map { "\($0.key) (\($0.value))" }.joined(separator: ", "),
            "discovery: { mode: auto } lists a search tool instead (the full list for clients that defer tools "
                + "themselves, like Claude Code); docs/discovery.md",
        ]
        // What each built-in profile would list, when it lists fewer and fits or comes closer.
        for name in ["readonly", "developer"] where name != config.policy.profileName {
            guard
                let engine = try? PolicyEngine(
                    config: config.policyConfig ?? PolicyConfig(profile: nil),
                    profileOverride: name
                )
            else { continue }
            let count = listed.filter { engine.listingEffect(tool: $0.exposedName, scope: $0.scope) != .deny }.count
            guard count < listed.count else { continue }
            lines.append(
                "policy.profile: \(name) would list \(count)\(count <= budget ? " (within the budget)" : "")"
            )
        }
        // The fewest servers whose tools, filtered, can bring the total within the budget.
        var chosen: [(server: String, count: Int)] = []
        var removable = 0
        for (server, count) in ranked where removable < over {
            chosen.append((server, count))
            removable += count
        }
        let keep = removable - over
        if chosen.count == 1, let (server, count) = chosen.first {
            lines.append(
                "or filter \(server)'s \(count) tools (servers.\(server).tools: { allow: [...] }): keeping \(keep) "
                    + "or fewer brings the total within \(budget)"
            )
        } else if chosen.count <= 5 {
            let names = chosen.map { "\($0.server) (\($0.count))" }.joined(separator: ", ")
            lines.append(
                "or filter \(names) (servers.NAME.tools: { allow: [...] }): keeping \(keep) or fewer of their "
                    + "\(removable) tools in all brings the total within \(budget)"
            )
        } else {
            lines.append(
                "filters would have to cut \(over) tools across \(chosen.count) servers: discovery is the way"
            )
        }
        lines.append("(raise client.tool_budget if this many tools is what you want)")
        return lines
    }
}

/// What `check` says about one server, computed while its child still runs.
package struct ServerReport: Sendable {
    package let headline: String
    package let details: [String]
    package let problems: Int

    package init(child: ChildServer, shaper: ToolShaper, catalogue: NamedCatalogue) {
        var details: [String] = []
        var problems = 0
        let headline: String
        switch child.phase {
        case .ready:
            let hello = child.serverHello
            let exposed = catalogue.entries.filter { $0.server == child.name }
            headline =
                "✓ \(child.name): started, protocol \(hello?.protocolVersion ?? "?"), "
                + "\(child.tools.count) tools, \(exposed.count) exposed"
            for problem in shaper.unmatchedRules(childTools: child.tools)
                + shaper.renameCollisions(childToolNames: child.tools.compactMap { $0["name"]?.string })
            {
                details.append("✗ \(problem)")
                problems += 1
            }
            for tool in child.tools {
                for warning in shaper.descriptionWarnings(tool) {
                    details.append("⚠ \(warning)")
                    problems += 1
                }
            }
            if case .commands(let tools) = child.config.transport {
                let (warnings, notes) = Self.commandRisks(tools)
                details += warnings.map { "⚠ \($0)" } + notes.map { "• \($0)" }
                problems += warnings.count
            }
            let unannotated = exposed.filter { $0.scopeSource == .default }
            if !unannotated.isEmpty {
                let names = unannotated.prefix(8).map(\.originalName).joined(separator: ", ")
                let more = unannotated.count > 8 ? " and \(unannotated.count - 8) more" : ""
                details.append(
                    "• \(unannotated.count) of its tools are destructive by default (\(names)\(more)): they carry no "
                        + "readOnlyHint/destructiveHint annotations (or trust_annotations is false), so every call's "
                        + "decision is fsynced before it is answered and profiles that ask for destructive tools ask. "
                        + "Declare what they do: servers.\(child.name).scopes: { read: [...], write: [...] }"
                )
            }
            for entry in exposed where entry.isShortened {
                details.append(
                    "• '\(entry.originalName)' is exposed as '\(entry.exposedName)' (shortened to fit the name budget)"
                )
            }
        case .failed(let failure) where failure.code == .startupTimeout:
            // Its start-up bound ran out while it was starting: the same as still starting when check gave up.
            headline =
                "✗ \(child.name): not ready within its startup_timeout (waited \(Self.seconds(child.startupTimeout)), "
                + "no answer to initialize; raise servers.\(child.name).startup_timeout if it is only slow)"
            problems += 1
            let tail = child.stderrTail.suffix(10)
            details += tail.isEmpty ? ["it printed nothing on stderr so far"] : tail.map { "stderr: \($0)" }
        case .failed(let failure), .exited(let failure):
            headline = "✗ \(child.name): did not start: \(failure.message)"
            problems += 1
            details += child.stderrTail.suffix(10).map { "stderr: \($0)" }
        default:
            let waited = Self.seconds(child.startupTimeout)
            headline =
                "✗ \(child.name): not ready within its startup_timeout (waited \(waited), still starting; "
                + "raise servers.\(child.name).startup_timeout if it is only slow)"
            problems += 1
            let tail = child.stderrTail.suffix(10)
            details += tail.isEmpty ? ["it printed nothing on stderr so far"] : tail.map { "stderr: \($0)" }
        }
        self.headline = headline
        self.details = details
        self.problems = problems
    }

    /// What is risky in command tools' templates: warnings (problems) and notes.
    package static func commandRisks(_ tools: [CommandToolConfig]) -> (warnings: [String], notes: [String]) {
        var warnings: [String] = []
        var notes: [String] = []
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for tool in tools {
            if tool.shell {
                warnings.append(
                    "command '\(tool.name)' runs through /bin/sh (shell: true): its arguments reach the script as quoted "
                        + "positional parameters (\"$1\"…), but a script that evals them, or passes them unquoted, can be "
                        + "made to run anything; prefer run: [program, args…]"
                )
                continue
            }
            let program = tool.run[0]
            let found =
                program.contains("/")
                ? FileManager.default.isExecutableFile(
                    atPath: program.hasPrefix("/") ? program : (tool.cwd ?? ".") + "/" + program
                )
                : path.contains { FileManager.default.isExecutableFile(atPath: $0 + "/" + program) }
            if !found {
                warnings.append("command '\(tool.name)': the program '\(program)' is not found (PATH, or its cwd)")
            }
            for element in tool.run.dropFirst() {
                for name in CommandToolConfig.placeholders(in: element) {
                    guard let argument = tool.args[name], argument.type == .string || argument.type == .array else {
                        continue
                    }
                    let constrained =
                        argument.pattern != nil || argument.enumeration != nil
                        || argument.items?.pattern != nil || argument.items?.enumeration != nil
                    if !constrained {
                        notes.append(
                            "command '\(tool.name)': argument '\(name)' is any string; constrain it (pattern, enum) "
                                + "to what the program should get"
                        )
                    }
                    if argument.allowDash {
                        notes.append(
                            "command '\(tool.name)': argument '\(name)' may start with '-' (allow_dash): it can pass options"
                        )
                    }
                }
            }
        }
        return (warnings, notes)
    }

    /// A duration as a user wrote it: `10s`, `2.5s`.
    package static func seconds(_ duration: Duration) -> String {
        let seconds = duration.seconds
        return seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s"
    }
}
