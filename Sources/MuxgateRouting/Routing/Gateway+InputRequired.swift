import Logging
import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
import MuxgateWire
import Synchronization

/// A 2026-07-28 child's input-required results, for an IDE in the `initialize` era.
extension Gateway {
    /// Forwards to a 2026-07-28 child; when it answers `input_required`, each of its
    /// `inputRequests` becomes a request to the IDE (which must have declared the capability),
    /// and the call is retried with the answers as `inputResponses` and the child's `requestState`.
    package func forwardResolvingInput(_ forwarding: Forwarding) async -> RelayOutcome {
        let (message, id, session, child) = (forwarding.message, forwarding.id, forwarding.session, forwarding.child)
        var result = await exchange(forwarding)
        // A failure to get an input ends the retries; the IDE gets it as the call's answer.
        retrying: for _ in 0..<8 {
            guard case .success(let response) = result, let interim = response.result,
                interim["resultType"]?.string == "input_required"
            else { break }
            var responses: [(String, JSONValue)] = []
            for request in interim["inputRequests"]?.members ?? [] {
                let method = request.value["method"]?.string ?? ""
                let capability = RequestEnvelope.inputCapability(for: method)
                guard let capability, session.hello?.capabilities?[capability] != nil else {
                    result = .failure(
                        JSONRPCError(
                            code: JSONRPCError.Code.methodNotFound,
                            message:
                                "server '\(child.name)' needs \(method) from the client, which did not declare \(capability ?? "it")"
                        )
                    )
                    break retrying
                }
                let answer = await askClient(
                    method,
                    params: request.value["params"]?.value ?? .object([]),
                    session: session,
                    relatedTo: id,
                    timeout: child.callTimeout
                )
                guard let answer, let value = answer.result else {
                    let why = answer?.error?["message"]?.string ?? "no answer in time"
                    result = .failure(JSONRPCError.timeout("the client did not answer \(method): \(why)"))
                    break retrying
                }
                responses.append((request.key, value.value))
            }
            var retry = forwarding.edits
            var appended: [(key: String, value: [UInt8])] = [("inputResponses", JSONValue.object(responses).encoded)]
            if let state = interim["requestState"] { appended.append(("requestState", Array(state.bytes))) }
            if let params = message.params {
                retry.editMembers(of: params, appending: appended)
            }
            result = await exchange(forwarding, edits: retry)
        }
        return deliver(result, forwarding)
    }
}
