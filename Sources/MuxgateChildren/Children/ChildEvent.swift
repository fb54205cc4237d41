import MuxgateAudit
import MuxgateConfig
import MuxgatePolicy
package import MuxgateWire

/// An event and the child instance it comes from (a reload can replace a child by one of the same
/// name: the gateway tells them apart by instance).
package struct ChildReport: Sendable {
    package let child: ChildServer
    package let event: ChildEvent
}

/// What a child reports to the gateway.
package enum ChildEvent: Sendable {
    /// The child finished its handshake, or some of its lists changed: the catalogues must be rebuilt.
    case listsChanged(server: String, kinds: [ListKind])
    /// The child finished its handshake (its lists follow as `listsChanged`).
    case started(server: String, pid: Int32?)
    /// The child left the ready state (exited, failed to start): its tools are gone for now.
    case unavailable(server: String, reason: String, failed: Bool)
    /// A notification from the child, to forward (after translation) to the IDE.
    case notification(server: String, JSONRPCMessage)
    /// A request from the child to the client (sampling, elicitation, roots, ping).
    case request(server: String, JSONRPCMessage)
}

/// What the IDE told muxgate about itself in `initialize`, handed to each child's handshake.
package struct ClientHello: Sendable {
    package var protocolVersion: String
    package var capabilities: JSONValue
    package var clientInfo: JSONValue

    package init(protocolVersion: String, capabilities: JSONValue, clientInfo: JSONValue) {
        self.protocolVersion = protocolVersion
        self.capabilities = capabilities
        self.clientInfo = clientInfo
    }

    /// muxgate introducing itself, for commands that run without an IDE (`tools`, `check`).
    package static let standalone = ClientHello(
        protocolVersion: ProtocolVersion.latest,
        capabilities: .object([]),
        clientInfo: .object([("name", .string("muxgate")), ("version", .string(MuxgateVersion.current))])
    )
}

/// What a child said about itself in its `initialize` result.
package struct ServerHello: Sendable {
    package let protocolVersion: String
    package let capabilities: JSONSlice
    package let serverInfo: JSONSlice?
    package let instructions: String?

    package func offers(_ kind: ListKind) -> Bool { capabilities[kind.capability] != nil }
}
