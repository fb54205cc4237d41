import Logging

/// The common `tools/call` handled on the thread that read it, without a task.
///
/// Profiling put most of a call's cost in hand-offs between threads and tasks (stdin thread →
/// front task → gateway actor → a task per call → the child's reader thread → that task again).
/// A call to a known tool of a ready child, from an IDE in the `initialize` era, is planned
/// (shaping, policy, decision audit) and written to the child right on the stdin thread, and
/// answered and audited on the child's reader thread. Everything else — an `ask`, a child that is
/// not ready, a name not yet known, a 2026-07-28 IDE or child — takes the general path.
extension Gateway {
    static let callMethod = Array("tools/call".utf8)

    /// Whether `line` contains the bytes `tools/call`. A plain loop: the generic
    /// `firstRange(of:)` instantiated type metadata on every call and cost a third of the fast path.
    static func mentionsCall(_ line: [UInt8]) -> Bool {
        line.withUnsafeBufferPointer { haystack in
            callMethod.withUnsafeBufferPointer { needle in
                guard haystack.count >= needle.count else { return false }
                var start = 0
                while start <= haystack.count - needle.count {
                    if haystack[start] == needle[0] {
                        var matched = 1
                        while matched < needle.count, haystack[start + matched] == needle[matched] { matched += 1 }
                        if matched == needle.count { return true }
                    }
                    start += 1
                }
                return false
            }
        }
    }

    /// Handles `line` if it is such a call; false when the general path must.
    package nonisolated func fastPath(_ line: [UInt8], from session: ClientSession) -> Bool {
        // A byte search first: every other line is validated once, by the gateway, not twice.
        guard !session.modern, Self.mentionsCall(line), let message = try? JSONRPCMessage.parse(line, oneReading: true),
            message.kind == .request,
            message.method == "tools/call", let name = message.params?["name"]?.string,
            let entry = published.withLock({ $0[name] }), let child = child(entry.server, for: session, make: false),
            !child.isModern, child.phase == .ready,
            // Two readings of one request: the general path refuses it.
            message.repeatedKeyOffset == nil
        else { return false }
        let id = Array(message.id!.bytes)
        // A duplicate of an id in flight goes the general way, which refuses it.
        guard let claim = session.activeIDs.claim(id) else { return false }
        if session.telemetry != nil { session.observe(message, id: id) }
        proceed(
            with: plan(message, id: id, session: session, entry: entry, child: child),
            message,
            id: id,
            session: session,
            claim: claim,
            entry: entry,
            child: child
        )
        return true
    }

    /// Carries out a fast-path call's plan: here for a read, on the audit log's thread once a
    /// durable decision is on disk.
    private nonisolated func proceed(
        with planned: CallPlan,
        _ message: JSONRPCMessage,
        id: [UInt8],
        session: ClientSession,
        claim: UInt64,
        entry: NamedCatalogue.Entry,
        child: ChildServer
    ) {
        let done: @Sendable () -> Void = { session.finished(id, claim: claim) }
        switch planned {
        case .answered:
            done()
        case .waiting(let pending):
            pending.then { [self] in
                proceed(with: $0, message, id: id, session: session, claim: claim, entry: entry, child: child)
            }
        case .ask(let call, let decision):
            Task {
                await self.settleAndForward(call, decision, message: message, id: id, session: session)
                done()
            }
        case .forward(let call):
            let started = ContinuousClock.now
            let server = entry.server
            let answerEdits = exposeTask(of: server, for: session)
            let tracked = trackedLine(message, session: session, to: server, edits: call.splice)
            // The answer needs only the request's id of the message: one reference to keep, not
            // every slice of it.
            let requestID = message.id
            let sent = child.send(
                "tools/call",
                build: tracked.build,
                completion: { [self] result in
                    session.inFlight.withLock { _ = $0.removeValue(forKey: id) }
                    tracked.release()
                    let outcome = deliver(
                        result,
                        id: id,
                        session: session,
                        method: "tools/call",
                        server: server,
                        answerEdits: answerEdits
                    )
                    recordOutcome(outcome, of: entry, requestID: requestID, session: session, since: started)
                    // An answer freed the id already (`respond`); only a call that ended without
                    // one (cancelled by the IDE) still holds it.
                    if outcome.kind == .cancelled { done() }
                }
            )
            if !sent {
                // The child stopped being ready meanwhile: the general path restarts it.
                session.inFlight.withLock { _ = $0.removeValue(forKey: id) }
                tracked.release()
                Task {
                    await self.forward(call, message: message, id: id, session: session)
                    done()
                }
            }
        }
    }
}
