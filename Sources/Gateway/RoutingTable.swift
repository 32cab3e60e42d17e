import Foundation
import Logging
import Routing
import Synchronization

/// The gateway's routes as live objects, swapped whole when the routes change. Versions whose
/// endpoints did not change keep their replicas, balancer state, measurements and autoscaler.
public final class RoutingTable: Sendable {
    public let balancerConfiguration: EndpointBalancerConfiguration
    public let clock: any RoutingClock
    private let state = Mutex<(config: RoutesConfig, models: [String: ModelRuntime])>((RoutesConfig(), [:]))

    public init(balancerConfiguration: EndpointBalancerConfiguration = .defaults, clock: any RoutingClock = SystemRoutingClock())
    {
        self.balancerConfiguration = balancerConfiguration
        self.clock = clock
    }

    public var config: RoutesConfig { state.withLock { $0.config } }
    public var models: [String: ModelRuntime] { state.withLock { $0.models } }
    public func model(_ name: String) -> ModelRuntime? { state.withLock { $0.models[name] } }

    /// Every endpoint set in use (versions and preprocessors).
    public var endpointSets: [EndpointSet] {
        models.values.flatMap { model in model.versions.values.map(\.endpoints) + (model.pipeline.map { [$0] } ?? []) }
    }

    /// Installs `config` (already validated). `canaryStates` restores rollouts (from the state
    /// file); a route whose canary has no matching state starts a new rollout at `now`.
    @discardableResult
    public func apply(
        _ config: RoutesConfig, canaryStates: [String: CanaryState] = [:], now: Date = Date()
    ) -> [String: ModelRuntime] {
        state.withLock { state in
            var models: [String: ModelRuntime] = [:]
            for (name, route) in config.models {
                let old = state.models[name]
                models[name] = build(route, old: old, restored: canaryStates[name], now: now)
            }
            state = (config, models)
            return models
        }
    }

    private func build(_ route: ModelRoute, old: ModelRuntime?, restored: CanaryState?, now: Date) -> ModelRuntime {
        let autoscaling = route.autoscalingPolicy
        var versions: [String: VersionRuntime] = [:]
        for (version, versionRoute) in route.versions {
            if let previous = old?.versions[version], previous.route.endpoints == versionRoute.endpoints {
                previous.autoscaler.update(policy: autoscaling)
                versions[version] = VersionRuntime(
                    version: version, route: versionRoute, endpoints: previous.endpoints, autoscaler: previous.autoscaler,
                    stats: previous.stats)
            } else {
                versions[version] = VersionRuntime(
                    version: version, route: versionRoute,
                    endpoints: EndpointSet(endpoints: versionRoute.endpoints, configuration: balancerConfiguration, clock: clock),
                    autoscaler: ConcurrencyAutoscaler(policy: autoscaling, clock: clock), stats: VersionStats())
            }
        }
        var pipeline: EndpointSet?
        if let pipelineRoute = route.pipeline {
            if let previous = old?.pipeline, previous.endpoints == pipelineRoute.endpoints {
                pipeline = previous
            } else {
                pipeline = EndpointSet(endpoints: pipelineRoute.endpoints, configuration: balancerConfiguration, clock: clock)
            }
        }
        var canary: CanaryState?
        if let policy = route.canary {
            if let current = old?.canary, current.matches(policy) {
                canary = current
            } else if let restored, restored.matches(policy) {
                canary = restored
            } else {
                canary = CanaryState.start(policy, at: now, reason: "started by the routes")
            }
        }
        return ModelRuntime(route: route, versions: versions, pipeline: pipeline, canary: canary)
    }
}
