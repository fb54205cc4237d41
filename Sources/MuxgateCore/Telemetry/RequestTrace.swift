package import MuxgateAudit
package import MuxgateConfig
package import MuxgatePolicy
package import MuxgateWire
import Tracing

/// One IDE request being observed: its server span (when tracing) and what its metrics need.
final class RequestTrace: Sendable {
    let span: (any Span)?
    let started: ContinuousClock.Instant
    let method: String
    let tool: String?

    init(span: (any Span)?, method: String, tool: String?) {
        self.span = span
        self.method = method
        self.tool = tool
        started = .now
    }
}

extension Telemetry {
    /// Starts observing an IDE request: its span continues the trace the IDE named in
    /// `params._meta.traceparent` (and `tracestate`), if any.
    func started(_ message: JSONRPCMessage, session: ClientSession) -> RequestTrace {
        let method = message.method ?? "unknown"
        let tool = method == "tools/call" || method == "prompts/get" ? message.params?["name"]?.string : nil
        guard let tracer else { return RequestTrace(span: nil, method: method, tool: tool) }
        var context = InstrumentationContext.topLevel
        if let meta = message.params?["_meta"], let parent = meta["traceparent"]?.string {
            var carrier = ["traceparent": parent]
            if let state = meta["tracestate"]?.string { carrier["tracestate"] = state }
            tracer.extract(carrier, into: &context, using: DictionaryCarrier())
        }
        let name = Secrets.shared.scrub(tool.map { "\(method) \($0)" } ?? method)
        let span = ScrubbedSpan(inner: tracer.startAnySpan(name, context: context, ofKind: .server))
        // Gathered, then set once: each set on a span is a locked copy of all its attributes.
        var attributes: [String: SpanAttribute] = [
            "mcp.method.name": .string(method), "jsonrpc.protocol.version": .string("2.0"),
            "mcp.session.id": .string(session.label),
        ]
        if let tool {
            attributes[method == "tools/call" ? "gen_ai.tool.name" : "gen_ai.prompt.name"] = .string(tool)
            if method == "tools/call" { attributes["gen_ai.operation.name"] = .string("execute_tool") }
        }
        if let id = message.id { attributes["jsonrpc.request.id"] = .string(id.string ?? id.text) }
        if let version = session.hello?.protocolVersion { attributes["mcp.protocol.version"] = .string(version) }
        if let client = session.identity.name { attributes["muxgate.client"] = .string(client) }
        if let subject = session.identity.subject { attributes["enduser.id"] = .string(subject) }
        span.attributes = SpanAttributes(attributes)
        return RequestTrace(span: span, method: method, tool: tool)
    }

    /// The request was answered with `answer`, or ended without one (nil: cancelled).
    func ended(_ trace: RequestTrace, answer: [UInt8]?) {
        var error: String?
        if let answer {
            if let message = try? JSONRPCMessage.parse(answer) {
                if let code = message.error?["code"] {
                    error = code.text
                } else if message.result?["isError"]?.bool == true {
                    error = "tool_error"
                }
            }
        } else {
            error = "cancelled"
        }
        if let span = trace.span {
            if let error {
                span.attributes["error.type"] = error
                span.setStatus(SpanStatus(code: .error))
            }
            span.end()
        }
        instruments?.request(method: trace.method, tool: trace.tool, error: error, duration: .now - trace.started)
    }

    /// A span inside the request's (nil when not tracing, or the request is not traced).
    func span(_ name: String, in trace: RequestTrace?, kind: SpanKind = .internal) -> (any Span)? {
        guard let tracer, let parent = trace?.span else { return nil }
        return ScrubbedSpan(inner: tracer.startAnySpan(name, context: parent.context, ofKind: kind))
    }

    /// `span`'s W3C `traceparent`, for the child's `_meta`.
    func traceparent(of span: any Span) -> String? {
        var carrier: [String: String] = [:]
        tracer?.inject(span.context, into: &carrier, using: DictionaryCarrier())
        return carrier["traceparent"]
    }
}

/// Trace context in and out of a `_meta` object's string members.
struct DictionaryCarrier: Extractor, Injector {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }

    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }
}
