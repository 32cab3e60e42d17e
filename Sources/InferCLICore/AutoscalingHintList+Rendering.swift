import AdminAPI
import JSONDocument

extension AutoscalingHintList {
    /// One line per model version: observed concurrency over the stable and panic windows, the
    /// replicas wanted and ready, whether panic mode is on, and the target per replica.
    public var table: String {
        guard !hints.isEmpty else { return "no autoscaling hints\n" }
        var table = TextTable(
            headers: ["MODEL", "VERSION", "STABLE CONCURRENCY", "PANIC CONCURRENCY", "DESIRED", "READY", "PANIC", "TARGET"],
            rightAligned: [2, 3, 4, 5, 7])
        for hint in hints {
            table.append([
                hint.model, hint.version, NumberText.fixed(hint.stableConcurrency, places: 2),
                NumberText.fixed(hint.panicConcurrency, places: 2), "\(hint.desiredReplicas)", "\(hint.readyReplicas)",
                hint.panic ? "yes" : "no", NumberText.significant(hint.targetConcurrency),
            ])
        }
        return table.rendered
    }

    public var json: JSONValue {
        .members([
            "hints": .array(
                hints.map { hint in
                    .members([
                        "model": .string(hint.model),
                        "version": .string(hint.version),
                        "stable_concurrency": .double(hint.stableConcurrency),
                        "panic_concurrency": .double(hint.panicConcurrency),
                        "desired_replicas": .int(hint.desiredReplicas),
                        "ready_replicas": .int(hint.readyReplicas),
                        "panic": .bool(hint.panic),
                        "target_concurrency": .double(hint.targetConcurrency),
                    ])
                })
        ])
    }
}
