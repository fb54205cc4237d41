/// A JSON-RPC error object as it travels on the wire: code, message and optional data.
package struct JSONRPCError: Error, Sendable, CustomStringConvertible {
    package let code: Int
    package let message: String
    package let data: JSONValue?

    package init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    /// The codes muxgate writes and reads, by name: JSON-RPC's own, MCP's, and muxgate's
    /// implementation-defined ones (-32000 to -32099).
    package enum Code {
        package static let parseError = -32700
        package static let invalidRequest = -32600
        package static let methodNotFound = -32601
        package static let invalidParams = -32602
        package static let internalError = -32603
        /// A child server is not available (not started, exited, stopped).
        package static let serverUnavailable = -32000
        /// A request that ran past its deadline.
        package static let timeout = -32001
        /// MCP before 2026-07-28: no resource has that URI (2026-07-28 says `invalidParams`).
        package static let resourceNotFound = -32002
        /// MCP 2026-07-28: a request names a protocol version the server does not speak.
        package static let unsupportedProtocolVersion = -32022
    }

    package static func parseError(_ message: String) -> Self { .init(code: Code.parseError, message: message) }
    package static func invalidRequest(_ message: String) -> Self { .init(code: Code.invalidRequest, message: message) }
    package static func methodNotFound(_ method: String) -> Self {
        .init(code: Code.methodNotFound, message: "Method not found: \(method)")
    }
    package static func invalidParams(_ message: String) -> Self { .init(code: Code.invalidParams, message: message) }
    package static func internalError(_ message: String) -> Self { .init(code: Code.internalError, message: message) }
    /// A child server is not available (not started, exited, timed out): an implementation-defined code.
    package static func serverUnavailable(_ message: String) -> Self {
        .init(code: Code.serverUnavailable, message: message)
    }
    /// A request that ran past its deadline.
    package static func timeout(_ message: String) -> Self { .init(code: Code.timeout, message: message) }

    /// The wire form: the sink of every error muxgate writes to an IDE, so its message (which may
    /// quote a child's stderr or an HTTP body) and a string `data` are scrubbed of every known secret.
    package var value: JSONValue {
        var members: [(String, JSONValue)] = [
            ("code", .int(code)), ("message", .string(Secrets.shared.scrub(message))),
        ]
        if let data {
            if case .string(let text) = data {
                members.append(("data", .string(Secrets.shared.scrub(text))))
            } else {
                members.append(("data", data))
            }
        }
        return .object(members)
    }

    package var description: String { "\(message) (\(code))" }
}
