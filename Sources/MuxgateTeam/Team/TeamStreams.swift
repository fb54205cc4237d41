import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateRouting
import MuxgateTelemetry
import MuxgateWire
import Synchronization

/// Where one team-mode session's messages go: each request's own exchange (the POST that made it)
/// or the session's standalone stream (its GET), so routing never sees a socket.
///
/// An answer ends its request's exchange; a progress notification or a request made on behalf of
/// a call (approval, a child's sampling) joins that call's exchange while it is open; everything
/// else goes to the standalone stream. Every stream is resumable: its events carry ids unique in
/// the session (`7` on the standalone stream, `r3.2` for the second event of exchange 3), each
/// stream keeps what it sent, and a client that lost one comes back with a GET naming the last
/// event it had (`Last-Event-ID`) and gets the rest, on the stream that id belongs to. Messages
/// sent while no stream is listening wait there too; an exchange's answer waits for its client
/// to resume even after the request is over (the last `answeredCapacity` of them).
package final class TeamStreams: MessageSink {
    /// One event of a stream.
    package enum Event: Sendable, Equatable {
        case message(id: String, line: [UInt8])
        /// An exchange's answer: the exchange ends with it.
        case answer(id: String, line: [UInt8])
        /// The stream has been open `http.max_stream_duration`: the front closes it (the client
        /// resumes with `Last-Event-ID`).
        case close
    }

    /// A stream's listener: the HTTP response writing it, while there is one.
    package typealias Listener = (serial: Int, continuation: AsyncStream<Event>.Continuation)

    /// One request's exchange: what it sent, and who listens now.
    private struct Exchange {
        package var events: [(seq: Int, line: [UInt8], answer: Bool)] = []
        /// The bytes `events` holds.
        package var bytes = 0
        package var nextSeq = 1
        package var answered = false
        package var listener: Listener?
    }

    private struct State {
        /// Exchanges by serial: the open ones and the last answered ones.
        package var exchanges: [Int: Exchange] = [:]
        /// Open exchanges by their request's id.
        package var open: [[UInt8]: Int] = [:]
        /// Answered exchanges still kept, oldest first, and the bytes they hold.
        package var answered: [Int] = []
        package var answeredBytes = 0
        package var nextExchange = 0
        /// The standalone stream's events, oldest first: (event id, message).
        package var events: [(id: UInt64, line: [UInt8])] = []
        package var eventBytes = 0
        package var nextEventID: UInt64 = 0
        /// The highest event id a standalone stream has been handed.
        package var delivered: UInt64 = 0
        package var standalone: Listener?
        package var nextListener = 0
        package var closed = false
    }

    /// Events kept per stream for a client to resume from (the oldest quarter goes when full), and
    /// the bytes they may hold (the oldest go first; an answer is kept whatever its size).
    package static let replayCapacity = 1024
    package static let replayBytes = 8 << 20
    /// Answered exchanges kept for a client whose stream broke before it read the answer, and the
    /// bytes they may hold together (the oldest go first).
    package static let answeredCapacity = 32
    package static let answeredBytes = 16 << 20
    private let state = Mutex(State())

    package init() {}

    // MARK: - Exchanges

    /// Opens the exchange of request `id` and listens to it; nil when one is open already (a
    /// duplicate id) or the session is over.
    package func openExchange(_ id: [UInt8]) -> (exchange: Int, listener: Int, stream: AsyncStream<Event>)? {
        state.withLock { state in
            guard state.open[id] == nil, !state.closed else { return nil }
            state.nextExchange += 1
            state.nextListener += 1
            let (stream, continuation) = AsyncStream.makeStream(of: Event.self)
            state.exchanges[state.nextExchange] = Exchange(listener: (state.nextListener, continuation))
            state.open[id] = state.nextExchange
            return (state.nextExchange, state.nextListener, stream)
        }
    }

    /// Whether any request's exchange is open (an idle session has none).
    package var hasOpenExchanges: Bool { state.withLock { !$0.open.isEmpty } }

    /// The id of exchange `serial`'s event `seq` (`seq` 0: before any event, a priming event's).
    package static func eventID(exchange serial: Int, seq: Int) -> String { "r\(serial).\(seq)" }

    package func send(_ message: [UInt8]) {
        standalone(message)
    }

    package func send(_ message: [UInt8], relatedTo request: [UInt8]?) {
        let sent = state.withLock { state -> Bool in
            guard let request, let serial = state.open[request] else { return false }
            Self.append(message, answer: false, to: serial, in: &state)
            return true
        }
        if !sent { standalone(message) }
    }

    package func send(answer: [UInt8], to request: [UInt8]) {
        let sent = state.withLock { state -> Bool in
            guard let serial = state.open.removeValue(forKey: request) else { return false }
            Self.append(answer, answer: true, to: serial, in: &state)
            state.exchanges[serial]?.answered = true
            state.answered.append(serial)
            state.answeredBytes += state.exchanges[serial]?.bytes ?? 0
            while state.answered.count > Self.answeredCapacity
                || (state.answeredBytes > Self.answeredBytes && state.answered.count > 1)
            {
                Self.drop(state.answered[0], in: &state)
            }
            return true
        }
        if !sent { standalone(answer) }
    }

    /// Forgets an answered exchange (the oldest kept, or one whose answer went out as JSON).
    private static func drop(_ serial: Int, in state: inout State) {
        guard let index = state.answered.firstIndex(of: serial) else { return }
        state.answered.remove(at: index)
        state.answeredBytes -= state.exchanges.removeValue(forKey: serial)?.bytes ?? 0
    }

    /// Exchange `serial` was answered with a JSON response: nothing of it can be resumed.
    package func forget(exchange serial: Int) {
        state.withLock { Self.drop(serial, in: &$0) }
    }

    /// Records an exchange's event and hands it to the listener; an answer ends the listener.
    private static func append(_ line: [UInt8], answer: Bool, to serial: Int, in state: inout State) {
        guard var exchange = state.exchanges[serial] else { return }
        let seq = exchange.nextSeq
        exchange.nextSeq += 1
        exchange.events.append((seq, line, answer))
        exchange.bytes += line.count
        if exchange.events.count > replayCapacity {
            let dropped = exchange.events.count / 4
            exchange.bytes -= exchange.events.prefix(dropped).reduce(0) { $0 + $1.line.count }
            exchange.events.removeFirst(dropped)
        }
        while exchange.bytes > replayBytes, exchange.events.count > 1 {
            exchange.bytes -= exchange.events.removeFirst().line.count
        }
        let id = eventID(exchange: serial, seq: seq)
        if let listener = exchange.listener {
            listener.continuation.yield(answer ? .answer(id: id, line: line) : .message(id: id, line: line))
            if answer {
                listener.continuation.finish()
                exchange.listener = nil
            }
        }
        state.exchanges[serial] = exchange
    }

    package func ended(unanswered request: [UInt8]) {
        let listener = state.withLock { state -> Listener? in
            guard let serial = state.open.removeValue(forKey: request) else { return nil }
            return state.exchanges.removeValue(forKey: serial)?.listener
        }
        listener?.continuation.finish()
    }

    /// The response writing exchange `serial` for `listener` ended before the answer (the client
    /// went away, or the stream was closed for its duration): its events wait for a resume.
    package func detach(exchange serial: Int, listener: Int) {
        let ended = state.withLock { state -> Listener? in
            guard let current = state.exchanges[serial]?.listener, current.serial == listener else { return nil }
            state.exchanges[serial]?.listener = nil
            return current
        }
        ended?.continuation.finish()
    }

    /// Resumes the stream event `lastEventID` belongs to, with what came after it: the rest of an
    /// exchange (ending with its answer), or the standalone stream. Nil when the id names nothing
    /// this session keeps.
    package func resume(after lastEventID: String) -> (listener: Int, exchange: Int?, stream: AsyncStream<Event>)? {
        if let id = UInt64(lastEventID) {
            return openStandalone(after: id).map { ($0.listener, nil, $0.stream) }
        }
        guard lastEventID.hasPrefix("r"), let dot = lastEventID.firstIndex(of: "."),
            let serial = Int(lastEventID[lastEventID.index(after: lastEventID.startIndex)..<dot]),
            let seq = Int(lastEventID[lastEventID.index(after: dot)...])
        else { return nil }
        let (opened, previous) = state.withLock { state -> ((Int, AsyncStream<Event>)?, Listener?) in
            guard !state.closed, var exchange = state.exchanges[serial] else { return (nil, nil) }
            state.nextListener += 1
            let (stream, continuation) = AsyncStream.makeStream(of: Event.self)
            for event in exchange.events where event.seq > seq {
                let id = Self.eventID(exchange: serial, seq: event.seq)
                continuation.yield(
                    event.answer ? .answer(id: id, line: event.line) : .message(id: id, line: event.line)
                )
            }
            // A client that resumes has lost the stream it had, noticed or not.
            let previous = exchange.listener
            exchange.listener = nil
            if exchange.answered {
                continuation.finish()
            } else {
                exchange.listener = (state.nextListener, continuation)
            }
            state.exchanges[serial] = exchange
            return ((state.nextListener, stream), previous)
        }
        previous?.continuation.finish()
        return opened.map { ($0.0, serial, $0.1) }
    }

    /// Asks listener `listener` of exchange `serial` (or of the standalone stream, nil) to close:
    /// it has been open `http.max_stream_duration`.
    package func expire(exchange serial: Int?, listener: Int) {
        state.withLock { state in
            if let serial {
                guard let current = state.exchanges[serial]?.listener, current.serial == listener else { return }
                current.continuation.yield(.close)
            } else if let current = state.standalone, current.serial == listener {
                current.continuation.yield(.close)
            }
        }
    }

    // MARK: - The standalone stream

    private func standalone(_ line: [UInt8]) {
        state.withLock { state in
            guard !state.closed else { return }
            state.nextEventID += 1
            let event = (id: state.nextEventID, line: line)
            state.events.append(event)
            state.eventBytes += line.count
            if state.events.count > Self.replayCapacity {
                let dropped = state.events.count / 4
                state.eventBytes -= state.events.prefix(dropped).reduce(0) { $0 + $1.line.count }
                state.events.removeFirst(dropped)
            }
            while state.eventBytes > Self.replayBytes, state.events.count > 1 {
                state.eventBytes -= state.events.removeFirst().line.count
            }
            if let listener = state.standalone {
                state.delivered = event.id
                listener.continuation.yield(.message(id: String(event.id), line: line))
            }
        }
    }

    /// Opens the standalone stream, replaying what came after `lastEventID` (or what no stream has
    /// had yet). A stream open already is ended: a client that reconnects has lost it (a dropped
    /// connection that sent nothing may not have been noticed yet). Nil once the session is over.
    package func openStandalone(after lastEventID: UInt64?) -> (stream: AsyncStream<Event>, listener: Int)? {
        state.withLock { state in
            guard !state.closed else { return nil }
            state.standalone?.continuation.finish()
            let (stream, continuation) = AsyncStream.makeStream(of: Event.self)
            let after = lastEventID ?? state.delivered
            for event in state.events where event.id > after {
                continuation.yield(.message(id: String(event.id), line: event.line))
            }
            state.delivered = max(state.delivered, state.events.last?.id ?? 0)
            state.nextListener += 1
            state.standalone = (state.nextListener, continuation)
            return (stream, state.nextListener)
        }
    }

    /// The standalone stream `listener` ended (the client went away).
    package func closeStandalone(_ listener: Int) {
        state.withLock { state in
            guard state.standalone?.serial == listener else { return }
            state.standalone?.continuation.finish()
            state.standalone = nil
        }
    }

    /// Ends every stream: the session is over.
    package func close() {
        let listeners = state.withLock { state -> [Listener] in
            state.closed = true
            defer {
                state.exchanges = [:]
                state.open = [:]
                state.standalone = nil
            }
            return state.exchanges.values.compactMap(\.listener) + (state.standalone.map { [$0] } ?? [])
        }
        for listener in listeners { listener.continuation.finish() }
    }
}
