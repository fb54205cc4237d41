import MuxgateAudit
import MuxgateConfig
import MuxgatePolicy
package import MuxgateWire
package import Tracing

/// One IDE request being observed: its server span (when tracing) and what its metrics need.
package final class RequestTrace: Sendable {
    package let span: (any Span)?
    package let started: ContinuousClock.Instant
    package let method: String
    package let tool: String?

    package init(span: (any Span)?, method: String, tool: String?) {
        self.span = span
        self.method = method
        self.tool = tool
        started = .now
    }
}

/// Who made a request, as a trace names them: the session, its protocol version, and the caller's
/// client name and OIDC subject in team mode. Asked for only when the request is traced.
package struct TraceCaller: Sendable {
    package let session: String
    package let protocolVersion: String?
    package let client: String?
    package let subject: String?

    package init(session: String, protocolVersion: String?, client: String?, subject: String?) {
        self.session = session
        self.protocolVersion = protocolVersion
        self.client = client
        self.subject = subject
    }
}

extension Telemetry {
    /// Starts observing an IDE request: its span continues the trace the IDE named in
    /// `params._meta.traceparent` (and `tracestate`), if any.
    package func started(_ message: JSONRPCMessage, caller: () -> TraceCaller) -> RequestTrace {
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
        let who = caller()
        // Gathered, then set once: each set on a span is a locked copy of all its attributes.
        var attributes: [String: SpanAttribute] = [
            "mcp.method.name": .string(method), "jsonrpc.protocol.version": .string("2.0"),
            "mcp.session.id": .string(who.session),
        ]
        if let tool {
            attributes[method == "tools/call" ? "gen_ai.tool.name" : "gen_ai.prompt.name"] = .string(tool)
            if method == "tools/call" { attributes["gen_ai.operation.name"] = .string("execute_tool") }
        }
        if let id = message.id { attributes["jsonrpc.request.id"] = .string(id.string ?? id.text) }
        if let version = who.protocolVersion { attributes["mcp.protocol.version"] = .string(version) }
        if let client = who.client { attributes["muxgate.client"] = .string(client) }
        if let subject = who.subject { attributes["enduser.id"] = .string(subject) }
        span.attributes = SpanAttributes(attributes)
        return RequestTrace(span: span, method: method, tool: tool)
    }

    /// The request was answered with `answer`, or ended without one (nil: cancelled).
    package func ended(_ trace: RequestTrace, answer: [UInt8]?) {
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
    package func span(_ name: String, in trace: RequestTrace?, kind: SpanKind = .internal) -> (any Span)? {
        guard let tracer, let parent = trace?.span else { return nil }
        return ScrubbedSpan(inner: tracer.startAnySpan(name, context: parent.context, ofKind: kind))
    }

    /// `span`'s W3C `traceparent`, for the child's `_meta`.
    package func traceparent(of span: any Span) -> String? {
        var carrier: [String: String] = [:]
        tracer?.inject(span.context, into: &carrier, using: DictionaryCarrier())
        return carrier["traceparent"]
    }
}

/// Trace context in and out of a `_meta` object's string members.
package struct DictionaryCarrier: Extractor, Injector {
    package func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }

    package func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }
}
