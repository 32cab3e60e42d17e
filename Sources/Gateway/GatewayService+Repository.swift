import InferenceAPI
import RPCCore
import RPCTransport

/// Triton's statistics and repository extensions on the gateway: statistics are asked of every
/// replica of each routed version and added up; the index lists routed models; loads and
/// unloads (admin only when tokens are configured) go to every replica of the model's versions.
extension GatewayService {
    public func modelStatistics(
        _ request: ModelStatisticsRequest, context: ServerContext
    ) async throws -> ModelStatisticsResponse {
        let models = request.name.isEmpty ? table.models.values.sorted { $0.name < $1.name } : [try routed(request.name)]
        var result: [ModelStatistics] = []
        for model in models {
            let versionNames = request.version.isEmpty ? model.route.versionOrder : [request.version]
            for versionName in versionNames {
                guard let version = model.versions[versionName] else { throw unknownVersion(model, versionName) }
                let question = ModelStatisticsRequest(
                    name: model.route.workerModelName(for: versionName), version: Self.workerVersion(versionName))
                var sum = ModelStatistics(name: model.name, version: versionName)
                for reply in try await askEveryReplica(
                    InferenceMethods.modelStatistics, question, of: version, context: context, as: ModelStatisticsResponse.self)
                {
                    for stats in reply.modelStats { sum.add(stats) }
                }
                result.append(sum)
            }
        }
        return ModelStatisticsResponse(modelStats: result)
    }

    public func repositoryIndex(
        _ request: RepositoryIndexRequest, context: ServerContext
    ) async throws -> RepositoryIndexResponse {
        var entries: [RepositoryIndexResponse.Entry] = []
        for model in table.models.values.sorted(by: { $0.name < $1.name }) {
            for versionName in model.route.versionOrder {
                let ready = (model.versions[versionName]?.endpoints.usableCount ?? 0) > 0
                if ready {
                    entries.append(.init(name: model.name, version: versionName, state: "READY"))
                } else if !request.ready {
                    entries.append(
                        .init(name: model.name, version: versionName, state: "UNAVAILABLE", reason: "no ready replica"))
                }
            }
        }
        return RepositoryIndexResponse(models: entries)
    }

    public func repositoryModelLoad(
        _ request: RepositoryModelLoadRequest, context: ServerContext
    ) async throws -> RepositoryModelLoadResponse {
        try await forwardToWorkers(InferenceMethods.repositoryModelLoad, model: request.modelName, context: context) {
            var forwarded = request
            forwarded.modelName = $0
            return forwarded
        } as RepositoryModelLoadResponse
    }

    public func repositoryModelUnload(
        _ request: RepositoryModelUnloadRequest, context: ServerContext
    ) async throws -> RepositoryModelUnloadResponse {
        try await forwardToWorkers(InferenceMethods.repositoryModelUnload, model: request.modelName, context: context) {
            var forwarded = request
            forwarded.modelName = $0
            return forwarded
        } as RepositoryModelUnloadResponse
    }

    /// Sends `request(workerModel)` once to every replica serving a version of `model` (a
    /// worker serving several versions under one name gets it once) and answers with the last
    /// reply; the first failure names the replica and stops.
    private func forwardToWorkers<Request: WireMessage, Response: WireMessage>(
        _ path: String, model name: String, context: ServerContext, request: (String) -> Request
    ) async throws -> Response {
        let model = try routed(name)
        var done: Set<String> = []
        var last: Response?
        for versionName in model.route.versionOrder {
            guard let version = model.versions[versionName] else { continue }
            let workerModel = model.route.workerModelName(for: versionName)
            for upstream in version.endpoints.upstreams where done.insert("\(upstream) \(workerModel)").inserted {
                last = try await ask(upstream, path, request(workerModel), context: context, as: Response.self)
            }
        }
        guard let last else { throw RPCError(.unavailable, "model \"\(name)\" has no replicas to send \(path) to") }
        return last
    }

    /// The replies of every replica of `version` to one question.
    private func askEveryReplica<Request: WireMessage, Response: WireMessage>(
        _ path: String, _ request: Request, of version: VersionRuntime, context: ServerContext, as: Response.Type
    ) async throws -> [Response] {
        try await withThrowingTaskGroup(of: Response.self) { group in
            for upstream in version.endpoints.upstreams {
                group.addTask { try await self.ask(upstream, path, request, context: context, as: Response.self) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// One call to one replica within the caller's deadline; errors name the replica.
    private func ask<Request: WireMessage, Response: WireMessage>(
        _ upstream: Upstream, _ path: String, _ request: Request, context: ServerContext, as: Response.Type
    ) async throws(RPCError) -> Response {
        let deadline = context.deadline ?? .now + defaultTimeout
        do {
            return try await forwarder.clients.client(for: upstream).unary(
                path, request, timeout: .now < deadline ? ContinuousClock.now.duration(to: deadline) : .zero, as: Response.self
            ).message
        } catch {
            throw RPCError(error.code, "replica \(upstream): \(error.message)", metadata: error.metadata)
        }
    }
}
