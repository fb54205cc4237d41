package import CoreMetrics
package import Logging
import MuxgateAudit
package import MuxgateConfig
import MuxgatePolicy
import MuxgateWire
import OTel
package import Prometheus
package import ServiceLifecycle
import Synchronization
package import Tracing

/// muxgate's traces and metrics: OpenTelemetry spans for each IDE request (with children for the
/// policy, the audit write and the call to the child), the request's trace context carried to the
/// child in `_meta.traceparent`, and metrics to OTLP and, in team mode, Prometheus at `/metrics`.
///
/// Off by default, and then absent: the gateway holds nil and every hook is one nil check, so a
/// forwarded message stays byte-identical and the hot path does no more work.
package final class Telemetry: Sendable {
    /// Spans go here (nil: tracing off).
    package let tracer: (any Tracer)?
    /// The instruments (nil: metrics off).
    package let instruments: Instruments?
    /// What `/metrics` serves (team mode with `http.metrics: true`).
    package let prometheus: PrometheusCollectorRegistry?
    /// The exporters' background work: run beside the gateway, shut down after it (a flush).
    package let services: [any Service]

    package init(
        tracer: (any Tracer)?,
        instruments: Instruments?,
        prometheus: PrometheusCollectorRegistry?,
        services: [any Service]
    ) {
        self.tracer = tracer
        self.instruments = instruments
        self.prometheus = prometheus
        self.services = services
    }

    /// The Prometheus text of every metric, for `/metrics`; nil when it is not served.
    package func scrape() -> [UInt8]? {
        prometheus?.emitToBuffer()
    }

    /// The telemetry `config` asks for (`otel:`, the `OTEL_*` variables, `http.metrics` when
    /// `team`); nil when it asks for none.
    package static func make(
        config: MuxgateConfig,
        team: Bool,
        environment: [String: String],
        logger: Logger
    ) throws -> Telemetry? {
        let settings = config.otel
        // The standard switch for all of OpenTelemetry, whatever the file says.
        if environment["OTEL_SDK_DISABLED"]?.lowercased() == "true" { return nil }
        let traces = settings.traces ?? Self.enabled(environment["OTEL_TRACES_EXPORTER"])
        let otlpMetrics = settings.metrics ?? Self.enabled(environment["OTEL_METRICS_EXPORTER"])
        let scrape = team && config.http?.metrics == true
        guard traces || otlpMetrics || scrape else { return nil }
        var otel = OTel.Configuration.default
        otel.serviceName = settings.serviceName ?? "muxgate"
        otel.resourceAttributes["service.version"] = MuxgateVersion.current
        otel.diagnosticLogger = .custom(logger)
        otel.logs.enabled = false
        otel.traces.enabled = traces
        otel.metrics.enabled = otlpMetrics
        if let endpoint = settings.endpoint {
            otel.traces.otlpExporter.endpoint = endpoint + (endpoint.hasSuffix("/") ? "" : "/") + "v1/traces"
            otel.metrics.otlpExporter.endpoint = endpoint + (endpoint.hasSuffix("/") ? "" : "/") + "v1/metrics"
        }
        if let ratio = settings.sampleRatio {
            otel.traces.sampler = .parentBasedTraceIDRatio(ratio: ratio) ?? .parentBasedAlwaysOn
        }
        if let interval = settings.metricsInterval { otel.metrics.exportInterval = interval }
        var services: [any Service] = []
        var tracer: (any Tracer)?
        if traces {
            let backend = try OTel.makeTracingBackend(configuration: otel)
            tracer = backend.factory
            services.append(backend.service)
        }
        var factories: [any MetricsFactory] = []
        if otlpMetrics {
            let backend = try OTel.makeMetricsBackend(configuration: otel)
            factories.append(backend.factory)
            services.append(backend.service)
        }
        var registry: PrometheusCollectorRegistry?
        if scrape {
            let prometheus = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: prometheus)
            // Prometheus names take no dots: `mcp.server.operation.duration` is scraped as
            // `mcp_server_operation_duration`.
            factory.nameAndLabelSanitizer = { name, labels in
                (
                    name.replacing(".", with: "_"),
                    labels.map { ($0.0.replacing(".", with: "_"), $0.1) }
                )
            }
            factories.append(factory)
            registry = prometheus
        }
        let instruments =
            factories.isEmpty
            ? nil
            : Instruments(factory: factories.count == 1 ? factories[0] : MultiplexMetricsHandler(factories: factories))
        return Telemetry(tracer: tracer, instruments: instruments, prometheus: registry, services: services)
    }

    /// Whether an `OTEL_*_EXPORTER` value turns a signal on (`otlp`, `console`).
    package static func enabled(_ exporter: String?) -> Bool {
        guard let exporter else { return false }
        return exporter.split(separator: ",").contains { $0 == "otlp" || $0 == "console" }
    }
}

/// The metrics muxgate keeps, named after the MCP semantic conventions where they name one.
package final class Instruments: Sendable {
    package let factory: any MetricsFactory
    /// Calls in flight per child (the depth of what waits on it).
    private let inFlight = Mutex<[String: Int]>([:])

    package init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// An IDE request answered (or ended unanswered): `mcp.server.operation.duration`.
    package func request(method: String, tool: String?, error: String?, duration: Duration) {
        var dimensions = [("mcp.method.name", method)]
        // The one dimension the IDE names freely: scrubbed like every span attribute (`ScrubbedSpan`).
        if let tool { dimensions.append(("gen_ai.tool.name", Secrets.shared.scrub(tool))) }
        if let error { dimensions.append(("error.type", error)) }
        Timer(label: "mcp.server.operation.duration", dimensions: dimensions, factory: factory)
            .recordNanoseconds(duration.nanoseconds)
    }

    /// A request to a child answered: `mcp.client.operation.duration`.
    package func childCall(method: String, server: String, duration: Duration) {
        Timer(
            label: "mcp.client.operation.duration",
            dimensions: [("mcp.method.name", method), ("server.name", server)],
            factory: factory
        ).recordNanoseconds(duration.nanoseconds)
    }

    /// The policy decided a call.
    package func decision(_ effect: String, scope: String) {
        Counter(
            label: "muxgate.policy.decisions",
            dimensions: [("decision", effect), ("scope", scope)],
            factory: factory
        ).increment()
    }

    /// A limit refused a call (`limits.NAME`, kind rate, concurrency, quota or store).
    package func limited(_ limit: String, kind: String) {
        Counter(
            label: "muxgate.limits.refused",
            dimensions: [("limit", limit), ("kind", kind)],
            factory: factory
        ).increment()
    }

    /// A decision became durable in the audit trail.
    package func auditWrite(_ duration: Duration) {
        Timer(label: "muxgate.audit.write.duration", factory: factory).recordNanoseconds(duration.nanoseconds)
    }

    /// A child's process (or remote session) started; `restart` when it had run before.
    package func childStarted(_ server: String, restart: Bool) {
        Counter(label: "muxgate.child.starts", dimensions: [("server.name", server)], factory: factory).increment()
        if restart {
            Counter(label: "muxgate.child.restarts", dimensions: [("server.name", server)], factory: factory)
                .increment()
        }
    }

    /// Whether a child's circuit is open (1) or closed (0).
    package func circuit(_ server: String, open: Bool) {
        Gauge(label: "muxgate.child.circuit_open", dimensions: [("server.name", server)], factory: factory)
            .record(open ? 1 : 0)
    }

    /// A call to `server` was sent (+1) or ended (-1).
    package func pending(_ server: String, _ delta: Int) {
        let depth = inFlight.withLock { table -> Int in
            table[server, default: 0] += delta
            return table[server]!
        }
        Gauge(label: "muxgate.child.in_flight", dimensions: [("server.name", server)], factory: factory)
            .record(depth)
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    package var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product + attoseconds / 1_000_000_000
    }
}
