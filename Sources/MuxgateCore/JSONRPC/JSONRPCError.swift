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

    package static func parseError(_ message: String) -> Self { .init(code: -32700, message: message) }
    package static func invalidRequest(_ message: String) -> Self { .init(code: -32600, message: message) }
    package static func methodNotFound(_ method: String) -> Self {
        .init(code: -32601, message: "Method not found: \(method)")
    }
    package static func invalidParams(_ message: String) -> Self { .init(code: -32602, message: message) }
    package static func internalError(_ message: String) -> Self { .init(code: -32603, message: message) }
    /// A child server is not available (not started, exited, timed out): an implementation-defined code.
    package static func serverUnavailable(_ message: String) -> Self { .init(code: -32000, message: message) }
    /// A request that ran past its deadline.
    package static func timeout(_ message: String) -> Self { .init(code: -32001, message: message) }

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
