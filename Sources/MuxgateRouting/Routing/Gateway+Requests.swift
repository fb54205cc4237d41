import Logging
import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
package import MuxgateWire
import Synchronization

/// Requests routed to one child other than tool calls: prompts, resources, completions, logging.
extension Gateway {
    package func getPrompt(_ message: JSONRPCMessage, id: [UInt8], session: ClientSession) -> (
        @Sendable () async -> Void
    )? {
        guard let nameSlice = message.params?["name"], let name = nameSlice.string else {
            session.respond(
                to: id,
                JSONRPC.error(id: id, .invalidParams("Invalid params: prompts/get needs a string 'name'"))
            )
            return nil
        }
        return { [self] in
            guard let entry = await resolvePrompt(name), let child = self.child(entry.server, for: session) else {
                session.respond(to: id, JSONRPC.error(id: id, .invalidParams("Unknown prompt: \(name)")))
                return
            }
            var splice = JSONSplice()
            splice.replace(nameSlice.range, with: JSONValue.quoted(entry.originalName))
            await forward(Forwarding(message: message, id: id, session: session, child: child, edits: splice))
        }
    }

    /// `resources/read`, `subscribe` and `unsubscribe`: to the child that owns the URI, unchanged.
    package func routeByURI(_ message: JSONRPCMessage, id: [UInt8], session: ClientSession) -> (
        @Sendable () async -> Void
    )? {
        guard let uri = message.params?["uri"]?.string else {
            session.respond(
                to: id,
                JSONRPC.error(id: id, .invalidParams("Invalid params: \(message.method!) needs a string 'uri'"))
            )
            return nil
        }
        return { [self] in
            guard let (server, original) = await resolveResource(uri), let child = self.child(server, for: session)
            else {
                // 2026-07-28 moved "resource not found" from -32002 to -32602.
                let code = modern ? JSONRPCError.Code.invalidParams : JSONRPCError.Code.resourceNotFound
                session.respond(
                    to: id,
                    JSONRPC.error(id: id, JSONRPCError(code: code, message: "Resource not found: \(uri)"))
                )
                return
            }
            var edits = JSONSplice()
            if original != uri, let slice = message.params?["uri"] {
                edits.replace(slice.range, with: JSONValue.quoted(original))
            }
            let namespaced = namespacedURIs.withLock { $0[server] ?? [] }
            let forwarding = Forwarding(message: message, id: id, session: session, child: child, edits: edits) {
                response in
                // The contents name the URI the IDE asked for, not the child's own.
                var answer = JSONSplice()
                for item in response.result?["contents"]?.elements ?? [] {
                    guard let slice = item["uri"], let text = slice.string, namespaced.contains(text) else { continue }
                    answer.replace(
                        slice.range,
                        with: JSONValue.quoted(ResourceCatalogue.namespaced(text, server: server))
                    )
                }
                return answer
            }
            await forward(forwarding)
        }
    }

    /// `completion/complete`: routed by its reference (a prompt's exposed name, or a resource URI).
    package func complete(_ message: JSONRPCMessage, id: [UInt8], session: ClientSession) -> (
        @Sendable () async -> Void
    )? {
        guard let reference = message.params?["ref"], let type = reference["type"]?.string else {
            session.respond(
                to: id,
                JSONRPC.error(id: id, .invalidParams("Invalid params: completion/complete needs a 'ref'"))
            )
            return nil
        }
        return { [self] in
            var splice = JSONSplice()
            let server: String?
            switch type {
            case "ref/prompt":
                let nameSlice = reference["name"]
                let entry = await resolvePrompt(nameSlice?.string ?? "")
                if let entry, let nameSlice {
                    splice.replace(nameSlice.range, with: JSONValue.quoted(entry.originalName))
                }
                server = entry?.server
            case "ref/resource":
                let route = await resolveResource(reference["uri"]?.string ?? "")
                if let route, let slice = reference["uri"], slice.string != route.uri {
                    splice.replace(slice.range, with: JSONValue.quoted(route.uri))
                }
                server = route?.server
            default:
                server = nil
            }
            guard let server, let child = self.child(server, for: session) else {
                session.respond(to: id, JSONRPC.error(id: id, .invalidParams("Unknown reference: \(reference.text)")))
                return
            }
            await forward(Forwarding(message: message, id: id, session: session, child: child, edits: splice))
        }
    }

    /// `logging/setLevel`: every ready child that offers logging gets it; 2026-07-28 children get
    /// it as the opt-in on every request from now on; muxgate answers at once.
    package func setLevel(_ message: JSONRPCMessage, id: [UInt8], session: ClientSession) {
        guard let name = message.params?["level"]?.string, let level = LogLevel(rawValue: name) else {
            session.respond(
                to: id,
                JSONRPC.error(
                    id: id,
                    .invalidParams(
                        "Invalid params: logging/setLevel needs a 'level', one of \(LogLevel.names); got \(message.params?["level"]?.text ?? "none")"
                    )
                )
            )
            return
        }
        session.logging.setRequested(level)
        // Shared children of team mode log at the lowest level any session asked for; each session
        // gets the lines at its own level or higher.
        var params = message.params
        if routes.only == nil, let lowest = routes.all.compactMap(\.logging.stamp).min(), lowest < level {
            params = try? JSONSlice.parse(JSONValue.object([("level", .string(lowest.rawValue))]).encoded)
        }
        for child in children
        where child.phase == .ready && !child.isModern && child.serverHello?.capabilities["logging"] != nil {
            child.notifyRequest(method: "logging/setLevel", params: params)
        }
        // A session's own children log at its level alone.
        for child in session.ownChildren.withLock({ Array($0.values) })
        where child.phase == .ready && !child.isModern && child.serverHello?.capabilities["logging"] != nil {
            child.notifyRequest(method: "logging/setLevel", params: message.params)
        }
        session.sendResult(id: id, .object([]))
    }
}
