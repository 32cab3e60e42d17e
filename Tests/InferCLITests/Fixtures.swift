import AdminAPI
import InferenceAPI

/// Admin replies and inference responses shared by the rendering tests and the fake gateway.
enum Fixtures {
    static let routes = RouteList(
        routes: [
            RouteSummary(
                model: "iris",
                versions: [
                    VersionSummary(
                        version: "1", workerModel: "iris", endpoints: ["127.0.0.1:7001", "127.0.0.1:7002"], weight: 75),
                    VersionSummary(version: "2", workerModel: "iris", endpoints: ["dns:///iris-v2:8001"], weight: 25),
                ],
                pipeline: "iris-features", canaryPhase: "progressing"),
            RouteSummary(
                model: "wine",
                versions: [VersionSummary(version: "3", workerModel: "wine-gbm", endpoints: ["10.0.0.5:8001"], weight: 100)]),
        ],
        yaml: "models:\n  iris: {}\n")

    static let canary = CanaryStatus(
        model: "iris", stable: "1", candidate: "2", phase: "progressing", weight: 25, stepIndex: 1,
        steps: [5, 25, 50, 100], stepStartedUnixMilliseconds: 1_714_564_800_000,
        stableMeasurement: VersionMeasurement(version: "1", calls: 300, errors: 1, p50Milliseconds: 0.84, p99Milliseconds: 2.5),
        candidateMeasurement: VersionMeasurement(
            version: "2", calls: 100, errors: 0, p50Milliseconds: 0.9, p99Milliseconds: 3.125),
        history: [
            CanaryTransition(atUnixMilliseconds: 1_714_564_770_000, phase: "progressing", weight: 5, reason: "started"),
            CanaryTransition(
                atUnixMilliseconds: 1_714_564_800_000, phase: "progressing", weight: 25,
                reason: "step passed: 120 calls, 0 errors"),
        ],
        lastDecision: "hold: 100 of 100 calls, waiting for the interval")

    static let hints = AutoscalingHintList(hints: [
        AutoscalingHint(
            model: "iris", version: "1", stableConcurrency: 3.25, panicConcurrency: 7.5, desiredReplicas: 2, readyReplicas: 2,
            panic: false, targetConcurrency: 8),
        AutoscalingHint(
            model: "iris", version: "2", stableConcurrency: 0.5, panicConcurrency: 12, desiredReplicas: 3, readyReplicas: 1,
            panic: true, targetConcurrency: 4),
    ])

    static let health = EndpointStatusList(endpoints: [
        EndpointStatus(
            model: "iris", version: "1", endpoint: "127.0.0.1:7001", address: "127.0.0.1:7001", state: "ready", outstanding: 3),
        EndpointStatus(
            model: "iris", version: "2", endpoint: "dns:///iris-v2:8001", address: "10.1.2.3:8001", state: "ejected",
            outstanding: 0, consecutiveFailures: 5, ejectedUntilUnixMilliseconds: 1_714_564_803_000, panic: true),
        EndpointStatus(model: "iris", version: "pipeline", endpoint: "127.0.0.1:7100", address: "", state: "connecting"),
    ])

    /// A classifier's answer for `rows` rows: a label per row and two probabilities per row.
    static func classification(rows: Int, version: String = "2") -> InferResponse {
        InferResponse(
            modelName: "iris", modelVersion: version, id: "req-1",
            outputs: [
                InferTensor(name: "label", shape: [Int64(rows)], values: (0..<rows).map { Int64($0 % 3) }),
                InferTensor(
                    name: "probability", shape: [Int64(rows), 2],
                    values: (0..<rows).flatMap { _ in [Float(0.25), Float(0.75)] }),
            ])
    }
}
