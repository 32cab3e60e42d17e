import ArgumentParser

/// The options every service executable shares besides its own: the metrics/health port,
/// the shutdown grace period, logging, span export, TLS on the gRPC port, and the config file.
public struct OperationsOptions: ParsableArguments, Sendable {
    @Option(help: "HTTP/1.1 address for /metrics, /healthz and /readyz, HOST:PORT (port 0 picks a free one).")
    public var metricsListen = "0.0.0.0:9090"

    @Option(
        help: ArgumentHelp(
            "KServe V2 HTTP/REST address (/v2/...), HOST:PORT (port 0 picks a free one); off unless given (Triton uses 8000).",
            valueName: "host:port"))
    public var httpListen: String?

    @Option(help: "Seconds in-flight calls get to finish after SIGTERM or SIGINT.")
    public var shutdownGrace = 10

    @OptionGroup public var logging: LoggingOptions

    @OptionGroup public var tracing: TracingOptions

    @OptionGroup public var tls: TLSOptions

    @OptionGroup public var configFile: ConfigFileOptions

    public init() {}

    public func validate() throws {
        _ = try metricsAddress()
        _ = try httpAddress()
        _ = try logging.level()
        guard shutdownGrace >= 0 else { throw ValidationError("--shutdown-grace must not be negative") }
    }

    /// The parsed `--metrics-listen`; the error names the flag.
    public func metricsAddress() throws(ValidationError) -> ListenAddress {
        try ListenAddress(parsing: metricsListen, flag: "--metrics-listen")
    }

    /// The parsed `--http-listen`; nil when REST is off.
    public func httpAddress() throws(ValidationError) -> ListenAddress? {
        guard let httpListen, !httpListen.isEmpty else { return nil }
        return try ListenAddress(parsing: httpListen, flag: "--http-listen")
    }

    /// `--shutdown-grace` as a duration.
    public var shutdownGracePeriod: Duration { .seconds(shutdownGrace) }
}
