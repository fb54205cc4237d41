import Foundation

/// 2026-07-28's custom headers from tool parameters: a tool's `inputSchema` may mark a property
/// `"x-mcp-header": "Region"`, and a client calling that tool over Streamable HTTP sends the
/// argument's value as `Mcp-Param-Region` (servers refuse a call whose headers and arguments
/// disagree, with -32020). muxgate is that client towards a 2026-07-28 HTTP child: the headers are
/// worked out from the arguments as sent to the child, pinned ones included.
///
/// The rules: only a property reached from the root through `properties` keys alone counts (an
/// annotation under `items`, a composition keyword, a conditional or `$defs` makes the schema
/// invalid); the name is an RFC 9110 token, unique ignoring case; only `string`, `integer` and
/// `boolean` properties may carry one. A value that is absent or null sends no header.
package enum ParamHeaders {
    /// One annotated property: its path from the arguments' root, and the header's token.
    package struct Declaration: Sendable, Equatable {
        package let path: [String]
        package let token: String
    }

    /// Why a schema's annotations are invalid (a client must not call such a tool with headers
    /// it made up: muxgate mirrors none for it and says so).
    package struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        package let description: String
    }

    package static let key = "x-mcp-header"
    private static let single: Set<String> = [
        "items", "contains", "unevaluatedItems", "additionalProperties", "propertyNames",
        "unevaluatedProperties", "not", "if", "then", "else", "contentSchema",
    ]
    private static let list: Set<String> = ["allOf", "anyOf", "oneOf", "prefixItems"]
    private static let map: Set<String> = ["patternProperties", "dependentSchemas", "$defs", "definitions"]

    /// The annotated properties of `schema`, in document order.
    ///
    /// - Throws: `Invalid` naming the property and the rule it breaks.
    package static func declarations(in schema: JSONSlice) throws(Invalid) -> [Declaration] {
        var found: [Declaration] = []
        var seen: [String: String] = [:]
        // (path through `properties` only — nil once another keyword was crossed, schema)
        var stack: [([String]?, JSONSlice)] = [([], schema)]
        while let (path, node) = stack.popLast() {
            guard node.kind == .object else { continue }
            for member in node.members {
                let value = member.value
                switch member.key {
                case key:
                    found.append(try declaration(path, value, in: node, seen: &seen))
                case "properties" where value.kind == .object:
                    // Reversed onto the stack so that properties come off it in document order.
                    for property in value.members.reversed() {
                        stack.append((path.map { $0 + [property.key] }, property.value))
                    }
                case let keyword where single.contains(keyword):
                    stack.append((nil, value))
                case let keyword where list.contains(keyword) && value.kind == .array:
                    stack.append(contentsOf: value.elements.reversed().map { (nil, $0) })
                case let keyword where map.contains(keyword) && value.kind == .object:
                    stack.append(contentsOf: value.members.reversed().map { (nil, $0.value) })
                default:
                    break
                }
            }
        }
        return found
    }

    private static func declaration(
        _ path: [String]?,
        _ annotation: JSONSlice,
        in property: JSONSlice,
        seen: inout [String: String]
    ) throws(Invalid) -> Declaration {
        guard let path, !path.isEmpty else {
            throw Invalid(description: "\(key) sits where no argument is (only under a chain of `properties`)")
        }
        let name = path.joined(separator: ".")
        guard let token = annotation.string else {
            throw Invalid(description: "property '\(name)': \(key) must be a string")
        }
        guard !token.isEmpty, token.utf8.allSatisfy(isTokenCharacter) else {
            throw Invalid(
                description: "property '\(name)': \(key) '\(token)' is not an HTTP header name (RFC 9110 token)"
            )
        }
        guard let type = property["type"]?.string, ["string", "integer", "boolean"].contains(type) else {
            throw Invalid(
                description: "property '\(name)': \(key) is allowed on string, integer and boolean properties only"
            )
        }
        if let other = seen.updateValue(name, forKey: token.lowercased()) {
            throw Invalid(description: "property '\(name)': \(key) '\(token)' is already used by '\(other)'")
        }
        return Declaration(path: path, token: token)
    }

    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "a")...UInt8(ascii: "z"):
            true
        default:
            Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// The `Mcp-Param-*` headers of a call with `arguments` (name, value), in declaration order.
    package static func headers(_ declarations: [Declaration], arguments: JSONSlice?) -> [(String, String)] {
        guard let arguments else { return [] }
        return declarations.compactMap { declaration in
            var node: JSONSlice? = arguments
            for key in declaration.path { node = node?.kind == .object ? node?[key] : nil }
            guard let value = node else { return nil }
            let text: String
            switch value.kind {
            case .string: text = value.string ?? ""
            case .number: text = value.text
            case .bool: text = value.bool == true ? "true" : "false"
            case .null, .object, .array: return nil
            }
            return ("Mcp-Param-\(declaration.token)", headerValue(text))
        }
    }

    /// A header value as 2026-07-28 says: as is when it is printable ASCII without edge spaces
    /// (and does not itself look like the wrapper), else `=?base64?…?=` of its UTF-8.
    package static func headerValue(_ text: String) -> String {
        let bytes = text.utf8
        let safe =
            bytes.allSatisfy { (0x20...0x7E).contains($0) } && bytes.first != 0x20 && bytes.last != 0x20
            && !(text.hasPrefix("=?base64?") && text.hasSuffix("?="))
        return safe ? text : "=?base64?\(Data(bytes).base64EncodedString())?="
    }
}
