/// muxgate's own version, reported in `serverInfo` and `clientInfo`.
package enum MuxgateVersion {
    package static let current = "0.1.0"
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
