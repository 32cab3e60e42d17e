extension ModelRoute {
    /// Checks ranges and cross-references (traffic, canary and shadow name known versions, …);
    /// the error's path starts at `models.<name>`.
    public func validate() throws(RoutesError) {
        let path = "models.\(name)"
        guard !name.isEmpty else { throw RoutesError(path: "models", message: "a model name is empty") }
        if let pipeline {
            guard !pipeline.model.isEmpty else {
                throw RoutesError(path: "\(path).pipeline.model", message: "must not be empty")
            }
            guard !pipeline.endpoints.isEmpty else {
                throw RoutesError(path: "\(path).pipeline.endpoints", message: "needs at least one endpoint")
            }
        }
        guard !versions.isEmpty else {
            throw RoutesError(path: "\(path).versions", message: "needs at least one version")
        }
        for version in versionOrder {
            guard !version.isEmpty else { throw RoutesError(path: "\(path).versions", message: "a version name is empty") }
            guard let route = versions[version], !route.endpoints.isEmpty else {
                throw RoutesError(path: "\(path).versions.\(version).endpoints", message: "needs at least one endpoint")
            }
            if route.model?.isEmpty == true {
                throw RoutesError(path: "\(path).versions.\(version).model", message: "must not be empty")
            }
        }
        if let traffic { try validateTraffic(traffic, at: "\(path).traffic") }
        if let canary {
            guard traffic == nil else {
                throw RoutesError(
                    path: "\(path).canary",
                    message: "traffic and canary are mutually exclusive; a canary drives the split")
            }
            try validateCanary(canary, at: "\(path).canary")
        }
        if let shadow {
            try requireVersion(shadow.version, at: "\(path).shadow.version")
            guard (0...100).contains(shadow.percent) else {
                throw RoutesError(path: "\(path).shadow.percent", message: "must be from 0 to 100, got \(shadow.percent)")
            }
        }
        if let autoscaling { try validateAutoscaling(autoscaling, at: "\(path).autoscaling") }
    }

    private func requireVersion(_ version: String, at path: String) throws(RoutesError) {
        guard versions[version] != nil else {
            throw RoutesError(
                path: path,
                message: "version \"\(version)\" is not in versions (\(versionOrder.joined(separator: ", ")))")
        }
    }

    private func validateTraffic(_ traffic: [String: Double], at path: String) throws(RoutesError) {
        for version in VersionOrder.sorted(traffic.keys) {
            guard versions[version] != nil else {
                throw RoutesError(path: path, message: "version \"\(version)\" is not in versions")
            }
            let weight = traffic[version] ?? 0
            guard weight >= 0, weight.isFinite else {
                throw RoutesError(path: "\(path).\(version)", message: "weight must be 0 or more, got \(weight)")
            }
        }
        guard traffic.values.contains(where: { $0 > 0 }) else {
            throw RoutesError(path: path, message: "at least one weight must be above 0")
        }
    }

    private func validateCanary(_ canary: CanaryPolicy, at path: String) throws(RoutesError) {
        try requireVersion(canary.stable, at: "\(path).stable")
        try requireVersion(canary.candidate, at: "\(path).candidate")
        guard canary.stable != canary.candidate else {
            throw RoutesError(path: "\(path).candidate", message: "must differ from stable")
        }
        let increasing = zip(canary.steps, canary.steps.dropFirst()).allSatisfy { $0 < $1 }
        guard let first = canary.steps.first, first > 0, increasing, canary.steps.last == 100 else {
            throw RoutesError(path: "\(path).steps", message: "must be increasing percentages ending at 100")
        }
        guard canary.interval > .zero else {
            throw RoutesError(path: "\(path).interval", message: "must be longer than 0")
        }
        guard canary.minCalls >= 1 else {
            throw RoutesError(path: "\(path).min_calls", message: "must be at least 1")
        }
        guard (0...1).contains(canary.maxErrorRate) else {
            throw RoutesError(path: "\(path).max_error_rate", message: "must be from 0 to 1")
        }
        guard canary.maxP99Ratio > 0, canary.maxP99Ratio.isFinite else {
            throw RoutesError(path: "\(path).max_p99_ratio", message: "must be above 0")
        }
        if let cap = canary.maxErrorRateAbsolute, !(0...1).contains(cap) {
            throw RoutesError(path: "\(path).max_error_rate_absolute", message: "must be from 0 to 1")
        }
        if let cap = canary.maxP99, cap <= .zero {
            throw RoutesError(path: "\(path).max_p99_ms", message: "must be above 0")
        }
    }

    private func validateAutoscaling(_ policy: AutoscalingPolicy, at path: String) throws(RoutesError) {
        guard policy.targetConcurrency > 0, policy.targetConcurrency.isFinite else {
            throw RoutesError(path: "\(path).target_concurrency", message: "must be above 0")
        }
        guard policy.minReplicas >= 0 else {
            throw RoutesError(path: "\(path).min_replicas", message: "must be 0 or more")
        }
        guard policy.maxReplicas >= max(1, policy.minReplicas) else {
            throw RoutesError(path: "\(path).max_replicas", message: "must be at least 1 and at least min_replicas")
        }
        guard policy.stableWindow > .zero else {
            throw RoutesError(path: "\(path).stable_window", message: "must be longer than 0")
        }
        guard policy.panicWindow > .zero, policy.panicWindow <= policy.stableWindow else {
            throw RoutesError(path: "\(path).panic_window", message: "must be longer than 0 and at most stable_window")
        }
    }
}
