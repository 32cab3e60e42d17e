import Metrics
public import RPCCore
import Synchronization

/// Per-method call metrics, as a server interceptor: every call is counted by status, timed, and
/// tracked while in flight.
///
/// Handles are made once per method (and once per status code, the first time a code occurs),
/// so a call costs two atomic updates, two clock reads and a histogram update.
public final class RPCMetrics: ServerInterceptor {
    private let metrics: ServiceMetrics
    private let activeCalls = Atomic<Int>(0)
    private let refused = Mutex<[RefusedKey: Counter]>([:])

    private struct RefusedKey: Hashable {
        var method: String
        var code: StatusCode
    }

    public init(metrics: ServiceMetrics) {
        self.metrics = metrics
        let active = metrics.gauge(
            "rpc_server_active_streams", help: "gRPC calls (HTTP/2 streams) whose handler is running.")
        metrics.addCollector { [self] in active.set(activeCalls.load(ordering: .relaxed)) }
    }

    /// The handles of `method`, made once when the server's interceptors are composed.
    public func prepare(for method: MethodHandler) -> MethodInstruments? {
        MethodInstruments(path: method.path, metrics: metrics)
    }

    /// Counts, times and tracks one call.
    public func intercept(
        _ request: [UInt8], context: ServerContext, stream: any ResponseStreamSink, state instruments: MethodInstruments,
        next: MethodHandler.Run
    ) async throws -> [UInt8]? {
        let start = ContinuousClock.now
        instruments.inFlight.increment()
        activeCalls.add(1, ordering: .relaxed)
        defer {
            activeCalls.subtract(1, ordering: .relaxed)
            instruments.inFlight.decrement()
        }
        do {
            let reply = try await next(request, context, stream)
            instruments.finished(.ok, after: start, context: context)
            return reply
        } catch {
            instruments.finished(RPCError(from: error).code, after: start, context: context)
            throw error
        }
    }

    /// Counts a call the transport answered without running a handler (give it to
    /// `RPCServer(refusedCall:)`). Paths that name no method are counted as `unknown`, so callers
    /// cannot create series at will.
    public func recordRefused(method: String?, code: StatusCode) {
        let key = RefusedKey(method: method ?? "unknown", code: code)
        let counter = refused.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = MethodInstruments.requests(metrics, path: key.method, code: code)
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    /// Samples `count` (the server's open connections) at every scrape.
    public func observeOpenConnections(_ count: @escaping @Sendable () -> Int) {
        let gauge = metrics.gauge("rpc_server_open_connections", help: "Open client connections to the gRPC port.")
        metrics.addCollector { gauge.set(count()) }
    }
}

/// The handles of one method.
public final class MethodInstruments: Sendable {
    let path: String
    let inFlight: Meter
    let duration: Timer
    let ok: Counter
    private let metrics: ServiceMetrics
    private let otherCodes = Mutex<[StatusCode: Counter]>([:])

    init(path: String, metrics: ServiceMetrics) {
        self.path = path
        self.metrics = metrics
        inFlight = metrics.gauge(
            "rpc_server_requests_in_flight", help: "Calls being handled, per method.", labels: [("method", path)])
        duration = metrics.timer(
            "rpc_server_request_duration_seconds", help: "Time from the call's start to its status, per method.",
            labels: [("method", path)])
        ok = Self.requests(metrics, path: path, code: .ok)
    }

    func finished(_ code: StatusCode, after start: ContinuousClock.Instant, context: ServerContext) {
        let end = ContinuousClock.now
        let code = StatusCode.seenByCaller(code, deadline: context.deadline, end: end)
        duration.record(duration: start.duration(to: end))
        if code == .ok {
            ok.increment()
            return
        }
        let counter = otherCodes.withLock { counters in
            if let counter = counters[code] { return counter }
            let counter = Self.requests(metrics, path: path, code: code)
            counters[code] = counter
            return counter
        }
        counter.increment()
    }

    static func requests(_ metrics: ServiceMetrics, path: String, code: StatusCode) -> Counter {
        metrics.counter(
            "rpc_server_requests_total", help: "Calls that ended, per method and gRPC status code.",
            labels: [("method", path), ("code", code.description)])
    }
}
