import Dispatch
import MuxgateAudit
import MuxgateCLI
package import MuxgateChildren
import MuxgateCommands
import MuxgateConfig
import MuxgatePolicy
import MuxgateRemote
import MuxgateRouting
import MuxgateTeam
import MuxgateTelemetry
package import MuxgateWire

/// A child MCP server that lives in memory, for tests of the gate that start no process: it
/// answers the handshake, lists the tools, prompts, resources and templates it was given, echoes
/// a call's arguments, and records every message it receives — the oracle for "this never
/// reached the child".
package final class MemoryChild: ChildTransport {
    /// One tool it lists: a name, and the annotations it claims (nil: none).
    package struct Tool: Sendable {
        package let name: String
        package let readOnly: Bool?
        package let description: String?

        package init(_ name: String, readOnly: Bool? = nil, description: String? = nil) {
            self.name = name
            self.readOnly = readOnly
            self.description = description
        }
    }

    package let name: String
    let tools: [Tool]
    let prompts: [String]
    let resources: [String]
    let templates: [String]
    private let log = Locked<[JSONRPCMessage]>([])
    /// Answers go out on their own queue, as a real child's would (never inside muxgate's write).
    private let queue: DispatchQueue
    /// Told of every message as it arrives, before it is answered.
    private let onReceive: @Sendable (JSONRPCMessage) -> Void

    package init(
        _ name: String,
        tools: [Tool],
        prompts: [String] = [],
        resources: [String] = [],
        templates: [String] = [],
        onReceive: @escaping @Sendable (JSONRPCMessage) -> Void = { _ in }
    ) {
        self.onReceive = onReceive
        self.name = name
        self.tools = tools
        self.prompts = prompts
        self.resources = resources
        self.templates = templates
        queue = DispatchQueue(label: "memory-child.\(name)")
    }

    package var summary: String { "memory child \(name)" }

    /// Everything muxgate sent it, in order.
    package var received: [JSONRPCMessage] { log.withLock { $0 } }

    /// The requests it received of `method` (the handshake's and lists' included).
    package func received(_ method: String) -> [JSONRPCMessage] { received.filter { $0.method == method } }

    package func run(_ link: ChildLink, stopping: Latch) async -> ConnectionEnd {
        link.attach(Outbox { [self] line in take(line, link) })
        link.started(nil)
        await stopping.wait()
        return ConnectionEnd("stopped")
    }

    private func take(_ framed: [UInt8], _ link: ChildLink) {
        let line = Array(framed.prefix { $0 != 0x0A })
        guard let message = try? JSONRPCMessage.parse(line) else { return }
        log.withLock { $0.append(message) }
        onReceive(message)
        guard message.kind == .request, let id = message.id, let answer = answer(message) else { return }
        let reply = JSONRPC.result(id: Array(id.bytes), answer)
        queue.async { link.batch { link.receive(reply) } }
    }

    private func answer(_ message: JSONRPCMessage) -> JSONValue? {
        switch message.method {
        case "initialize":
            var capabilities: [(String, JSONValue)] = [("tools", .object([]))]
            if !prompts.isEmpty { capabilities.append(("prompts", .object([]))) }
            if !resources.isEmpty || !templates.isEmpty {
                capabilities.append(("resources", .object([("subscribe", .bool(true))])))
            }
            capabilities.append(("completions", .object([])))
            return .object([
                ("protocolVersion", .string(message.params?["protocolVersion"]?.string ?? "2025-06-18")),
                ("capabilities", .object(capabilities)),
                ("serverInfo", .object([("name", .string(name)), ("version", .string("1"))])),
            ])
        case "tools/list":
            return .object([("tools", .array(tools.map(Self.definition)))])
        case "prompts/list":
            return .object([("prompts", .array(prompts.map { .object([("name", .string($0))]) }))])
        case "resources/list":
            return .object([
                ("resources", .array(resources.map { .object([("uri", .string($0)), ("name", .string($0))]) }))
            ])
        case "resources/templates/list":
            return .object([
                (
                    "resourceTemplates",
                    .array(templates.map { .object([("uriTemplate", .string($0)), ("name", .string($0))]) })
                )
            ])
        case "tools/call":
            let arguments = message.params?["arguments"]?.text ?? "{}"
            return .object([("content", .array([.object([("type", .string("text")), ("text", .string(arguments))])]))])
        case "completion/complete":
            return .object([("completion", .object([("values", .array([]))]))])
        default:
            return .object([])
        }
    }

    private static func definition(_ tool: Tool) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("name", .string(tool.name)),
            ("inputSchema", .object([("type", .string("object"))])),
        ]
        if let description = tool.description { members.append(("description", .string(description))) }
        if let readOnly = tool.readOnly {
            members.append(("annotations", .object([("readOnlyHint", .bool(readOnly))])))
        }
        return .object(members)
    }

    /// Where muxgate's lines go: straight to the child's handler.
    private final class Outbox: ChildOutbox {
        let deliver: @Sendable ([UInt8]) -> Void

        init(_ deliver: @escaping @Sendable ([UInt8]) -> Void) {
            self.deliver = deliver
        }

        func write(_ bytes: [UInt8], limit: Int) -> Bool {
            deliver(bytes)
            return true
        }

        var queuedBytes: Int { 0 }

        func finish() {}
    }
}

extension ChildTransports {
    /// Each configured server is the memory child of the same name (a server without one fails
    /// the test that forgot it).
    package static func memory(_ children: [MemoryChild]) -> ChildTransports {
        let byName = Dictionary(uniqueKeysWithValues: children.map { ($0.name, $0) })
        return ChildTransports { config, _ in
            guard let child = byName[config.name] else { preconditionFailure("no memory child for \(config.name)") }
            return child
        }
    }
}
