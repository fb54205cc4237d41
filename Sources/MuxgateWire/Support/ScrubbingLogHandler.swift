package import Logging

/// The log sink: every message and metadata value has the known secrets (`Secrets`) replaced
/// before the wrapped handler writes it, whoever logged it (a child's stderr line, an HTTP
/// error body, a failed handshake's reason).
package struct ScrubbingLogHandler: LogHandler {
    private var inner: any LogHandler
    private let secrets: Secrets

    package init(_ inner: any LogHandler, secrets: Secrets = .shared) {
        self.inner = inner
        self.secrets = secrets
    }

    package func log(event: LogEvent) {
        var event = event
        event.message = Logger.Message(stringLiteral: secrets.scrub(event.message.description))
        event.metadata = event.metadata.map { $0.mapValues(scrub) }
        if let error = event.error { event.error = ScrubbedError(description: secrets.scrub("\(error)")) }
        inner.log(event: event)
    }

    private func scrub(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(secrets.scrub(text))
        case .stringConvertible(let item): .string(secrets.scrub(item.description))
        case .array(let items): .array(items.map(scrub))
        case .dictionary(let items): .dictionary(items.mapValues(scrub))
        @unknown default: .string(secrets.scrub("\(value)"))
        }
    }

    /// An error carried as its scrubbed description.
    private struct ScrubbedError: Error, CustomStringConvertible {
        package let description: String
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    package var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    package var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    package var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }
}
