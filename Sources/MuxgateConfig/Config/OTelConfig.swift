import MuxgateWire

/// The `otel:` section: OpenTelemetry traces and metrics over OTLP/HTTP. The standard `OTEL_*`
/// variables (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`, …) apply
/// on top, as every OpenTelemetry SDK reads them; `OTEL_TRACES_EXPORTER=otlp` turns traces on too.
package struct OTelConfig: Sendable, Decodable, Equatable {
    /// Spans for every IDE request, and `traceparent` carried to the children (nil: the env decides).
    package var traces: Bool?
    /// Metrics exported over OTLP (nil: the env decides).
    package var metrics: Bool?
    /// The collector's base URL (`/v1/traces` and `/v1/metrics` are appended); default
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`, else `http://localhost:4318`.
    package var endpoint: String?
    package var serviceName: String?
    /// The share of traces kept, 0…1, for root requests (a request continuing an IDE's trace follows
    /// its sampled flag).
    package var sampleRatio: Double?
    /// How often metrics are exported.
    package var metricsInterval: Duration?

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case traces, metrics, endpoint
        case serviceName = "service_name"
        case sampleRatio = "sample_ratio"
        case metricsInterval = "metrics_interval"
    }

    package init() {}

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        traces = try container.decodeIfPresent(Bool.self, forKey: .traces)
        metrics = try container.decodeIfPresent(Bool.self, forKey: .metrics)
        endpoint = try container.decodeIfPresent(String.self, forKey: .endpoint)
        serviceName = try container.decodeIfPresent(String.self, forKey: .serviceName)
        sampleRatio = try container.decodeIfPresent(Double.self, forKey: .sampleRatio)
        metricsInterval = try container.decodeIfPresent(ConfigDuration.self, forKey: .metricsInterval)?.duration
        if let endpoint, !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            throw ConfigIssue(
                .invalidValue,
                at: decoder.codingPath,
                key: "endpoint",
                message: "'\(endpoint)' is not an http(s) URL (an OTLP/HTTP collector, e.g. http://localhost:4318)"
            )
        }
        if let sampleRatio, !(0...1).contains(sampleRatio) {
            throw ConfigIssue(.invalidValue, at: decoder.codingPath, key: "sample_ratio", message: "must be within 0…1")
        }
    }
}

extension OTelConfig {
    /// What is on, for the start-up log line.
    package func describe(team: Bool, config: MuxgateConfig) -> String {
        var parts: [String] = []
        if traces == true { parts.append("traces") }
        if metrics == true { parts.append("OTLP metrics") }
        if team && config.http?.metrics == true { parts.append("/metrics") }
        let target = endpoint.map { " to \($0)" } ?? ""
        return (parts.isEmpty ? "as the OTEL_* variables say" : parts.joined(separator: ", ")) + target
    }
}
