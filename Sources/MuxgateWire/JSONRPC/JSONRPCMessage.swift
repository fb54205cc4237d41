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
    /// Whether the parse looked for repeated keys (`parse(_:oneReading:)`), and where the first
    /// repeated key starts when it found one.
    package private(set) var keysChecked = false
    package private(set) var repeatedKeyOffset: Int?

    /// The message's bytes exactly as received.
    package var bytes: [UInt8] { root.buffer }

    /// Parses one line.
    ///
    /// - Throws: `Invalid` with -32700 for bad JSON and -32600 for a value that is not a JSON-RPC
    ///   2.0 message (batches included: they exist only in 2025-03-26, which muxgate does not batch).
    /// - Parameter oneReading: Look for an object that repeats a key, at any depth, in the same
    ///   pass (`repeatedKeyOffset`): what an IDE's message is checked for.
    package static func parse(_ line: [UInt8], oneReading: Bool = false) throws(Invalid) -> JSONRPCMessage {
        var message = try parse(line, distinctKeys: oneReading)
        message.keysChecked = oneReading
        return message
    }

    private static func parse(_ line: [UInt8], distinctKeys: Bool) throws(Invalid) -> JSONRPCMessage {
        let root: JSONSlice
        var repeated: Int?
        do {
            root = try JSONSlice.parse(line, distinctKeys: distinctKeys)
        } catch {
            guard error.reason == .duplicateKey else {
                throw Invalid(error: .parseError("Parse error: \(error)"), id: nil)
            }
            // Valid JSON read two ways: parsed again without the check, and marked.
            repeated = error.offset
            do {
                root = try JSONSlice.parse(line)
            } catch {
                throw Invalid(error: .parseError("Parse error: \(error)"), id: nil)
            }
        }
        var message = try envelope(root)
        message.repeatedKeyOffset = repeated
        return message
    }

    /// The envelope of a parsed value.
    private static func envelope(_ root: JSONSlice) throws(Invalid) -> JSONRPCMessage {
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
        // Keys compared as written (decoded only when escaped): every message passes here.
        root.forEachRawMember { raw, value in
            let member =
                EnvelopeMember.named(raw)
                ?? (raw.contains(UInt8(ascii: "\\")) ? EnvelopeMember(rawValue: JSONSlice.decodeString(raw)) : nil)
            switch member {
            case .jsonrpc: version = value
            case .id: id = value
            case .method: method = value
            case .params: params = value
            case .result: result = value
            case .error: error = value
            case nil: break
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

/// The members of a JSON-RPC envelope muxgate reads.
private enum EnvelopeMember: String {
    case jsonrpc, id, method, params, result, error

    /// The member a key written without escapes names: by its length, then its bytes.
    package static func named(_ raw: UnsafeBufferPointer<UInt8>) -> EnvelopeMember? {
        let candidate: (EnvelopeMember, StaticString)
        switch raw.count {
        case 2: candidate = (.id, "id")
        case 5: candidate = (.error, "error")
        case 6:
            switch raw[0] {
            case UInt8(ascii: "m"): candidate = (.method, "method")
            case UInt8(ascii: "p"): candidate = (.params, "params")
            case UInt8(ascii: "r"): candidate = (.result, "result")
            default: return nil
            }
        case 7: candidate = (.jsonrpc, "jsonrpc")
        default: return nil
        }
        let expected = UnsafeBufferPointer(start: candidate.1.utf8Start, count: candidate.1.utf8CodeUnitCount)
        return JSONSlice.sameBytes(raw, expected) ? candidate.0 : nil
    }
}
