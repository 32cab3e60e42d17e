import InferenceAPI
import RPCCore
import RPCTransport
import Routing

/// Sends one call to one of a set's replicas, retrying on another replica only when the first
/// never started on it (no connection, stream refused, draining) and the retry budget allows.
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
        for attempt in 0..<max(0, maxAttempts) {
            guard let upstream = set.balancer.begin(excluding: failed, random: &generator) else { break }
            if attempt > 0 {
                guard retryBudget.tryRetry() else {
                    set.balancer.end(upstream, outcome: .ignored)
                    break
                }
                report.retries += 1
            }
            let timeout: Duration?
            do {
                timeout = try remaining(until: deadline, what: what())
            } catch {
                set.balancer.end(upstream, outcome: .ignored)
                throw error
            }
            do {
                let result = try await send(clients.client(for: upstream), timeout)
                set.balancer.end(upstream, outcome: .success)
                return result
            } catch {
                set.balancer.end(upstream, outcome: Self.outcome(of: error))
                guard error.unprocessed, !Task.isCancelled else { throw error }
                failed.append(upstream)
                lastError = error
            }
        }
        if let lastError { throw lastError }
        throw RPCError(.unavailable, "no ready replica for \(what())", unprocessed: true)
    }

    /// Time left before the deadline; DEADLINE_EXCEEDED when none is.
    private func remaining(until deadline: ContinuousClock.Instant?, what: @autoclosure () -> String) throws(RPCError) -> Duration? {
        guard let deadline else { return nil }
        let left = deadline - .now
        guard left > .zero else { throw RPCError(.deadlineExceeded, "deadline exceeded before calling \(what())") }
        return left
    }

    /// How a failed call counts against the replica that answered.
    static func outcome(of error: RPCError) -> EndpointBalancer<Upstream>.Outcome {
        switch error.code {
        case .unavailable, .internal, .unknown, .deadlineExceeded, .dataLoss: .failure
        default: .ignored
        }
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
