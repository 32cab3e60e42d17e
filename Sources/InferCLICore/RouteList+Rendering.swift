import AdminAPI
import JSONDocument

extension RouteList {
    /// One line per version: the model (on its first version's line), weight, endpoints, the
    /// pipeline and the canary's phase.
    public var table: String {
        guard !routes.isEmpty else { return "no routes\n" }
        var table = TextTable(headers: ["MODEL", "VERSION", "WEIGHT", "ENDPOINTS", "PIPELINE", "CANARY"], rightAligned: [2])
        for route in routes {
            let pipeline = route.pipeline.isEmpty ? "-" : route.pipeline
            let canary = route.canaryPhase.isEmpty ? "-" : route.canaryPhase
            guard !route.versions.isEmpty else {
                table.append([route.model, "-", "-", "-", pipeline, canary])
                continue
            }
            for (index, version) in route.versions.enumerated() {
                let first = index == 0
                table.append([
                    first ? route.model : "", version.version, Percent.format(version.weight),
                    version.endpoints.isEmpty ? "-" : version.endpoints.joined(separator: ", "),
                    first ? pipeline : "", first ? canary : "",
                ])
            }
        }
        return table.rendered
    }

    public var json: JSONValue {
        .members([
            "routes": .array(routes.map(\.json)),
            "yaml": .string(yaml),
        ])
    }
}

extension RouteSummary {
    var json: JSONValue {
        .members([
            "model": .string(model),
            "pipeline": .string(pipeline),
            "canary_phase": .string(canaryPhase),
            "versions": .array(
                versions.map { version in
                    .members([
                        "version": .string(version.version),
                        "worker_model": .string(version.workerModel),
                        "weight": .double(version.weight),
                        "endpoints": .array(version.endpoints.map(JSONValue.string)),
                    ])
                }),
        ])
    }
}

extension RouteDocument {
    /// The YAML as the gateway returned it, ending in a newline.
    public var text: String { yaml.hasSuffix("\n") || yaml.isEmpty ? yaml : yaml + "\n" }

    public var json: JSONValue {
        .members(["model": .string(model), "yaml": .string(yaml)])
    }
}
