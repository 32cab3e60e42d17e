import ArgumentParser

/// Span export: off unless `--otlp-endpoint` names an OpenTelemetry collector.
public struct TracingOptions: ParsableArguments, Sendable {
    @Option(
        help: ArgumentHelp(
            "OTLP/HTTP collector to send a span per call to, e.g. http://otel-collector:4318 (spans go to /v1/traces); none: no export.",
            valueName: "url"))
    public var otlpEndpoint: String?

    @Option(help: "Share of traces started here that are sampled (0 to 1); a caller's sampling decision is followed.")
    public var traceSampleRatio = 1.0

    public init() {}

    public func validate() throws {
        if let otlpEndpoint, !(otlpEndpoint.hasPrefix("http://") || otlpEndpoint.hasPrefix("https://")) {
            throw ValidationError("--otlp-endpoint '\(otlpEndpoint)' must start with http:// or https://")
        }
        guard (0...1).contains(traceSampleRatio) else {
            throw ValidationError("--trace-sample-ratio must be between 0 and 1, not \(traceSampleRatio)")
        }
    }
}
