import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
package import MuxgateWire
import Synchronization

/// Which child runs each task (2025-11-25 `tasks`), under the id the IDE sees.
///
/// A child's task id passes unchanged unless another child already has a task of that id; then
/// the IDE sees `muxgate:SERVER:ID`. Ids are registered from the child's `CreateTaskResult`, its
/// `notifications/tasks/status` and `tasks/list` results, whichever muxgate sees first.
///
/// In team mode a task belongs to the session whose call created it: another session is told it
/// does not exist (`route(_:for:)`), and does not see it listed, as with any other session's data.
package final class TaskRegistry: Sendable {
    private struct State {
        package var byExposed: [String: (server: String, id: String)] = [:]
        package var byOriginal: [String: [String: String]] = [:]
        /// Team mode: the session (by label) whose call created each task, by exposed id.
        package var owners: [String: String] = [:]
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

    /// The child and its own id for an id the IDE sent; nil for a task muxgate never saw, or (with
    /// `owner`, team mode) one another session's call created.
    package func route(_ exposed: String, for owner: String? = nil) -> (server: String, id: String)? {
        state.withLock { state in
            if let owner, state.owners[exposed] != owner { return nil }
            return state.byExposed[exposed]
        }
    }

    /// Whether the task the IDE knows as `exposed` is `owner`'s (always, without an owner: stdio).
    package func isVisible(_ exposed: String, to owner: String?) -> Bool {
        guard let owner else { return true }
        return state.withLock { $0.owners[exposed] == owner }
    }

    /// Edits that rename the child's task id at `slice` (a JSON string) to the exposed one; with
    /// `owner`, a task first seen here becomes that session's (the call that created it).
    package func exposing(_ slice: JSONSlice?, of server: String, into splice: inout JSONSplice, owner: String? = nil) {
        guard let slice, let id = slice.string else { return }
        let exposed = expose(id, of: server)
        if let owner { state.withLock { if $0.owners[exposed] == nil { $0.owners[exposed] = owner } } }
        if exposed != id { splice.replace(slice.range, with: JSONValue.quoted(exposed)) }
    }
}
