import Foundation
import Routing

/// One version's live parts: its replicas, its per-step measurements and its autoscaler.
public final class VersionRuntime: Sendable {
    public let version: String
    public let route: VersionRoute
    public let endpoints: EndpointSet
    public let stats: VersionStats
    public let autoscaler: ConcurrencyAutoscaler

    init(version: String, route: VersionRoute, endpoints: EndpointSet, autoscaler: ConcurrencyAutoscaler, stats: VersionStats) {
        self.version = version
        self.route = route
        self.endpoints = endpoints
        self.autoscaler = autoscaler
        self.stats = stats
    }
}

/// One routed model's live parts: its route, versions, optional preprocessor, and the canary
/// state that decides the split.
public final class ModelRuntime: Sendable {
    public let route: ModelRoute
    public let versions: [String: VersionRuntime]
    public let pipeline: EndpointSet?
    /// Nil when the route has no canary policy.
    private let canaryState: MutexBox<CanaryState?>
    /// The selector for the current weights, rebuilt only when the canary state changes.
    private let currentSelector: MutexBox<VersionSelector>

    init(route: ModelRoute, versions: [String: VersionRuntime], pipeline: EndpointSet?, canary: CanaryState?) {
        self.route = route
        self.versions = versions
        self.pipeline = pipeline
        self.canaryState = MutexBox(canary)
        self.currentSelector = MutexBox(Self.selector(route: route, weights: canary?.weights ?? route.staticWeights))
    }

    private static func selector(route: ModelRoute, weights: [String: Double]) -> VersionSelector {
        let split = TrafficSplit(weights: weights) ?? TrafficSplit(single: route.versionOrder.last ?? "")
        return VersionSelector(model: route.name, versions: Set(route.versions.keys), split: split)
    }

    public var name: String { route.name }

    public var canary: CanaryState? {
        get { canaryState.value }
        set { updateCanary { $0 = newValue } }
    }

    /// Applies `change` to the canary state atomically (nil when there is no canary).
    func updateCanary<Result>(_ change: (inout CanaryState?) throws -> Result) rethrows -> Result {
        try canaryState.withLock { state in
            let before = state?.weights
            let result = try change(&state)
            if let weights = state?.weights, weights != before {
                currentSelector.value = Self.selector(route: route, weights: weights)
            }
            return result
        }
    }

    /// Weights now: the canary's when it has one, else the route's fixed ones.
    public var weights: [String: Double] {
        if let canary = canaryState.value { return canary.weights }
        return route.staticWeights
    }

    /// The selector for one call, from the current weights.
    public func selector() -> VersionSelector { currentSelector.value }

    /// Whether any version has a replica that can take a call now.
    public var hasUsableReplica: Bool {
        versions.values.contains { $0.endpoints.usableCount > 0 }
    }

    /// The version with the largest share now (answers ModelMetadata).
    public var primaryVersion: String? {
        weights.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? route.versionOrder.last
    }
}
