import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
import MuxgateWire
import Synchronization

/// A log level (RFC 5424, the MCP order): a message at a level reaches who asked for it or lower.
package enum LogLevel: String, Sendable, CaseIterable, Comparable {
    case debug, info, notice, warning, error, critical, alert, emergency

    package static func < (lhs: LogLevel, rhs: LogLevel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// The names, for messages.
    package static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// What the IDE asked to hear of the children's logs, in either era, and what muxgate told the
/// children so.
///
/// - An `initialize`-era IDE asks once (`logging/setLevel`); until then a server logs as it likes.
///   A 2026-07-28 child hears it as the opt-in on every request (`stamp`): the level asked, or
///   `debug` (everything, as the child would send in the `initialize` era) before any was asked.
/// - A 2026-07-28 IDE opts in per request (`io.modelcontextprotocol/logLevel`). Its requests in
///   flight to each child are kept with their levels: a child's log line reaches the IDE only while
///   a request to that child admits its level (`admits`), and an `initialize`-era child that offers
///   logging is set to the lowest level in flight (`optIn` / `optOut` say when to change it).
package final class ClientLogging: Sendable {
    private struct State {
        /// The opt-in stamped on requests to 2026-07-28 children; nil: none (a 2026-07-28 IDE).
        package var stamp: LogLevel?
        /// Opted-in requests of a 2026-07-28 IDE in flight, per server: the IDE's raw id → level.
        package var optIns: [String: [[UInt8]: LogLevel]] = [:]
        /// The level muxgate last set on each `initialize`-era child (`logging/setLevel`).
        package var childLevels: [String: LogLevel] = [:]
    }

    private let state = Mutex(State())

    package init() {}

    /// An `initialize`-era IDE arrived: 2026-07-28 children log as `initialize`-era ones would.
    package func adoptHandshakeClient() {
        state.withLock { state in
            if state.stamp == nil { state.stamp = .debug }
        }
    }

    /// The IDE's `logging/setLevel`: from now on, the opt-in stamped on 2026-07-28 children.
    package func setRequested(_ level: LogLevel) {
        state.withLock { $0.stamp = level }
    }

    /// The opt-in for a request to a 2026-07-28 child that carries none of its own.
    package var stamp: LogLevel? { state.withLock { $0.stamp } }

    /// Whether a log line at `level` from `server` is for a request of the IDE's still in flight.
    package func admits(_ level: LogLevel?, from server: String) -> Bool {
        state.withLock { state in
            guard let requests = state.optIns[server], !requests.isEmpty else { return false }
            // A line without a known level is let through to whoever opted in at all.
            guard let level else { return true }
            return requests.values.contains { $0 <= level }
        }
    }

    /// Registers an opted-in request to `server`; returns the level to set on that
    /// (`initialize`-era) child first, when it must go lower to serve it.
    package func optIn(server: String, id: [UInt8], level: LogLevel) -> LogLevel? {
        state.withLock { state in
            state.optIns[server, default: [:]][id] = level
            guard state.childLevels[server].map({ level < $0 }) ?? true else { return nil }
            state.childLevels[server] = level
            return level
        }
    }

    /// Ends an opted-in request; returns the level to set on the child when the lowest one still
    /// in flight is higher than the one it has (nothing when none is left: its lines are dropped).
    package func optOut(server: String, id: [UInt8]) -> LogLevel? {
        state.withLock { state in
            state.optIns[server]?[id] = nil
            guard let lowest = state.optIns[server]?.values.min(), let current = state.childLevels[server],
                current < lowest
            else { return nil }
            state.childLevels[server] = lowest
            return lowest
        }
    }

    /// A child restarted (or was replaced): it has its own default level again.
    package func forget(server: String) {
        state.withLock { _ = $0.childLevels.removeValue(forKey: server) }
    }
}
