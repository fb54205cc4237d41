import Foundation
import MuxgateWire

extension MuxgateConfig {
    /// The caller name a limit's `clients:` uses for the stdio front's user.
    package static let localCaller = "local"

    /// The `limits:` section named and checked against the rest of the file: each limit's server,
    /// callers and profiles must exist, so a typo does not leave a limit that never applies.
    ///
    /// - Throws: `ConfigIssue` at `limits.NAME.KEY`, saying what to do.
    func namedLimits(_ table: [String: LimitRule]?, known: PolicyConfig) throws -> [LimitRule] {
        guard let table else { return [] }
        var rules: [LimitRule] = []
        for name in table.keys.sorted() {
            var rule = table[name]!
            rule.name = name
            let path = ["limits", name]
            guard !name.isEmpty, name.allSatisfy(Naming.isAllowed) else {
                throw ConfigIssue(
                    code: .invalidValue,
                    path: path,
                    message: "limit name '\(name)' may only use letters, digits, '_' and '-'"
                )
            }
            if let server = rule.server, !servers.contains(where: { $0.name == server }) {
                throw ConfigIssue(
                    code: .invalidValue,
                    path: path + ["server"],
                    message: "no server is named '\(server)': use one of \(servers.map(\.name).joined(separator: ", "))"
                )
            }
            for client in rule.clients
            where client != Self.localCaller && !clients.contains(where: { $0.name == client }) {
                throw ConfigIssue(
                    code: .invalidValue,
                    path: path + ["clients"],
                    message: "no client is named '\(client)': add it to clients: (or write '\(Self.localCaller)' "
                        + "for the stdio front's user)"
                )
            }
            for profile in rule.profiles where known.allProfiles[profile] == nil {
                throw ConfigIssue(
                    code: .invalidValue,
                    path: path + ["profiles"],
                    message: known.unknownProfile(profile)
                )
            }
            rules.append(rule)
        }
        return rules
    }

    /// Where quotas are kept across restarts: `limits.journal` beside the audit log.
    package func limitsJournalPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let directory = file.isEmpty ? nil : (file as NSString).deletingLastPathComponent
        let log = audit.resolvedPath(environment: environment, directory: directory)
        return (log as NSString).deletingLastPathComponent + "/limits.journal"
    }
}
