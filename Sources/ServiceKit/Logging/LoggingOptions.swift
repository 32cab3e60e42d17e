import ArgumentParser
import Logging
import Synchronization

/// How log lines are written to stderr.
public enum LogFormat: String, Sendable, CaseIterable, ExpressibleByArgument {
    /// One JSON object per line: time, level, service, logger, message and the metadata fields.
    case json
    /// swift-log's plain text lines.
    case text
}

/// The logging flags every executable takes: `--log-level`, `--log-format` and `--access-log`.
public struct LoggingOptions: ParsableArguments, Sendable {
    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    public var logLevel = "info"

    @Option(help: "json (one object per line) or text.")
    public var logFormat: LogFormat = .text

    @Option(
        help:
            "Which finished calls get a log line (method, status, duration, model, version, request and trace ids): all, errors or off."
    )
    public var accessLog: AccessLogMode = .errors

    public init() {}

    private static let bootstrapped = Mutex(false)

    /// The parsed level; the error names the flag.
    public func level() throws(ValidationError) -> Logger.Level {
        guard let level = Logger.Level(rawValue: logLevel.lowercased()) else {
            let known = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("--log-level '\(logLevel)' is not one of \(known)")
        }
        return level
    }

    /// Bootstraps swift-log with these options, writing to stderr; JSON lines name `service`.
    /// swift-log allows one
    /// bootstrap per process: later calls are ignored, so `ServiceRuntime.start` and an
    /// executable that bootstraps first cannot crash each other.
    public func bootstrap(service: String = "") throws(ValidationError) {
        let level = try level()
        let format = logFormat
        let isFirst = Self.bootstrapped.withLock { done -> Bool in
            if done { return false }
            done = true
            return true
        }
        guard isFirst else { return }
        LoggingSystem.bootstrap { label in
            switch format {
            case .json:
                var handler = JSONLogHandler(label: label, service: service)
                handler.logLevel = level
                return handler
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
