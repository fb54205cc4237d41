import Logging
import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
package import MuxgateWire

/// One reading of every request: a message from an IDE that a child could read differently from
/// muxgate is refused before anything judges it, never forwarded.
///
/// Two readings come from an object that repeats a key (readers disagree on which value wins) and,
/// for a tool's arguments, from a key that differs from a declared argument only by case (Go's
/// decoder takes one for the other). Policy, argument rules, operator-set arguments and a command
/// tool's argv are then all computed from the same value the child receives.
extension Gateway {
    /// The message's first repeated key at any depth, as the reason a request is refused; nil
    /// when it has one reading.
    package nonisolated static func ambiguity(of message: JSONRPCMessage) -> String? {
        // Found while parsing when the front asked (`parse(_:oneReading:)`), else scanned now.
        let repeated =
            message.keysChecked
            ? message.repeatedKeyOffset.flatMap(message.root.duplicateKey(at:)) : message.root.firstDuplicateKey
        return repeated.map { duplicate in
            "\(duplicate); readers disagree on which value counts (the first, the last, or either), so muxgate "
                + "refuses the message rather than judge one value while the server acts on another"
        }
    }

    /// Refuses an IDE request muxgate will not read one way: -32602, after a decision record.
    ///
    /// - Parameters:
    ///   - entry: The tool it calls, when that much could be read.
    package nonisolated func refuseAmbiguous(
        _ message: JSONRPCMessage,
        id: [UInt8],
        session: ClientSession,
        entry: NamedCatalogue.Entry? = nil,
        why: String
    ) {
        let method = message.method ?? "?"
        logger.warning(
            "refused \(method) from \(session.identity.describe): \(why)",
            metadata: entry.map { ["muxgate.server": .string($0.server)] } ?? [:]
        )
        auditor?.record(
            .decision(
                requestID: message.id,
                server: entry?.server ?? "muxgate",
                tool: entry?.exposedName ?? method,
                upstreamTool: entry?.originalName,
                toolSHA256: entry?.definitionSHA256,
                scope: entry?.scope.rawValue,
                scopeSource: entry?.scopeSource.rawValue,
                decision: .deny,
                rule: "muxgate.one_reading",
                reason: why,
                args: nil,
                argsSHA256: AuditCanonical.sha256(Array(message.params?.bytes ?? [])),
                caller: session.auditCaller
            ),
            durable: true
        )
        session.respond(to: id, JSONRPC.error(id: id, .invalidParams("Invalid params: \(why)")))
    }

    /// An IDE notification or answer with two readings: dropped, or for an answer a child awaits,
    /// turned into an error so the child is not left waiting.
    ///
    /// - Returns: The message to handle in its place, or nil to drop it.
    package func unambiguous(_ message: JSONRPCMessage, _ session: ClientSession, why: String) -> JSONRPCMessage? {
        logger.warning("dropped a \(message.kind == .response ? "response" : "notification") from the client: \(why)")
        guard message.kind == .response, let id = message.id else { return nil }
        let error = JSONRPC.error(id: Array(id.bytes), .invalidParams("the client's answer was refused: \(why)"))
        return try? JSONRPCMessage.parse(error)
    }
}
