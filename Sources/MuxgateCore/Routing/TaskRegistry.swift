import Synchronization

/// Which child runs each task (2025-11-25 `tasks`), under the id the IDE sees.
///
/// A child's task id passes unchanged unless another child already has a task of that id; then
/// the IDE sees `muxgate:SERVER:ID`. Ids are registered from the child's `CreateTaskResult`, its
/// `notifications/tasks/status` and `tasks/list` results, whichever muxgate sees first.
package final class TaskRegistry: Sendable {
    private struct State {
        var byExposed: [String: (server: String, id: String)] = [:]
        var byOriginal: [String: [String: String]] = [:]
    }

    private let state = Mutex(State())

    package init() {}

    /// The id the IDE sees for `id` of `server` (registered on first sight).
    package func expose(_ id: String, of server: String) -> String {
        state.withLock { state in
            if let exposed = state.byOriginal[server]?[id] { return exposed }
            let exposed = state.byExposed[id] == nil ? id : "muxgate:\(server):\(id)"
            state.byExposed[exposed] = (server, id)
            state.byOriginal[server, default: [:]][id] = exposed
            return exposed
        }
    }

    /// The child and its own id for an id the IDE sent; nil for a task muxgate never saw.
    package func route(_ exposed: String) -> (server: String, id: String)? {
        state.withLock { $0.byExposed[exposed] }
    }

    /// Edits that rename the child's task id at `slice` (a JSON string) to the exposed one.
    package func exposing(_ slice: JSONSlice?, of server: String, into splice: inout JSONSplice) {
        guard let slice, let id = slice.string else { return }
        let exposed = expose(id, of: server)
        if exposed != id { splice.replace(slice.range, with: JSONValue.quoted(exposed)) }
    }
}
