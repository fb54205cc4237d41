package import MuxgateTelemetry
package import Tracing

extension Gateway {
    /// The builder of a child's line for an IDE's request, and what to forget when it ends.
    package struct TrackedLine: Sendable {
        package let build: @Sendable ([UInt8]) -> [UInt8]
        /// The progress token muxgate gave the call (team mode).
        package let progress: String?
        package let routes: ClientRoutes
        /// Telemetry on: the call's span and what its metrics need.
        package let observed: Observed?

        /// A class, so a call without telemetry carries one nil pointer, not an optional struct
        /// that every copy of the line must inspect.
        package final class Observed: Sendable {
            package let span: (any Span)?
            package let telemetry: Telemetry
            package let method: String
            package let server: String
            package let started = ContinuousClock.now

            package init(span: (any Span)?, telemetry: Telemetry, method: String, server: String) {
                self.span = span
                self.telemetry = telemetry
                self.method = method
                self.server = server
            }
        }

        package func release() {
            if let progress { routes.unregisterProgress(progress) }
            if let observed {
                observed.span?.end()
                observed.telemetry.instruments?.pending(observed.server, -1)
                observed.telemetry.instruments?.childCall(
                    method: observed.method,
                    server: observed.server,
                    duration: .now - observed.started
                )
            }
        }
    }
}
