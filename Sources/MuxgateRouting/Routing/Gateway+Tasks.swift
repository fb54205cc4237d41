import Logging
import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
package import MuxgateWire
import Synchronization

/// Tasks (2025-11-25): `tasks/get`, `tasks/result` and `tasks/cancel` go to the child that runs
/// the task; `tasks/list` gathers every child's.
extension Gateway {
    package func routeTask(_ message: JSONRPCMessage, id: [UInt8], session: ClientSession) -> (
        @Sendable () async -> Void
    )? {
        guard let slice = message.params?["taskId"], let exposed = slice.string else {
            session.respond(
                to: id,
                JSONRPC.error(id: id, .invalidParams("Invalid params: \(message.method!) needs a string 'taskId'"))
            )
            return nil
        }
        guard let (server, original) = tasks.route(exposed, for: taskOwner(session)),
            let child = self.child(server, for: session)
        else {
            session.respond(to: id, JSONRPC.error(id: id, .invalidParams("Unknown task: \(exposed)")))
            return nil
        }
        var edits = JSONSplice()
        if original != exposed { edits.replace(slice.range, with: JSONValue.quoted(original)) }
        let forwarding = Forwarding(message: message, id: id, session: session, child: child, edits: edits) {
            [tasks] response in
            var answer = JSONSplice()
            // tasks/get and tasks/cancel answer with the task; tasks/result names it in _meta.
            tasks.exposing(response.result?["taskId"], of: server, into: &answer)
            let related = response.result?["_meta"]?["io.modelcontextprotocol/related-task"]
            tasks.exposing(related?["taskId"], of: server, into: &answer)
            return answer
        }
        return { [self] in await forward(forwarding) }
    }

    /// Every running child's tasks that offers `tasks.list`, in one page, ids as the IDE knows them.
    package func listTasks(_ message: JSONRPCMessage, id: [UInt8], session: ClientSession) async {
        let children = children(for: session).filter {
            $0.phase == .ready && $0.serverHello?.capabilities["tasks"]?["list"] != nil
        }
        let lists = await withTaskGroup(of: (String, [JSONSlice]).self) { group in
            for child in children {
                group.addTask {
                    let items = try? await child.listAll("tasks/list", key: "tasks")
                    return (child.name, items ?? [])
                }
            }
            var lists: [String: [JSONSlice]] = [:]
            for await (server, items) in group { lists[server] = items }
            return lists
        }
        var items: [JSONValue] = []
        let owner = taskOwner(session)
        for server in lists.keys.sorted() {
            for task in lists[server]! {
                var edits = JSONSplice()
                tasks.exposing(task["taskId"], of: server, into: &edits)
                // Team mode: another session's tasks (or one no call of this session made) stay hidden.
                guard let id = task["taskId"]?.string, tasks.isVisible(tasks.expose(id, of: server), to: owner)
                else { continue }
                items.append(.raw(ArraySlice(edits.apply(to: task.buffer, within: task.range))))
            }
        }
        session.sendResult(id: id, .object([("tasks", .array(items))]))
    }
}
