import InferenceAPI
import JSONDocument
import RPCCore

/// The `infer` command once its rows are read: one call printed as a table (or JSON), or a
/// stream of calls printed one line each, followed by the split of versions that answered.
public struct InferSession: Sendable {
    public var request: InferRequest
    /// Rows in the request, to split outputs per row.
    public var rows: Int
    public var repeatCount: Int
    /// Pause between calls of a stream.
    public var interval: Duration
    public var json: Bool

    public init(request: InferRequest, rows: Int, repeatCount: Int = 1, interval: Duration = .zero, json: Bool = false) {
        self.request = request
        self.rows = rows
        self.repeatCount = repeatCount
        self.interval = interval
        self.json = json
    }

    /// Runs the calls, handing each piece of output to `print` as it is ready. A single call's
    /// error is thrown; in a stream, failed calls are printed and counted, and the split is
    /// returned so the caller can choose the exit status.
    @discardableResult
    public func run(on connection: some GatewayConnection, print: (String) -> Void) async throws(RPCError) -> VersionSplit {
        var split = VersionSplit()
        guard repeatCount > 1 else {
            let response = try await connection.call(InferenceMethods.modelInfer, request, as: InferResponse.self)
            print(json ? try response.json().prettyText + "\n" : try response.table(rows: rows))
            split.recordAnswer(version: response.modelVersion)
            return split
        }
        let clock = ContinuousClock()
        for call in 1...repeatCount {
            if call > 1, interval > .zero { try? await Task.sleep(for: interval) }
            let start = clock.now
            do {
                let response = try await connection.call(InferenceMethods.modelInfer, request, as: InferResponse.self)
                let elapsed = clock.now - start
                let line =
                    json
                    ? try response.json().compactText : response.summaryLine(call: call, of: repeatCount, elapsed: elapsed)
                split.recordAnswer(version: response.modelVersion)
                print(line + "\n")
            } catch {
                split.recordFailure(status: error.code.description)
                if json {
                    let failure = JSONValue.members([
                        "error": .members(["code": .string(error.code.description), "message": .string(error.message)])
                    ])
                    print(failure.compactText + "\n")
                } else {
                    print("#\(call)/\(repeatCount)  error  \(error.code): \(error.message)\n")
                }
            }
            if Task.isCancelled { break }
        }
        print(json ? JSONValue.members(["split": split.json]).compactText + "\n" : "\n" + split.table)
        return split
    }
}
