import NIOCore

/// How an `RPCClient` connects to its endpoint.
public struct ClientConfiguration: Sendable {
    /// Jittered exponential backoff between connection attempts.
    public struct Backoff: Sendable {
        public var initial: Duration = .milliseconds(100)
        public var maximum: Duration = .seconds(10)
        public var multiplier = 1.6
        /// Each delay is multiplied by a random factor in 1 ± jitter.
        public var jitter = 0.2

        public init() {}

        /// The delay before attempt `attempt` (0 for the first retry).
        public func delay(attempt: Int) -> Duration {
            let base = Double(initial.components.seconds) + Double(initial.components.attoseconds) * 1e-18
            let cap = Double(maximum.components.seconds) + Double(maximum.components.attoseconds) * 1e-18
            let grown = min(cap, base * pow(multiplier, Double(min(attempt, 64))))
            let jittered = grown * Double.random(in: (1 - jitter)...(1 + jitter))
            return .nanoseconds(Int64(max(0, jittered) * 1e9))
        }
    }

    /// HTTP/2 connections kept to the endpoint; calls are spread over them.
    public var connections = 1
    public var connectTimeout: Duration = .seconds(5)
    public var backoff = Backoff()
    /// Largest reply accepted.
    public var maxReceiveMessageLength = 4 * 1024 * 1024
    /// TLS to the endpoint (ALPN `h2`, `:scheme https`); nil speaks plaintext HTTP/2.
    public var tls: ClientTLS?

    public init() {}
}

private func pow(_ base: Double, _ exponent: Double) -> Double {
    var result = 1.0
    for _ in 0..<Int(exponent) { result *= base }
    return result
}
