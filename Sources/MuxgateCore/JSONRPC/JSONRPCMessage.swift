/// One JSON-RPC 2.0 message, validated and indexed at its top level only.
///
/// The envelope's members (`id`, `method`, `params`, `result`, `error`) are located, and the rest
/// of the message stays as bytes. Rewriting produces a new buffer where only the named spans
/// changed.
package struct JSONRPCMessage: Sendable {
    package enum Kind: Sendable, Equatable {
        case request, notification, response
    }

    /// A message that is not valid JSON-RPC, with the error to answer and the id if one was readable.
    package struct Invalid: Error, Sendable {
        package let error: JSONRPCError
        package let id: JSONSlice?
    }

    package let root: JSONSlice
    package let kind: Kind
    package let id: JSONSlice?
    package let method: String?
    package let params: JSONSlice?
    package let result: JSONSlice?
    package let error: JSONSlice?

    /// The message's bytes exactly as received.
    package var bytes: [UInt8] { root.buffer }

    /// Parses one line.
    ///
    /// - Throws: `Invalid` with -32700 for bad JSON and -32600 for a value that is not a JSON-RPC
    ///   2.0 message (batches included: they exist only in 2025-03-26, which muxgate does not batch).
    package static func parse(_ line: [UInt8]) throws(Invalid) -> JSONRPCMessage {
        let root: JSONSlice
        do {
            root = try JSONSlice.parse(line)
        } catch {
            throw Invalid(error: .parseError("Parse error: \(error)"), id: nil)
        }
        guard root.kind == .object else {
            let what = root.kind == .array ? "batches are not supported" : "a message must be a JSON object"
            throw Invalid(error: .invalidRequest("Invalid Request: \(what)"), id: nil)
        }
        var version: JSONSlice?
        var id: JSONSlice?
        var method: JSONSlice?
        var params: JSONSlice?
        var result: JSONSlice?
        var error: JSONSlice?
        root.forEachMember { member in
            switch member.key {
            case "jsonrpc": version = member.value
            case "id": id = member.value
            case "method": method = member.value
            case "params": params = member.value
            case "result": result = member.value
            case "error": error = member.value
            default: break
            }
            return true
        }
        if let id, !(id.kind == .string || id.isIntegerLiteral || (id.kind == .null && error != nil)) {
            throw Invalid(error: .invalidRequest("Invalid Request: id must be a string or an integer"), id: nil)
        }
        guard version?.string == "2.0" else {
            throw Invalid(error: .invalidRequest("Invalid Request: \"jsonrpc\" must be \"2.0\""), id: id)
        }
        if let method {
            guard let name = method.string else {
                throw Invalid(error: .invalidRequest("Invalid Request: method must be a string"), id: id)
            }
            if let params, params.kind != .object && params.kind != .array {
                throw Invalid(error: .invalidRequest("Invalid Request: params must be an object or array"), id: id)
            }
            return JSONRPCMessage(
                root: root,
                kind: id == nil ? .notification : .request,
                id: id,
                method: name,
                params: params,
                result: nil,
                error: nil
            )
        }
        guard let id else {
            throw Invalid(error: .invalidRequest("Invalid Request: neither a request nor a response"), id: nil)
        }
        guard (result == nil) != (error == nil) else {
            throw Invalid(
                error: .invalidRequest("Invalid Request: a response needs exactly one of result and error"),
                id: id
            )
        }
        if let error, error.kind != .object || error["code"]?.isIntegerLiteral != true {
            throw Invalid(
                error: .invalidRequest("Invalid Request: error must be an object with an integer code"),
                id: id
            )
        }
        return JSONRPCMessage(
            root: root,
            kind: .response,
            id: id,
            method: nil,
            params: nil,
            result: result,
            error: error
        )
    }

    /// This message with its `id` replaced by `newID` (raw JSON) and any further edits applied.
    package func rewritten(id newID: [UInt8], _ edits: JSONSplice = JSONSplice()) -> [UInt8] {
        var splice = edits
        if let id { splice.replace(id.range, with: newID) }
        return splice.apply(to: root.buffer)
    }
}

/// Builders for the messages muxgate writes itself.
package enum JSONRPC {
    package static func request(id: [UInt8], method: String, params: JSONValue?) -> [UInt8] {
        var members: [(String, JSONValue)] = [
            ("jsonrpc", .string("2.0")), ("id", .raw(id[...])), ("method", .string(method)),
        ]
        if let params { members.append(("params", params)) }
        return JSONValue.object(members).encoded
    }

    package static func notification(method: String, params: JSONValue?) -> [UInt8] {
        var members: [(String, JSONValue)] = [("jsonrpc", .string("2.0")), ("method", .string(method))]
        if let params { members.append(("params", params)) }
        return JSONValue.object(members).encoded
    }

    package static func result(id: [UInt8], _ result: JSONValue) -> [UInt8] {
        JSONValue.object([("jsonrpc", .string("2.0")), ("id", .raw(id[...])), ("result", result)]).encoded
    }

    /// An error response; `id` nil writes `"id":null` (the request's id could not be read).
    package static func error(id: [UInt8]?, _ error: JSONRPCError) -> [UInt8] {
        let idValue: JSONValue = id.map { .raw($0[...]) } ?? .null
        return JSONValue.object([("jsonrpc", .string("2.0")), ("id", idValue), ("error", error.value)]).encoded
    }
}
