/// What the ops port answers, as plain values: `/metrics`, `/healthz`, `/readyz`, 404
/// elsewhere, 405 for methods other than GET. Kept apart from the channel handler so it is
/// tested without sockets.
public struct OpsEndpoints: Sendable {
    /// One answer.
    public struct Response: Sendable, Hashable {
        public var status: Int
        public var contentType: String
        public var body: [UInt8]
        /// Extra headers (`Allow` on a 405).
        public var headers: [String: String] = [:]

        static func text(_ status: Int, _ text: String, headers: [String: String] = [:]) -> Response {
            Response(status: status, contentType: "text/plain; charset=utf-8", body: Array((text + "\n").utf8), headers: headers)
        }
    }

    /// What `/metrics` exposes.
    public let metrics: ServiceMetrics
    /// What `/readyz` answers.
    public let readiness: Readiness

    public init(metrics: ServiceMetrics, readiness: Readiness) {
        self.metrics = metrics
        self.readiness = readiness
    }

    /// The answer to `method` on `target` (a path with an optional query, which is ignored).
    public func respond(method: String, target: String) -> Response {
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? target
        let known = ["/metrics", "/healthz", "/readyz"]
        guard known.contains(path) else { return .text(404, "not found: \(path) (try /metrics, /healthz or /readyz)") }
        guard method == "GET" else { return .text(405, "\(method) is not allowed; use GET", headers: ["Allow": "GET"]) }
        switch path {
        case "/metrics":
            return Response(status: 200, contentType: ServiceMetrics.expositionContentType, body: metrics.exposition())
        case "/healthz":
            return .text(200, "ok")
        default:
            switch readiness.state {
            case .ready: return .text(200, "ready")
            case .notReady(let reason): return .text(503, "not ready: \(reason)")
            }
        }
    }
}
