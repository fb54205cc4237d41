import Synchronization

/// Where one team-mode session's messages go: each request's own exchange (the POST that made it)
/// or the session's standalone stream (its GET), so routing never sees a socket.
///
/// An answer ends its request's exchange; a progress notification or a request made on behalf of
/// a call (approval, a child's sampling) joins that call's exchange while it is open; everything
/// else goes to the standalone stream. That stream keeps its last `replayCapacity` events with
/// their ids, so a client that lost it can come back with `Last-Event-ID` and miss nothing that
/// is still kept; messages sent while no stream is open wait there too.
final class TeamStreams: MessageSink {
    /// One event of an exchange.
    enum ExchangeEvent: Sendable {
        case message([UInt8])
        /// The answer: the exchange ends with it.
        case answer([UInt8])
    }

    private struct State {
        var exchanges: [[UInt8]: AsyncStream<ExchangeEvent>.Continuation] = [:]
        /// The standalone stream's events, oldest first: (event id, message).
        var events: [(id: UInt64, line: [UInt8])] = []
        var nextEventID: UInt64 = 0
        /// The highest event id a standalone stream has been handed.
        var delivered: UInt64 = 0
        var listener: AsyncStream<(id: UInt64, line: [UInt8])>.Continuation?
        var listenerSerial = 0
        var closed = false
    }

    static let replayCapacity = 1024
    private let state = Mutex(State())

    init() {}

    /// Opens the exchange of request `id`; nil when one is open already (a duplicate id).
    func openExchange(_ id: [UInt8]) -> AsyncStream<ExchangeEvent>? {
        state.withLock { state in
            guard state.exchanges[id] == nil, !state.closed else { return nil }
            let (stream, continuation) = AsyncStream.makeStream(of: ExchangeEvent.self)
            state.exchanges[id] = continuation
            return stream
        }
    }

    /// Whether any request's exchange is open (an idle session has none).
    var hasOpenExchanges: Bool { state.withLock { !$0.exchanges.isEmpty } }

    func send(_ message: [UInt8]) {
        standalone(message)
    }

    func send(_ message: [UInt8], relatedTo request: [UInt8]?) {
        let exchange = state.withLock { state in request.flatMap { state.exchanges[$0] } }
        guard let exchange else { return standalone(message) }
        exchange.yield(.message(message))
    }

    func send(answer: [UInt8], to request: [UInt8]) {
        let exchange = state.withLock { $0.exchanges.removeValue(forKey: request) }
        guard let exchange else { return standalone(answer) }
        exchange.yield(.answer(answer))
        exchange.finish()
    }

    func ended(unanswered request: [UInt8]) {
        state.withLock { $0.exchanges.removeValue(forKey: request) }?.finish()
    }

    private func standalone(_ line: [UInt8]) {
        state.withLock { state in
            guard !state.closed else { return }
            state.nextEventID += 1
            let event = (id: state.nextEventID, line: line)
            state.events.append(event)
            if state.events.count > Self.replayCapacity { state.events.removeFirst(state.events.count / 4) }
            if let listener = state.listener {
                state.delivered = event.id
                listener.yield(event)
            }
        }
    }

    /// Opens the standalone stream, replaying what came after `lastEventID` (or what no stream has
    /// had yet). A stream open already is ended: a client that reconnects has lost it (a dropped
    /// connection that sent nothing may not have been noticed yet). Nil once the session is over.
    func openStandalone(after lastEventID: UInt64?) -> (stream: AsyncStream<(id: UInt64, line: [UInt8])>, serial: Int)?
    {
        state.withLock { state in
            guard !state.closed else { return nil }
            state.listener?.finish()
            let (stream, continuation) = AsyncStream.makeStream(of: (id: UInt64, line: [UInt8]).self)
            let after = lastEventID ?? state.delivered
            for event in state.events where event.id > after { continuation.yield(event) }
            state.delivered = max(state.delivered, state.events.last?.id ?? 0)
            state.listener = continuation
            state.listenerSerial += 1
            return (stream, state.listenerSerial)
        }
    }

    /// The standalone stream `serial` ended (the client went away).
    func closeStandalone(_ serial: Int) {
        state.withLock { state in
            guard state.listenerSerial == serial else { return }
            state.listener?.finish()
            state.listener = nil
        }
    }

    /// Ends every stream: the session is over.
    func close() {
        let exchanges = state.withLock { state -> [AsyncStream<ExchangeEvent>.Continuation] in
            state.closed = true
            state.listener?.finish()
            state.listener = nil
            defer { state.exchanges = [:] }
            return Array(state.exchanges.values)
        }
        for exchange in exchanges { exchange.finish() }
    }
}
