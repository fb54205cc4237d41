package import MuxgateWire

extension AuditEvent {
    /// A caller searched the tools (`search_tools`): what it asked, redacted as a call's arguments
    /// are, and the exposed names it was shown, best first (only tools its profile may see).
    ///
    /// - Parameters:
    ///   - tool: The meta-tool's name (`search_tools`).
    ///   - args: The search's arguments (`query`, `limit`), redacted; `argsSHA256` over the original.
    ///   - results: The exposed names of the matches, best first.
    package static func search(
        requestID: JSONSlice?,
        tool: String,
        args: JSONValue?,
        argsSHA256: String,
        results: [String],
        caller: AuditCaller? = nil
    ) -> AuditEvent {
        var event = AuditEvent(
            .search,
            // In canonical (key) order.
            [
                ("args", args), ("args_sha256", .string(argsSHA256)),
                ("request_id", requestID.map(AuditCanonical.value)), ("results", .array(results.map(JSONValue.string))),
                ("tool", .string(tool)),
            ]
        )
        event.add(caller: caller)
        return event
    }
}
