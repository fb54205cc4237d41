import Logging
import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
package import MuxgateWire

/// A tool call through the gate: the same stages (`GateStage`) on both paths. The general path
/// (a task per call) resolves the tool, waiting for children that are still starting; the fast
/// path (the thread that read the line, no task) takes a known tool of a ready child. From there
/// both run `pass` (shape, judge, record) and `carryOut` (approve, forward, observe): the stages
/// exist once, and a stage that must wait (the disk, a person, the child) continues the call
/// where it stopped.
extension Gateway {
    package static let callMethod = Array("tools/call".utf8)

    /// The general path's `tools/call`: resolved (waiting for children still starting), then passed.
    package func callTool(_ message: JSONRPCMessage, id: [UInt8], session: ClientSession) -> (
        @Sendable () async -> Void
    )? {
        guard let nameSlice = message.params?["name"], let name = nameSlice.string else {
            session.respond(
                to: id,
                JSONRPC.error(id: id, .invalidParams("Invalid params: tools/call needs a string 'name'"))
            )
            return nil
        }
        // The result guard's paging tool, when some tool has a cap (`Gateway+ResultPages`).
        if isPagingTool(name, in: current) {
            readResultPage(message, id: id, session: session)
            return nil
        }
        // Discovery's meta-tools (`search_tools`, `call_tool`), for a caller whose profile has it on.
        if let meta = metaToolCall(name, message, id: id, session: session) { return meta.work }
        return { [self] in await resolveAndPass(message, name: name, id: id, session: session) }
    }

    /// `resolve` on the general path, then the stages after it: a direct call, or the call a
    /// `call_tool` stands for (the same stages, the same code).
    func resolveAndPass(_ message: JSONRPCMessage, name: String, id: [UInt8], session: ClientSession) async {
        guard let entry = await resolveTool(name), let child = self.child(entry.server, for: session) else {
            session.respond(
                to: id,
                JSONRPC.error(id: id, .invalidParams("Unknown tool: \(name)" + unavailableHint(for: name)))
            )
            return
        }
        trace?.passed(.resolve, id)
        let call = GateCall(message, id: id, session: session, entry: entry, child: child, setup: current)
        await withCheckedContinuation { (ended: CheckedContinuation<Void, Never>) in
            carryOut(pass(call)) { ended.resume() }
        }
    }

    /// The fast path's `tools/call`: handled on the thread that read it when the tool is known and
    /// its child ready, from an IDE and a child of the `initialize` era; false when the general
    /// path must (a name not known yet, a child to start, 2026-07-28, two readings of the request).
    package nonisolated func fastPath(_ line: [UInt8], from session: ClientSession) -> Bool {
        // A byte search first: every other line is validated once, by the gateway, not twice.
        guard !session.modern, Self.mentionsCall(line),
            let message = try? JSONRPCMessage.parse(line, oneReading: true),
            message.kind == .request, message.method == "tools/call", let name = message.params?["name"]?.string,
            let entry = catalogues.withLock({ $0.tools[name] }),
            // A child tool exposed under a meta-tool's name: the general path decides which the
            // caller means (its profile's discovery), so both paths read the name one way.
            name != MetaTools.search, name != MetaTools.call, name != ResultPages.toolName,
            let child = child(entry.server, for: session, make: false),
            !child.isModern, child.phase == .ready,
            // Two readings of one request: the general path refuses it.
            message.repeatedKeyOffset == nil
        else { return false }
        let id = Array(message.id!.bytes)
        // A duplicate of an id in flight goes the general way, which refuses it.
        guard let claim = session.activeIDs.claim(id) else { return false }
        if session.telemetry != nil { session.observe(message, id: id) }
        if let trace {
            trace.passed(.read, id)
            trace.passed(.resolve, id)
        }
        let call = GateCall(message, id: id, session: session, entry: entry, child: child, setup: current)
        carryOut(pass(call)) { session.finished(id, claim: claim) }
        return true
    }

    /// Whether `line` contains the bytes `tools/call`. A plain loop: the generic
    /// `firstRange(of:)` instantiated type metadata on every call and cost a third of the fast path.
    package static func mentionsCall(_ line: [UInt8]) -> Bool {
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

    /// The stages up to `record`, synchronously: `shape` (with the case-twin part of `read`),
    /// `judge`, `limit`, `record`. A call that can change something, or is refused, is `waiting` until the
    /// group commit has put its decision on disk (audit before acting).
    /// The call is consumed: each stage mutates it in place (a copy retained its dozen references).
    package nonisolated func pass(_ call: consuming GateCall) -> CallPlan {
        trace?.passed(.shape, call.id)
        guard shape(&call) else { return .answered }
        trace?.passed(.judge, call.id)
        judge(&call)
        trace?.passed(.limit, call.id)
        limit(&call)
        trace?.passed(.record, call.id)
        return record(call)
    }

    /// The stages after `record`: `approve` when the decision asks, then `forward` and `observe`;
    /// a denial is answered here. `done` runs once the call's work is over (its id's claim ends).
    package nonisolated func carryOut(_ plan: CallPlan, done: @escaping @Sendable () -> Void) {
        switch plan {
        case .answered:
            done()
        case .waiting(let pending):
            pending.then { [self] in carryOut($0, done: done) }
        case .ask(let call):
            trace?.passed(.approve, call.id)
            Task {
                guard let approved = await approve(call) else { return done() }
                forwardAndObserve(approved, done: done)
            }
        case .forward(let call):
            forwardAndObserve(call, done: done)
        }
    }

    /// `forward`, then `observe`: the outcome is audited after the answer has left.
    private nonisolated func forwardAndObserve(_ call: GateCall, done: @escaping @Sendable () -> Void) {
        let started = ContinuousClock.now
        let forwarding = Forwarding(
            message: call.message,
            id: call.id,
            session: call.session,
            child: call.child,
            edits: call.edits,
            answerEdits: exposeTask(of: call.entry.server, for: call.session),
            commit: call.commit,
            screen: resultScreen(for: call.entry, in: call.setup),
            limitHold: call.limitHold
        )
        // The answer needs only the request's id of the message: one reference to keep.
        let (entry, requestID, session, hold) = (call.entry, call.message.id, call.session, call.limitHold)
        trace?.passed(.forward, call.id)
        forward(forwarding) { [self] outcome in
            // However the call ended (answer, error, timeout, cancel, the child's exit); a direct
            // exchange gave them back already, before its answer left.
            hold?.release()
            trace?.passed(.observe, forwarding.id)
            observe(outcome, of: entry, requestID: requestID, session: session, since: started)
            done()
        }
    }

    /// Why a tool that looks like a server's is unknown: that server did not start (its tools were
    /// never listed, or withdrawn), so the model and the user learn what to fix.
    package nonisolated func unavailableHint(for name: String) -> String {
        let separator = config.client.separator
        for child in children where name.hasPrefix(child.name + separator) {
            switch child.phase {
            case .failed(let failure), .exited(let failure):
                return " (server '\(child.name)' is unavailable: \(failure.message))"
            default: continue
            }
        }
        return ""
    }
}
