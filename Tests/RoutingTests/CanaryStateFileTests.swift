import Foundation
import Testing

@testable import Routing

@Suite struct CanaryStateFileTests {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("routing-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func roundTripsEveryPhase() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("canary-state.json").path
        let policy = CanaryPolicy(stable: "1", candidate: "2", steps: [10, 100])
        let start = Date(timeIntervalSince1970: 1_700_000_000.25)
        var states: [String: CanaryState] = [:]
        states["iris"] = CanaryState.start(policy, at: start)
        var paused = CanaryState.start(policy, at: start)
        try paused.pause(at: start.addingTimeInterval(1.5))
        paused.stableBaseline = .init(calls: 1900, errorRate: 0.001, p99Microseconds: 850)
        states["paused"] = paused
        var aborted = CanaryState.start(policy, at: start)
        try aborted.abort(at: start.addingTimeInterval(2), reason: "operator said so")
        states["aborted"] = aborted
        states["rolled"] =
            CanaryAnalysis.evaluate(
                policy: policy, state: CanaryState.start(policy, at: start),
                stable: .init(calls: 1000, errors: 0), candidate: .init(calls: 100, errors: 100), now: start
            ).state
        var promoted = CanaryState.start(policy, at: start)
        try promoted.promote(at: start.addingTimeInterval(3))
        states["promoted"] = promoted

        try CanaryStateFile.write(states, path: path)
        try CanaryStateFile.write(states, path: path)  // Replaces the first file.
        #expect(try CanaryStateFile.read(path: path) == states)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(leftovers == ["canary-state.json"])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("\"version\" : 1"))
        #expect(text.contains("\"step_started_at\" : \"2023-11-14T22:13:20.250Z\""))
        #expect(text.contains("\"name\" : \"rolled_back\""))
    }

    @Test func missingFileIsEmpty() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try CanaryStateFile.read(path: directory.appendingPathComponent("none.json").path).isEmpty)
    }

    @Test(arguments: [
        ("{not json", "is not a valid canary state file"),
        ("{\"version\": 2, \"models\": {}}", "has format version 2; this gateway reads version 1"),
        ("{\"models\": {}}", "missing key \"version\""),
        ("{\"version\": 1, \"models\": {\"iris\": {\"stable\": \"1\"}}}", "models.iris: missing key \"candidate\""),
        (
            """
            {"version": 1, "models": {"iris": {"stable": "1", "candidate": "2", "candidate_weight": 5, "step_index": 0,
             "phase": {"name": "sideways"}, "step_started_at": "2025-01-01T00:00:00.000Z", "history": []}}}
            """, "unknown canary phase \"sideways\""
        ),
        (
            """
            {"version": 1, "models": {"iris": {"stable": "1", "candidate": "2", "candidate_weight": 5, "step_index": 0,
             "phase": {"name": "paused"}, "step_started_at": "yesterday", "history": []}}}
            """, "\"yesterday\" is not an RFC 3339 time"
        ),
    ])
    func corruptFileGivesAClearError(text: String, expected: String) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("canary-state.json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try CanaryStateFile.read(path: path)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.hasPrefix("\(path): "))
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }

    @Test func unwritableDirectoryGivesAnError() {
        #expect(throws: CanaryStateFileError.self) {
            try CanaryStateFile.write([:], path: "/nonexistent-dir/canary-state.json")
        }
    }
}
