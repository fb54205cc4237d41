import MuxgateAudit
import MuxgateConfig
import MuxgatePolicy
import MuxgateWire
package import Tracing

/// The telemetry sink: every span muxgate starts is one of these, so every attribute, status
/// message, event and recorded error has the known secrets (`Secrets`) replaced before the
/// exporter sees it, whichever code set it.
package struct ScrubbedSpan: Span {
    package let inner: any Span

    package var context: InstrumentationContext { inner.context }

    package var operationName: String {
        get { inner.operationName }
        nonmutating set { inner.operationName = Secrets.shared.scrub(newValue) }
    }

    package var attributes: SpanAttributes {
        get { inner.attributes }
        nonmutating set { inner.attributes = Self.scrubbed(newValue) }
    }

    package var isRecording: Bool { inner.isRecording }

    package func setStatus(_ status: SpanStatus) {
        inner.setStatus(SpanStatus(code: status.code, message: status.message.map(Secrets.shared.scrub)))
    }

    package func addEvent(_ event: SpanEvent) {
        inner.addEvent(SpanEvent(name: Secrets.shared.scrub(event.name), attributes: Self.scrubbed(event.attributes)))
    }

    package func recordError<Instant: TracerInstant>(
        _ error: any Error,
        attributes: SpanAttributes,
        at instant: @autoclosure () -> Instant
    ) {
        inner.recordError(
            Scrubbed(description: Secrets.shared.scrub("\(error)")),
            attributes: Self.scrubbed(attributes),
            at: instant()
        )
    }

    package func addLink(_ link: SpanLink) { inner.addLink(link) }

    package func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) { inner.end(at: instant()) }

    /// An error as its scrubbed description.
    private struct Scrubbed: Error, CustomStringConvertible {
        package let description: String
    }

    package static func scrubbed(_ attributes: SpanAttributes) -> SpanAttributes {
        var clean = SpanAttributes()
        attributes.forEach { name, value in clean.set(name, value: scrubbed(value)) }
        return clean
    }

    package static func scrubbed(_ value: SpanAttribute) -> SpanAttribute {
        switch value {
        case .string(let text): .string(Secrets.shared.scrub(text))
        case .stringArray(let texts): .stringArray(texts.map(Secrets.shared.scrub))
        case .stringConvertible(let item): .string(Secrets.shared.scrub(item.description))
        case .stringConvertibleArray(let items): .stringArray(items.map { Secrets.shared.scrub($0.description) })
        default: value
        }
    }
}
