import InferenceAPI
import RPCCore
import RPCTransport
import Routing

/// Sends one call to one of a set's replicas, retrying on another replica only when the first
/// never started on it (no connection, stream refused, draining), answered that it does not
/// serve the routed model, or died before answering anything (once per call: the inference
/// methods the gateway forwards have no side effects).
///
/// A replica that could not take the call because it has no usable connection (it went away,
/// or it is draining) is reported `.unreachable` to the balancer, and the retry is free; a
/// stream refused by a replica whose connection is up (it is overloaded) is retried within the
/// retry budget.
public struct Forwarder: Sendable {
    public let clients: UpstreamClients
    public let retryBudget: RetryBudget
    /// Attempts per call at most, the first included.
    public var maxAttempts = 3

    public init(clients: UpstreamClients, retryBudget: RetryBudget) {
        self.clients = clients
        self.retryBudget = retryBudget
    }

    /// What happened besides the answer: how many retries it took.
    public struct Report: Sendable {
        public var retries = 0
        /// The call went to a replica chosen by panic routing (no usable replica was left).
        public var panicRouted = false
    }

    /// Calls `path` with `request` on a replica of `set` before `deadline`; `what` names the
    /// target in errors and is only built for one.
    public func call<Request: WireMessage, Response: WireMessage>(
        _ path: String, _ request: Request, on set: EndpointSet, what: @autoclosure () -> String,
        metadata: Metadata, deadline: ContinuousClock.Instant?, report: inout Report,
        as: Response.Type = Response.self
    ) async throws(RPCError) -> ClientResponse<Response> {
        try await attempts(on: set, what: what(), deadline: deadline, report: &report) { client, timeout throws(RPCError) in
            try await client.unary(path, request, metadata: metadata, timeout: timeout, as: Response.self)
        }
    }

    /// Calls `path` with an already serialized request and returns the serialized reply.
    public func callRaw(
        _ path: String, _ request: [UInt8], on set: EndpointSet, what: @autoclosure () -> String,
        metadata: Metadata, deadline: ContinuousClock.Instant?, report: inout Report
    ) async throws(RPCError) -> [UInt8] {
        try await attempts(on: set, what: what(), deadline: deadline, report: &report) { client, timeout throws(RPCError) in
            let response = try await client.unaryRaw(path, request, metadata: metadata, timeout: timeout)
            guard response.messages.count == 1 else {
                throw RPCError(.internal, "\(what()) sent \(response.messages.count) replies to a unary call")
            }
            return response.messages[0]
        }
    }

    /// Runs `send` on replicas of `set` until one answers, one fails in a way a retry cannot
    /// fix, or the attempts or the retry budget run out.
    private func attempts<Result>(
        on set: EndpointSet, what: @autoclosure () -> String, deadline: ContinuousClock.Instant?, report: inout Report,
        _ send: (RPCClient, Duration?) async throws(RPCError) -> Result
    ) async throws(RPCError) -> Result {
        retryBudget.recordCall()
        // Only replicas that failed go here, so a call answered at the first try allocates nothing.
        var failed: [Upstream] = []
        var generator = FastRandomNumberGenerator()
        var lastError: RPCError?
        var lastWasUnreachable = false
        var unansweredRetries = 0
        for attempt in 0..<max(0, maxAttempts) {
            guard let pick = set.balancer.begin(excluding: failed, random: &generator) else { break }
            let upstream = pick.endpoint
            if attempt > 0, !lastWasUnreachable {
                guard retryBudget.tryRetry() else {
                    set.balancer.end(upstream, outcome: .ignored)
                    break
                }
            }
            if attempt > 0 { report.retries += 1 }
            let timeout: Duration?
            do {
                timeout = try remaining(until: deadline, what: what())
            } catch {
                set.balancer.end(upstream, outcome: .ignored)
                throw error
            }
            let client = clients.client(for: upstream)
            if pick.panic {
                report.panicRouted = true
                // A last resort may be backing off after failed connects; it may be back by now.
                client.connectNow()
            }
            do {
                let result = try await send(client, timeout)
                set.balancer.end(upstream, outcome: .success)
                return result
            } catch {
                // Never started (or never answered) and no usable connection left: the replica
                // went away or drains.
                lastWasUnreachable = (error.unprocessed || error.unanswered) && client.state != .ready
                set.balancer.end(upstream, outcome: lastWasUnreachable ? .unreachable : Self.outcome(of: error))
                // Inference has no side effects, so a call whose replica died before answering
                // anything may run again elsewhere; once only, so a request that kills replicas
                // cannot take down more than two.
                let resend = error.unanswered && unansweredRetries == 0
                if resend { unansweredRetries += 1 }
                guard error.unprocessed || resend || Self.doesNotServeTheRoute(error.code), !Task.isCancelled else { throw error }
                failed.append(upstream)
                // A replica's own answer tells the caller more than a refused connection.
                if lastError?.unprocessed ?? true { lastError = error }
            }
        }
        if let lastError { throw lastError }
        throw RPCError(.unavailable, "no replica for \(what())", unprocessed: true)
    }

    /// Time left before the deadline; DEADLINE_EXCEEDED when none is.
    private func remaining(
        until deadline: ContinuousClock.Instant?, what: @autoclosure () -> String
    ) throws(RPCError) -> Duration? {
        guard let deadline else { return nil }
        let left = deadline - .now
        guard left > .zero else { throw RPCError(.deadlineExceeded, "deadline exceeded before calling \(what())") }
        return left
    }

    /// How a failed call counts against the replica that answered.
    static func outcome(of error: RPCError) -> EndpointBalancer<Upstream>.Outcome {
        // A call the replica never started says nothing about its health.
        if error.unprocessed { return .ignored }
        switch error.code {
        case .unavailable, .internal, .unknown, .deadlineExceeded, .dataLoss, .notFound, .unimplemented: return .failure
        default: return .ignored
        }
    }

    /// Whether a replica's status says it does not serve what the route sends it (a model being
    /// unloaded, an endpoint that runs something else): no inference ran, so another replica
    /// may answer. The gateway checks the caller's model and version against the routes first,
    /// so this is never the caller's mistake.
    static func doesNotServeTheRoute(_ code: StatusCode) -> Bool {
        code == .notFound || code == .unimplemented
    }

    /// Whether a status means the version failed the call (as opposed to the caller's mistake);
    /// these count as errors in the canary analysis and trigger fallback.
    public static func isServerFault(_ code: StatusCode) -> Bool {
        switch code {
        case .unknown, .deadlineExceeded, .notFound, .unimplemented, .internal, .unavailable, .dataLoss, .aborted: true
        default: false
        }
    }
}
