import MuxgateWire

/// muxgate's own tools in a search listing: `search_tools` finds tools, `call_tool` calls one.
///
/// Both are answered by muxgate. `call_tool` is unwrapped into the `tools/call` it stands for and
/// passes the gate exactly as that call would (`Gateway+Discovery`).
package enum MetaTools {
    package static let search = "search_tools"
    package static let call = "call_tool"
    package static let alwaysLoadKey = "anthropic/alwaysLoad"

    /// The definition of `search_tools` (its `limit` bounded by `maximum`, `standard` by default).
    package static func searchDefinition(standard: Int, maximum: Int, marked: Bool) -> [UInt8] {
        let text = """
            {"name":"\(search)","title":"Search tools",\
            "description":"Find the tools for a task among the many this server offers (only a few are listed). \
            Returns the best matches: name, description and input schema. Call one with \(call).",\
            "inputSchema":{"type":"object","properties":{\
            "query":{"type":"string","description":"What you want to do, in a few words"},\
            "limit":{"type":"integer","minimum":1,"maximum":\(maximum),"description":"At most this many tools (default \(standard))"}},\
            "required":["query"]},\
            "outputSchema":{"type":"object","properties":{"tools":{"type":"array","items":{"type":"object",\
            "properties":{"name":{"type":"string"},"title":{"type":"string"},"description":{"type":"string"},\
            "inputSchema":{"type":"object"}},"required":["name","inputSchema"]}}},"required":["tools"]},\
            "annotations":{"readOnlyHint":true,"openWorldHint":false}\(marked ? #","_meta":{"anthropic/alwaysLoad":true}"# : "")}
            """
        return Array(text.utf8)
    }

    /// The definition of `call_tool`. It does what the tool it calls does, so it claims no hint.
    package static func callDefinition(marked: Bool) -> [UInt8] {
        let text = """
            {"name":"\(call)","title":"Call a found tool",\
            "description":"Call a tool that \(search) found, by its name, with arguments that match its input schema.",\
            "inputSchema":{"type":"object","properties":{\
            "name":{"type":"string","description":"The tool's name as \(search) gave it"},\
            "arguments":{"type":"object","description":"The tool's arguments"}},\
            "required":["name"]}\(marked ? #","_meta":{"anthropic/alwaysLoad":true}"# : "")}
            """
        return Array(text.utf8)
    }
}
