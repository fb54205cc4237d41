import Foundation
import MuxgateAudit
import MuxgateCLI
import MuxgateChildren
import MuxgateCommands
import MuxgateConfig
import MuxgatePolicy
import MuxgateRemote
import MuxgateRouting
import MuxgateTeam
import MuxgateTelemetry
import MuxgateTesting
import MuxgateWire
import Testing

/// Tasks (2025-11-25): task-augmented calls and tasks/* reach the child that runs the task.
@Suite("Tasks: routed to the owning child, ids distinct across children")
struct TaskTests {
    init() async throws {
        try await TestEnvironment.shared.prepare()
    }

    @Test("two children with the same task id: each task reached under a distinct id, status and lists agree")
    func tasks() async throws {
        let harness = try Harness.start(
            "audit: { enabled: false }\nservers:\n" + Harness.fixture("a", ["--tasks", "--tools", "0"])
                + Harness.fixture("b", ["--tasks", "--tools", "0"])
        )
        defer { harness.muxgate.terminate() }
        let initialize = try await harness.initialize(version: "2025-11-25")
        #expect(initialize.result?["capabilities"]?["tasks"]?["requests"]?["tools"]?["call"] != nil)
        let (list, _) = await harness.muxgate.request(id: 1, method: "tools/list")
        let tool = list?.result?["tools"]?.elements.first { $0["name"]?.string == "a_task" }
        #expect(tool?["execution"]?.text == #"{"taskSupport":"optional"}"#, "execution passes through")

        func start(_ tool: String, id: Int) async -> (task: String?, status: String?) {
            let (answer, before) = await harness.muxgate.request(
                id: id,
                method: "tools/call",
                params: #"{"name":"\#(tool)","arguments":{"from":"\#(tool)"},"task":{"ttl":60000}}"#
            )
            var statuses = before.filter { $0.method == "notifications/tasks/status" }
            while statuses.isEmpty, let message = await harness.muxgate.nextMessage(timeout: .seconds(5)) {
                if message.method == "notifications/tasks/status" { statuses.append(message) }
            }
            return (answer?.result?["task"]?["taskId"]?.string, statuses.first?.params?["taskId"]?.string)
        }
        let first = await start("a_task", id: 2)
        let second = await start("b_task", id: 3)
        #expect(first.task == "task-1" && first.status == "task-1", "a unique id passes unchanged")
        #expect(second.task == "muxgate:b:task-1" && second.status == "muxgate:b:task-1", "\(second)")

        let result = await harness.muxgate.request(
            id: 4,
            method: "tasks/result",
            params: #"{"taskId":"muxgate:b:task-1"}"#
        ).response
        #expect(result?.firstText == #"{"from":"b_task"}"#, "routed to b: \(result?.root.text ?? "none")")
        #expect(
            result?.result?["_meta"]?["io.modelcontextprotocol/related-task"]?["taskId"]?.string
                == "muxgate:b:task-1"
        )
        let get = await harness.muxgate.request(id: 5, method: "tasks/get", params: #"{"taskId":"task-1"}"#)
        #expect(get.response?.result?["taskId"]?.string == "task-1")
        #expect(get.response?.result?["status"]?.string == "completed")
        let all = await harness.muxgate.request(id: 6, method: "tasks/list").response
        let ids = all?.result?["tasks"]?.elements.compactMap { $0["taskId"]?.string }
        #expect(ids == ["task-1", "muxgate:b:task-1"])
        let cancel = await harness.muxgate.request(
            id: 7,
            method: "tasks/cancel",
            params: #"{"taskId":"muxgate:b:task-1"}"#
        )
        #expect(cancel.response?.result?["status"]?.string == "cancelled")
        #expect(cancel.response?.result?["taskId"]?.string == "muxgate:b:task-1")
        let unknown = await harness.muxgate.request(id: 8, method: "tasks/get", params: #"{"taskId":"nope"}"#)
        #expect(unknown.response?.errorCode == -32602)
        #expect(await harness.shutDown())
    }
}
