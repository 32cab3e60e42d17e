import JSONEscaping
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A log handler writing one JSON object per line, with the metadata as top-level fields so log
/// pipelines can index them without unpacking:
/// `{"time":"2026-01-02T03:04:05.678Z","level":"info","service":"gateway","logger":"access","message":"…","model":"iris",…}`.
/// A metadata key that would overwrite one of the fixed fields is written as `metadata.KEY`.
///
/// Each line goes out in a single `write`, so lines from concurrent loggers do not interleave.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public let label: String
    /// The executable writing the line; omitted when empty.
    public let service: String
    private let sink: @Sendable (String) -> Void
    private let now: @Sendable () -> timespec

    /// A handler writing to stderr.
    public init(label: String, service: String = "") {
        self.init(label: label, service: service, sink: { writeAll($0, to: STDERR_FILENO) })
    }

    /// A handler giving each line (with its newline) to `sink`; `now` is the clock, for tests.
    public init(
        label: String, service: String = "", sink: @escaping @Sendable (String) -> Void,
        now: @escaping @Sendable () -> timespec = JSONLogHandler.wallClock
    ) {
        self.label = label
        self.service = service
        self.sink = sink
        self.now = now
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var line = "{\"time\":\"\(Self.format(now()))\",\"level\":\"\(event.level.rawValue)\""
        if !service.isEmpty {
            line += ",\"service\":"
            Self.appendString(service, to: &line)
        }
        line += ",\"logger\":"
        Self.appendString(label, to: &line)
        line += ",\"message\":"
        Self.appendString("\(event.message)", to: &line)
        // Sorted keys: stable lines are easier to read and to test.
        for key in merged.keys.sorted() {
            line += ","
            Self.appendString(Self.fixedFields.contains(key) ? "metadata.\(key)" : key, to: &line)
            line += ":"
            Self.appendValue(merged[key]!, to: &line)
        }
        line += "}\n"
        sink(line)
    }

    /// The fields every line has, which metadata must not overwrite.
    static let fixedFields: Set<String> = ["time", "level", "service", "logger", "message"]

    /// The current wall-clock time.
    @Sendable public static func wallClock() -> timespec {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return time
    }

    /// RFC 3339 UTC with milliseconds.
    static func format(_ time: timespec) -> String {
        var seconds = time_t(time.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let millis = Int32(time.tv_nsec / 1_000_000)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(millis, 3))Z"
    }

    static func appendValue(_ value: Logger.Metadata.Value, to line: inout String) {
        switch value {
        case .string(let string):
            appendString(string, to: &line)
        case .stringConvertible(let convertible):
            appendString(convertible.description, to: &line)
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                appendValue(element, to: &line)
            }
            line += "]"
        case .dictionary(let dictionary):
            line += "{"
            // Sorted keys: stable lines are easier to read and to test.
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { line += "," }
                appendString(key, to: &line)
                line += ":"
                appendValue(dictionary[key]!, to: &line)
            }
            line += "}"
        }
    }

    static func appendString(_ string: String, to line: inout String) {
        JSONString.append(string, to: &line)
    }
}
