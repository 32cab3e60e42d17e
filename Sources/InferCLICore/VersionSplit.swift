import JSONDocument

/// Which versions answered a stream of calls, and how many calls failed.
public struct VersionSplit: Sendable, Hashable {
    /// Calls answered per `model_version`.
    public private(set) var answers: [String: Int] = [:]
    /// Failed calls per status name.
    public private(set) var failures: [String: Int] = [:]

    public init() {}

    public var calls: Int { answers.values.reduce(0, +) + failedCalls }
    public var failedCalls: Int { failures.values.reduce(0, +) }

    public mutating func recordAnswer(version: String) {
        answers[version.isEmpty ? "-" : version, default: 0] += 1
    }

    public mutating func recordFailure(status: String) {
        failures[status, default: 0] += 1
    }

    /// Versions in numeric order when they are numbers ("2" before "10"), else by name.
    var orderedVersions: [String] {
        answers.keys.sorted { left, right in
            switch (Int(left), Int(right)) {
            case (let l?, let r?): l < r
            case (.some, nil): true
            case (nil, .some): false
            case (nil, nil): left < right
            }
        }
    }

    /// `VERSION CALLS SHARE` per version, then one line per failure status.
    public var table: String {
        var table = TextTable(headers: ["VERSION", "CALLS", "SHARE"], rightAligned: [1, 2])
        for version in orderedVersions {
            table.append([version, "\(answers[version]!)", share(answers[version]!)])
        }
        for status in failures.keys.sorted() {
            table.append(["error \(status)", "\(failures[status]!)", share(failures[status]!)])
        }
        return "\(calls) calls\n" + table.rendered
    }

    public var json: JSONValue {
        .members([
            "calls": .int(calls),
            "versions": .object(orderedVersions.map { JSONMember($0, .int(answers[$0]!)) }),
            "errors": .object(failures.keys.sorted().map { JSONMember($0, .int(failures[$0]!)) }),
        ])
    }

    private func share(_ count: Int) -> String {
        guard calls > 0 else { return "-" }
        return Percent.format(Double(count) * 100 / Double(calls))
    }
}

/// Percentages as people write them: 25%, 12.5%.
enum Percent {
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)%" }
        let rounded = (value * 10).rounded() / 10
        if rounded == rounded.rounded() { return "\(Int(rounded))%" }
        return "\(rounded)%"
    }
}
