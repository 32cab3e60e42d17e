import AdminAPI
import Foundation
import RPCCore
import Routing

/// The gateway's admin service: routes, canary actions and status, autoscaling hints, endpoint health.
public final class GatewayAdmin: GatewayAdminHandler {
    let gateway: Gateway

    init(gateway: Gateway) { self.gateway = gateway }

    private var table: RoutingTable { gateway.table }

    public func listRoutes(context: ServerContext) async throws -> RouteList {
        let routes = table.models.keys.sorted().compactMap { name -> RouteSummary? in
            guard let model = table.model(name) else { return nil }
            let weights = model.weights
            let total = max(weights.values.reduce(0, +), .leastNonzeroMagnitude)
            return RouteSummary(
                model: name,
                versions: model.route.versionOrder.compactMap { version in
                    model.versions[version].map {
                        VersionSummary(
                            version: version, workerModel: model.route.workerModelName(for: version),
                            endpoints: $0.route.endpoints.map(\.description),
                            weight: 100 * (weights[version] ?? 0) / total)
                    }
                },
                pipeline: model.route.pipeline?.model ?? "",
                canaryPhase: model.canary?.phase.name ?? "")
        }
        return RouteList(routes: routes, yaml: table.config.yaml())
    }

    public func getRoute(_ request: ModelSelector, context: ServerContext) async throws -> RouteDocument {
        let model = try gateway.service.routed(request.model)
        return RouteDocument(model: model.name, yaml: model.route.yaml())
    }

    /// Validates the new route as the routes file would be, then installs it (in memory: the
    /// routes file, when it changes, replaces it again).
    public func setRoute(_ request: RouteDocument, context: ServerContext) async throws -> RouteDocument {
        guard !request.model.isEmpty else { throw RPCError(.invalidArgument, "model must be set") }
        var config = table.config
        do {
            config.models[request.model] = try ModelRoute(yaml: request.yaml, name: request.model, file: "SetRoute")
            try config.validate()
        } catch {
            throw RPCError(.invalidArgument, error.description)
        }
        table.apply(config)
        gateway.canary.persist()
        gateway.logger.notice("route set through the admin service", metadata: ["model": "\(request.model)"])
        gateway.refreshSoon()
        return RouteDocument(model: request.model, yaml: config.models[request.model]?.yaml() ?? "")
    }

    public func canaryAction(_ request: CanaryActionRequest, context: ServerContext) async throws -> AdminAPI.CanaryStatus {
        let model = try gateway.service.routed(request.model)
        let now = Date()
        let action: @Sendable (inout CanaryState?, CanaryPolicy) throws -> Void = { state, policy in
            switch request.action {
            case .start:
                state = CanaryState.start(policy, at: now)
            case .unspecified:
                throw RPCError(.invalidArgument, "action must be one of start, pause, resume, promote, abort, set_weight")
            default:
                guard var current = state else {
                    throw RPCError(.failedPrecondition, "model \"\(model.name)\" has no canary running; start one first")
                }
                switch request.action {
                case .pause: try current.pause(at: now)
                case .resume: try current.resume(at: now)
                case .promote: try current.promote(at: now)
                case .abort: try current.abort(at: now)
                case .setWeight:
                    guard request.weight.isFinite, request.weight.rounded() == request.weight else {
                        throw RPCError(
                            .invalidArgument, "weight must be a whole percent from 0 to 100, got \(request.weight)")
                    }
                    try current.setWeight(Int(request.weight), policy: policy, at: now)
                case .start, .unspecified: break
                }
                state = current
            }
        }
        do {
            if let shared = gateway.shared {
                try await shared.act(on: model, action)
            } else {
                try gateway.canary.act(on: model, action)
            }
        } catch let error as CanaryActionError {
            throw RPCError(error.message.hasPrefix("weight") ? .invalidArgument : .failedPrecondition, error.message)
        } catch let error as SharedActionError {
            switch error {
            case .unreachable: throw RPCError(.unavailable, error.description)
            case .contended: throw RPCError(.aborted, error.description)
            }
        }
        return try status(of: model)
    }

    public func canaryStatus(_ request: ModelSelector, context: ServerContext) async throws -> CanaryStatusList {
        if !request.model.isEmpty {
            return CanaryStatusList(canaries: [try status(of: try gateway.service.routed(request.model))])
        }
        let models = table.models.values.filter { $0.canary != nil }.sorted { $0.name < $1.name }
        return CanaryStatusList(canaries: try models.map { try status(of: $0) })
    }

    public func autoscalingHints(_ request: ModelSelector, context: ServerContext) async throws -> AutoscalingHintList {
        if !request.model.isEmpty { _ = try gateway.service.routed(request.model) }
        let hints = gateway.latestHints().filter { request.model.isEmpty || $0.model == request.model }
        return AutoscalingHintList(hints: hints)
    }

    public func endpointHealth(_ request: ModelSelector, context: ServerContext) async throws -> EndpointStatusList {
        if !request.model.isEmpty { _ = try gateway.service.routed(request.model) }
        var statuses: [EndpointStatus] = []
        let now = Date()
        for model in table.models.values.sorted(by: { $0.name < $1.name })
        where request.model.isEmpty || model.name == request.model {
            var sets: [(String, EndpointSet)] = model.route.versionOrder.compactMap { version in
                model.versions[version].map { (version, $0.endpoints) }
            }
            if let pipeline = model.pipeline { sets.append(("pipeline", pipeline)) }
            for (version, set) in sets {
                for status in set.balancer.statuses() {
                    let state = status.ejectedFor != nil ? "ejected" : (status.ready ? "ready" : "not_serving")
                    let ejectedUntil = status.ejectedFor.map { now.addingTimeInterval($0.secondsValue).unixMilliseconds } ?? 0
                    statuses.append(
                        EndpointStatus(
                            model: model.name, version: version,
                            endpoint: set.origin(of: status.endpoint)?.description ?? status.endpoint.description,
                            address: status.endpoint.description, state: state, outstanding: Int32(status.outstanding),
                            consecutiveFailures: Int32(status.consecutiveFailures), ejectedUntilUnixMilliseconds: ejectedUntil,
                            panic: status.panic))
                }
            }
        }
        return EndpointStatusList(endpoints: statuses)
    }

    private func status(of model: ModelRuntime) throws(RPCError) -> AdminAPI.CanaryStatus {
        guard let policy = model.route.canary else {
            throw RPCError(.failedPrecondition, "model \"\(model.name)\" has no canary policy in its route")
        }
        // A replica not following a shared record routes by the declared weights: all on stable.
        let state =
            model.canary
            ?? CanaryState(
                stable: policy.stable, candidate: policy.candidate, candidateWeight: 0, stepIndex: 0,
                phase: .paused, stepStartedAt: Date())
        func measurement(_ version: String) -> VersionMeasurement {
            guard let snapshot = model.versions[version]?.stats.snapshot() else { return VersionMeasurement(version: version) }
            return VersionMeasurement(
                version: version, calls: UInt64(snapshot.calls), errors: UInt64(snapshot.errors),
                p50Milliseconds: snapshot.p50.milliseconds, p99Milliseconds: snapshot.p99.milliseconds)
        }
        return AdminAPI.CanaryStatus(
            model: model.name, stable: state.stable, candidate: state.candidate, phase: state.phase.name,
            weight: state.weights[state.candidate] ?? 0, stepIndex: Int32(state.stepIndex),
            steps: policy.steps.map(Double.init), stepStartedUnixMilliseconds: state.stepStartedAt.unixMilliseconds,
            stableMeasurement: measurement(state.stable), candidateMeasurement: measurement(state.candidate),
            history: state.history.map {
                AdminAPI.CanaryTransition(
                    atUnixMilliseconds: $0.at.unixMilliseconds, phase: $0.phase, weight: Double($0.candidateWeight),
                    reason: $0.reason)
            },
            lastDecision: gateway.shared?.lastDecision(for: model.name) ?? gateway.canary.lastDecision(for: model.name),
            leader: gateway.shared.map { $0.session.standing.leader ?? "" } ?? "",
            coordination: gateway.shared?.coordinationText(for: model.name) ?? "")
    }
}

extension Duration {
    var milliseconds: Double { secondsValue * 1000 }
}

extension Date {
    var unixMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
}
