import YAMLLimits
import Yams

extension RoutesConfig {
    /// Parses and validates routes YAML (format in docs/file-formats.md, "Gateway routes"); `file` names the
    /// source in error messages.
    public init(yaml: String, file: String) throws(RoutesError) {
        do throws(RoutesError) {
            let reader = RoutesReader()
            guard let root = try composeYAML(yaml) else {
                self.init()
                return
            }
            let top = try reader.fields(root, at: "", known: ["models"])
            var models: [String: ModelRoute] = [:]
            if let modelsNode = top["models"] {
                for (name, node) in try reader.mapping(modelsNode, at: "models") {
                    models[name] = try ModelRoute(node: node, name: name, reader: reader)
                }
            }
            self.init(models: models)
            try validate()
        } catch {
            throw error.inFile(file)
        }
    }
}

extension ModelRoute {
    /// Parses and validates one model's route (what `models.<name>` holds), e.g. from the admin service.
    public init(yaml: String, name: String, file: String) throws(RoutesError) {
        do throws(RoutesError) {
            guard let root = try composeYAML(yaml) else {
                throw RoutesError(path: "models.\(name)", message: "is empty")
            }
            try self.init(node: root, name: name, reader: RoutesReader())
            try validate()
        } catch {
            throw error.inFile(file)
        }
    }

    init(node: Node, name: String, reader: RoutesReader) throws(RoutesError) {
        let path = "models.\(name)"
        let fields = try reader.fields(
            node, at: path,
            known: ["pipeline", "versions", "traffic", "canary", "shadow", "autoscaling"], required: ["versions"])
        var versions: [String: VersionRoute] = [:]
        for (version, versionNode) in try reader.mapping(fields["versions"]!, at: "\(path).versions") {
            versions[version] = try VersionRoute(node: versionNode, at: "\(path).versions.\(version)", reader: reader)
        }
        var traffic: [String: Double]?
        if let trafficNode = fields["traffic"] {
            var weights: [String: Double] = [:]
            for (version, weight) in try reader.mapping(trafficNode, at: "\(path).traffic") {
                weights[version] = try reader.number(weight, at: "\(path).traffic.\(version)")
            }
            traffic = weights
        }
        self.init(
            name: name,
            pipeline: try fields["pipeline"].map { node throws(RoutesError) in
                try PipelineRoute(node: node, at: "\(path).pipeline", reader: reader)
            },
            versions: versions,
            traffic: traffic,
            canary: try fields["canary"].map { node throws(RoutesError) in
                try CanaryPolicy(node: node, at: "\(path).canary", reader: reader)
            },
            shadow: try fields["shadow"].map { node throws(RoutesError) in
                try ShadowPolicy(node: node, at: "\(path).shadow", reader: reader)
            },
            autoscaling: try fields["autoscaling"].map { node throws(RoutesError) in
                try AutoscalingPolicy(node: node, at: "\(path).autoscaling", reader: reader)
            })
    }
}

extension PipelineRoute {
    init(node: Node, at path: String, reader: RoutesReader) throws(RoutesError) {
        let fields = try reader.fields(
            node, at: path, known: ["model", "version", "endpoints"],
            required: ["model", "endpoints"])
        self.init(
            model: try reader.string(fields["model"]!, at: "\(path).model"),
            version: try fields["version"].map { node throws(RoutesError) in
                try reader.string(node, at: "\(path).version")
            },
            endpoints: try reader.endpoints(fields["endpoints"]!, at: "\(path).endpoints"))
    }
}

extension VersionRoute {
    init(node: Node, at path: String, reader: RoutesReader) throws(RoutesError) {
        let fields = try reader.fields(node, at: path, known: ["endpoints", "model"], required: ["endpoints"])
        self.init(
            endpoints: try reader.endpoints(fields["endpoints"]!, at: "\(path).endpoints"),
            model: try fields["model"].map { node throws(RoutesError) in try reader.string(node, at: "\(path).model") })
    }
}

extension ShadowPolicy {
    init(node: Node, at path: String, reader: RoutesReader) throws(RoutesError) {
        let fields = try reader.fields(node, at: path, known: ["version", "percent"], required: ["version", "percent"])
        self.init(
            version: try reader.string(fields["version"]!, at: "\(path).version"),
            percent: try reader.number(fields["percent"]!, at: "\(path).percent"))
    }
}

extension AutoscalingPolicy {
    init(node: Node, at path: String, reader: RoutesReader) throws(RoutesError) {
        let fields = try reader.fields(
            node, at: path,
            known: ["target_concurrency", "min_replicas", "max_replicas", "stable_window", "panic_window"],
            required: ["target_concurrency", "max_replicas"])
        self.init(
            targetConcurrency: try reader.number(fields["target_concurrency"]!, at: "\(path).target_concurrency"),
            minReplicas: try fields["min_replicas"].map { node throws(RoutesError) in
                try reader.integer(node, at: "\(path).min_replicas")
            } ?? 1,
            maxReplicas: try reader.integer(fields["max_replicas"]!, at: "\(path).max_replicas"),
            stableWindow: try fields["stable_window"].map { node throws(RoutesError) in
                try reader.duration(node, at: "\(path).stable_window")
            } ?? Self.defaultStableWindow,
            panicWindow: try fields["panic_window"].map { node throws(RoutesError) in
                try reader.duration(node, at: "\(path).panic_window")
            } ?? Self.defaultPanicWindow)
    }
}

extension CanaryPolicy {
    init(node: Node, at path: String, reader: RoutesReader) throws(RoutesError) {
        let fields = try reader.fields(
            node, at: path,
            known: [
                "stable", "candidate", "steps", "interval", "min_calls", "max_error_rate", "max_p99_ratio",
                "max_error_rate_absolute", "max_p99_ms", "fallback",
            ],
            required: ["stable", "candidate", "steps"])
        guard let stepNodes = fields["steps"]!.sequence else {
            throw reader.error("\(path).steps", "must be a list of percentages", fields["steps"])
        }
        var steps: [Int] = []
        for (index, step) in stepNodes.enumerated() {
            steps.append(try reader.integer(step, at: "\(path).steps[\(index)]"))
        }
        func optional<T>(_ key: String, _ read: (Node, String) throws(RoutesError) -> T) throws(RoutesError) -> T? {
            guard let node = fields[key] else { return nil }
            return try read(node, "\(path).\(key)")
        }
        self.init(
            stable: try reader.string(fields["stable"]!, at: "\(path).stable"),
            candidate: try reader.string(fields["candidate"]!, at: "\(path).candidate"),
            steps: steps,
            interval: try optional("interval", reader.duration) ?? Self.defaultInterval,
            minCalls: try optional("min_calls", reader.integer) ?? Self.defaultMinCalls,
            maxErrorRate: try optional("max_error_rate", reader.number) ?? Self.defaultMaxErrorRate,
            maxP99Ratio: try optional("max_p99_ratio", reader.number) ?? Self.defaultMaxP99Ratio,
            maxErrorRateAbsolute: try optional("max_error_rate_absolute", reader.number),
            maxP99: try optional("max_p99_ms", reader.number).map { Duration.microseconds(($0 * 1000).rounded()) },
            fallback: try optional("fallback", reader.bool) ?? false)
    }
}

/// The document's root node, nil for an empty document.
private func composeYAML(_ yaml: String) throws(RoutesError) -> Node? {
    if let line = YAMLNesting.lineTooDeep(in: yaml) {
        throw RoutesError(path: "", message: "nests deeper than \(YAMLNesting.maxDepth) levels", line: line)
    }
    do {
        return try Yams.compose(yaml: yaml)
    } catch {
        throw RoutesError(path: "", message: "not valid YAML: \(error)")
    }
}
