import AdminAPI
import JSONDocument

extension CanaryStatusList {
    /// Every canary's block, separated by a blank line.
    public var text: String {
        guard !canaries.isEmpty else { return "no canaries\n" }
        return canaries.map(\.text).joined(separator: "\n")
    }

    public var json: JSONValue {
        .members(["canaries": .array(canaries.map(\.json))])
    }
}

extension CanaryStatus {
    /// Where the rollout stands, the current step's measurements, and its history.
    public var text: String {
        var lines: [(String, String)] = [
            ("model", model),
            ("stable", stable),
            ("candidate", candidate),
            ("phase", phase),
            ("weight", Percent.format(weight)),
            ("step", stepDescription),
            ("step started", TimeFormatting.utc(unixMilliseconds: stepStartedUnixMilliseconds)),
            ("last decision", lastDecision.isEmpty ? "-" : lastDecision),
        ]
        // Only a gateway with shared rollout state has a leader.
        if !leader.isEmpty || !coordination.isEmpty {
            lines.append(("leader", leader.isEmpty ? "none" : leader))
            lines.append(("coordination", coordination))
        }
        let width = lines.map(\.0.count).max() ?? 0
        var text = lines.map { $0.0 + String(repeating: " ", count: width - $0.0.count) + "  " + $0.1 + "\n" }.joined()

        var measurements = TextTable(
            headers: ["VERSION", "ROLE", "CALLS", "ERRORS", "P50 MS", "P99 MS"], rightAligned: [2, 3, 4, 5])
        for (role, measurement) in [("stable", stableMeasurement), ("candidate", candidateMeasurement)] {
            measurements.append([
                measurement.version.isEmpty ? "-" : measurement.version, role, "\(measurement.calls)", "\(measurement.errors)",
                NumberText.significant(measurement.p50Milliseconds), NumberText.significant(measurement.p99Milliseconds),
            ])
        }
        text += "\n" + measurements.rendered

        var history = TextTable(headers: ["TIME", "PHASE", "WEIGHT", "REASON"], rightAligned: [2])
        for transition in self.history {
            history.append([
                TimeFormatting.utc(unixMilliseconds: transition.atUnixMilliseconds), transition.phase,
                Percent.format(transition.weight), transition.reason,
            ])
        }
        text += "\n" + (self.history.isEmpty ? "no history\n" : history.rendered)
        return text
    }

    /// `2 of 4 (5%, 25%, 50%, 100%)`; the gateway counts steps from 0.
    var stepDescription: String {
        guard !steps.isEmpty else { return "-" }
        let plan = "(" + steps.map(Percent.format).joined(separator: ", ") + ")"
        guard stepIndex >= 0, Int(stepIndex) < steps.count else { return plan }
        return "\(stepIndex + 1) of \(steps.count) \(plan)"
    }

    public var json: JSONValue {
        .members([
            "model": .string(model),
            "stable": .string(stable),
            "candidate": .string(candidate),
            "phase": .string(phase),
            "weight": .double(weight),
            "step_index": .int(stepIndex),
            "steps": .array(steps.map(JSONValue.double)),
            "step_started_unix_ms": .int(stepStartedUnixMilliseconds),
            "stable_measurement": stableMeasurement.json,
            "candidate_measurement": candidateMeasurement.json,
            "history": .array(
                history.map { transition in
                    .members([
                        "at_unix_ms": .int(transition.atUnixMilliseconds),
                        "phase": .string(transition.phase),
                        "weight": .double(transition.weight),
                        "reason": .string(transition.reason),
                    ])
                }),
            "last_decision": .string(lastDecision),
            "leader": .string(leader),
            "coordination": .string(coordination),
        ])
    }
}

extension VersionMeasurement {
    var json: JSONValue {
        .members([
            "version": .string(version),
            "calls": .int(calls),
            "errors": .int(errors),
            "p50_ms": .double(p50Milliseconds),
            "p99_ms": .double(p99Milliseconds),
        ])
    }
}
