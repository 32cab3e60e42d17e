import InferenceAPI

/// The process's grpc.health.v1 answers, kept in step with one condition: the overall service
/// ("") and `inference.GRPCInferenceService` both say SERVING while `isServing` holds.
public struct ServingHealth: Sendable {
    /// What the health service answers from.
    public let store = HealthStatusStore(overall: .notServing)
    private let isServing: @Sendable () -> Bool

    public init(isServing: @escaping @Sendable () -> Bool) {
        self.isServing = isServing
        update()
    }

    /// Reads the condition again (after a reload, or periodically).
    public func update() {
        let status: HealthStatusStore.Status = isServing() ? .serving : .notServing
        store.set(service: "", status: status)
        store.set(service: "inference.GRPCInferenceService", status: status)
    }

    /// NOT_SERVING for every service from now on: the process is draining.
    public func stopServing() { store.setAll(.notServing) }
}
