import Foundation

/// The 2025-11-25 tasks utility, for `--tasks`: the `task` tool called with `params.task` answers
/// with a CreateTaskResult at once, completes, and says so in `notifications/tasks/status`; the
/// task is then readable with `tasks/get`, `tasks/result` and `tasks/list`. Task ids count from
/// `task-1` in every process, so two fixtures collide on purpose.
extension FixtureServer {
    static let taskTool =
        "{\"name\":\"task\",\"description\":\"Echo the arguments, as a task when asked\","
        + "\"inputSchema\":{\"type\":\"object\"},\"execution\":{\"taskSupport\":\"optional\"}}"

    func startTask(id: String, arguments: String) {
        let taskID = lock.withLock { () -> String in
            let taskID = "task-\(tasks.count + 1)"
            tasks.append((taskID, "working", textResult(arguments)))
            return taskID
        }
        send(resultLine(id: id, result: "{\"task\":\(taskJSON(taskID, status: "working"))}"))
        lock.withLock { tasks[tasks.count - 1].status = "completed" }
        send(
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tasks/status\",\"params\":"
                + taskJSON(taskID, status: "completed") + "}"
        )
    }

    func handleTask(_ method: String, id: String, taskID: String?) {
        if method == "tasks/list" {
            let all = lock.withLock { tasks.map { taskJSON($0.id, status: $0.status) } }
            send(resultLine(id: id, result: "{\"tasks\":[\(all.joined(separator: ","))]}"))
            return
        }
        guard let taskID, let index = lock.withLock({ tasks.firstIndex { $0.id == taskID } }) else {
            send(errorLine(id: id, code: -32602, message: "Unknown task: \(taskID ?? "none")"))
            return
        }
        switch method {
        case "tasks/result":
            let task = lock.withLock { tasks[index] }
            let meta = "\"_meta\":{\"io.modelcontextprotocol/related-task\":{\"taskId\":\(jsonString(taskID))}},"
            send(resultLine(id: id, result: "{" + meta + task.result.dropFirst()))
        case "tasks/cancel":
            lock.withLock { tasks[index].status = "cancelled" }
            send(resultLine(id: id, result: taskJSON(taskID, status: "cancelled")))
        default:
            send(resultLine(id: id, result: taskJSON(taskID, status: lock.withLock { tasks[index].status })))
        }
    }

    func taskJSON(_ taskID: String, status: String) -> String {
        "{\"taskId\":\(jsonString(taskID)),\"status\":\(jsonString(status)),"
            + "\"createdAt\":\"2026-11-28T00:00:00Z\",\"ttl\":60000,\"pollInterval\":100}"
    }
}
