public import ArgumentParser
public import Logging
public import RPCCore

/// Which finished calls get an access-log line.
public enum AccessLogMode: String, Sendable, CaseIterable, ExpressibleByArgument {
    /// Every call except health probes that succeed (the kubelet asks every few seconds).
    case all
    /// Calls that end with a status other than OK.
    case errors
    /// None.
    case off
}

/// One log line per finished call (an interceptor), labelled `access`: method, status, duration, peer, and what
/// the handler noted in `ServerContext.annotations` (model, version, request id, trace id).
/// Request and response payloads are never logged.
public struct AccessLog: ServerInterceptor {
    public let mode: AccessLogMode
    public let logger: Logger

    public init(mode: AccessLogMode, logger: Logger = Logger(label: "access")) {
        self.mode = mode
        self.logger = logger
    }

    /// Whether `method` is a health probe (a successful probe is not logged), or nil when the mode is `off`.
    public func prepare(for method: MethodHandler) -> Bool? {
        guard mode != .off else { return nil }
        return method.path.hasPrefix("/grpc.health.v1.Health/")
    }

    /// Logs one call once it has ended, as the mode asks.
    public func intercept(
        _ request: [UInt8], context: ServerContext, stream: any ResponseStreamSink, state isProbe: Bool,
        next: MethodHandler.Run
    ) async throws -> [UInt8]? {
        let start = ContinuousClock.now
        do {
            let reply = try await next(request, context, stream)
            if mode == .all && !isProbe { record(.ok, error: nil, start: start, context: context) }
            return reply
        } catch {
            let failure = RPCError(from: error)
            record(failure.code, error: failure.message, start: start, context: context)
            throw error
        }
    }

    func record(_ code: StatusCode, error: String?, start: ContinuousClock.Instant, context: ServerContext) {
        let end = ContinuousClock.now
        let status = StatusCode.seenByCaller(code, deadline: context.deadline, end: end)
        let level: Logger.Level = Self.isServerFault(status) ? .warning : .info
        guard status != .ok || mode == .all, logger.logLevel <= level else { return }
        logger.log(
            level: level, "\(Self.methodName(context.method)) \(status)",
            metadata: Self.fields(status: status, error: error, duration: start.duration(to: end), context: context))
    }

    static func fields(status: StatusCode, error: String?, duration: Duration, context: ServerContext) -> Logger.Metadata {
        let noted = context.annotations.values
        var fields: Logger.Metadata = [
            "method": .string(context.method),
            "status": .string(status.description),
            "duration_ms": .string(Self.milliseconds(duration)),
            "peer": .string(context.peer),
            "trace_id": .string(
                noted.traceID ?? context.metadata["traceparent"].flatMap(TraceContext.traceID(of:))
                    ?? TraceContext.newTraceID()),
        ]
        if let model = noted.model { fields["model"] = .string(model) }
        if let version = noted.version { fields["version"] = .string(version) }
        if let requestID = noted.requestID { fields["request_id"] = .string(requestID) }
        if let error { fields["error"] = .string(error) }
        return fields
    }

    /// `ModelInfer` from `/inference.GRPCInferenceService/ModelInfer`.
    static func methodName(_ path: String) -> Substring {
        path.split(separator: "/").last ?? Substring(path)
    }

    /// Milliseconds with microsecond resolution, e.g. `0.412`.
    static func milliseconds(_ duration: Duration) -> String {
        let micros = Int64(duration.components.seconds) * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        let fraction = String(micros % 1000)
        return "\(micros / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }

    /// Statuses that point at the server or its dependencies rather than the caller's request.
    static func isServerFault(_ code: StatusCode) -> Bool {
        switch code {
        case .unknown, .deadlineExceeded, .internal, .unavailable, .dataLoss, .resourceExhausted: true
        default: false
        }
    }
}
