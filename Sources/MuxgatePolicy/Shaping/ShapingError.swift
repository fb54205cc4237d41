import MuxgateConfig
import MuxgateWire

/// A tool call that muxgate refuses because of the operator's shaping rules.
///
/// The router answers it as JSON-RPC invalid params (-32602) with `description` as the message.
package struct ShapingError: Error, Sendable, CustomStringConvertible {
    package enum Code: String, Sendable {
        /// The call supplies an argument the operator pins (`value` with `hide: true`).
        case operatorArgument = "argument set by the operator"
        /// `arguments` is present but not an object.
        case argumentsNotObject = "arguments not an object"
    }

    package let code: Code
    package let server: String
    /// The child's name of the tool.
    package let tool: String
    package let message: String

    package init(_ code: Code, server: String, tool: String, message: String) {
        self.code = code
        self.server = server
        self.tool = tool
        self.message = message
    }

    package var description: String { message }
}
