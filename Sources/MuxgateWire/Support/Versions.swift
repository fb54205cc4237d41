import CMuxgateVersion
import Synchronization

/// muxgate's own version, reported in `serverInfo` and `clientInfo`, and the commit it was built from.
///
/// The version is Package.swift's `muxgateVersion`. The commit is what the executable hands over at
/// start (`MuxgateMain.run(commit:)`, from the header `make build-info` writes): "unknown" until then,
/// and in a binary built without `make`.
package enum MuxgateVersion {
    package static let current = String(cString: muxgate_version())
    package static var commit: String { builtFrom.withLock { $0 } }
    /// What `muxgate --version` prints and `muxgate check` starts with: `muxgate 0.1.0 (commit 1a2b3c4)`.
    package static var description: String { "muxgate \(current) (commit \(commit))" }

    /// Records the commit the executable was built from, once at start (`MuxgateMain.run(commit:)`).
    package static func record(commit: String) { builtFrom.withLock { $0 = commit } }

    private static let builtFrom = Mutex("unknown")
}

/// The MCP protocol versions muxgate speaks through `initialize`.
package enum ProtocolVersion {
    package static let supported = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]
    package static let latest = "2025-11-25"

    /// The version to answer a client that asked for `requested` (the spec's negotiation rule).
    package static func negotiate(_ requested: String?) -> String {
        guard let requested, supported.contains(requested) else { return latest }
        return requested
    }
}

/// The per-request envelope of protocol 2026-07-28: `_meta` keys every request carries.
package enum RequestEnvelope {
    package static let version = "2026-07-28"
    package static let versionKey = "io.modelcontextprotocol/protocolVersion"
    package static let capabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
    package static let clientInfoKey = "io.modelcontextprotocol/clientInfo"
    package static let logLevelKey = "io.modelcontextprotocol/logLevel"
    /// Every envelope key: what muxgate removes before a request reaches an `initialize`-era child,
    /// and replaces with its own for a 2026-07-28 child.
    package static let keys: Set<String> = [versionKey, capabilitiesKey, clientInfoKey, logLevelKey]

    /// The client's capability a server's request for input needs (`sampling/createMessage` →
    /// `sampling`): the requests 2026-07-28 carries as `inputRequests`.
    package static func inputCapability(for method: String) -> String? {
        switch method {
        case "sampling/createMessage": "sampling"
        case "elicitation/create": "elicitation"
        case "roots/list": "roots"
        default: nil
        }
    }

    /// The client's capability any server-to-client request muxgate forwards needs.
    package static func capability(for method: String) -> String? {
        inputCapability(for: method)
            ?? (["tasks/get", "tasks/result", "tasks/list", "tasks/cancel"].contains(method) ? "tasks" : nil)
    }
}

/// An opaque single-use token muxgate hands the IDE (`requestState`): `prefix` and 128 random bits.
package func randomToken(_ prefix: String) -> String {
    prefix + (0..<16).map { _ in UInt8.random(in: 0...255) }.hexString
}
