import InferCLICore
import InferenceAPI
import RPCCore
import Synchronization
import Testing

/// A gateway that answers from a script of versions (or failures), one entry per call.
private final class ScriptedGateway: GatewayConnection {
    enum Answer {
        case version(String)
        case failure(RPCError)
    }

    private let script: Mutex<[Answer]>
    private let requests = Mutex<[InferRequest]>([])

    init(_ script: [Answer]) { self.script = Mutex(script) }

    var received: [InferRequest] { requests.withLock { $0 } }

    func call<Request: WireMessage, Response: WireMessage>(
        _ path: String, _ request: Request, as: Response.Type
    ) async throws(RPCError) -> Response {
        guard path == InferenceMethods.modelInfer, let request = request as? InferRequest else {
            throw RPCError(.unimplemented, "not \(path)")
        }
        requests.withLock { $0.append(request) }
        switch script.withLock({ $0.removeFirst() }) {
        case .failure(let error):
            throw error
        case .version(let version):
            let rows = Int(request.inputs.first?.shape.first ?? 0)
            return Fixtures.classification(rows: rows, version: version) as! Response
        }
    }
}

/// Collects what the session prints.
private final class Printed: Sendable {
    private let text = Mutex("")
    var value: String { text.withLock { $0 } }
    func append(_ piece: String) { text.withLock { $0 += piece } }
}

@Suite struct InferSessionTests {
    private let request = InferRequest(
        modelName: "iris", inputs: [InferTensor(name: "x", shape: [2], values: [1.0, 2.0])])

    @Test func oneCallPrintsTheTable() async throws {
        let gateway = ScriptedGateway([.version("1")])
        let printed = Printed()
        let split = try await InferSession(request: request, rows: 2).run(on: gateway, print: printed.append)
        #expect(
            printed.value == """
                ROW  VERSION  label  probability
                  1  1            0  [0.25, 0.75]
                  2  1            1  [0.25, 0.75]

                """)
        #expect(split.answers == ["1": 1])
        #expect(gateway.received == [request])
    }

    @Test func oneCallErrorIsThrown() async {
        let gateway = ScriptedGateway([.failure(RPCError(.notFound, "unknown model \"iris\""))])
        await #expect(throws: RPCError(.notFound, "unknown model \"iris\"")) {
            try await InferSession(request: request, rows: 2).run(on: gateway) { _ in }
        }
    }

    @Test func repeatPrintsALinePerCallAndTheSplit() async throws {
        let gateway = ScriptedGateway([
            .version("1"), .version("2"), .failure(RPCError(.unavailable, "no replica of version 2 is ready")), .version("10"),
            .version("1"),
        ])
        let printed = Printed()
        let split = try await InferSession(request: request, rows: 2, repeatCount: 5).run(on: gateway, print: printed.append)
        #expect(split.answers == ["1": 2, "2": 1, "10": 1])
        #expect(split.failures == ["UNAVAILABLE": 1])
        #expect(split.calls == 5)
        let lines = printed.value.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].hasPrefix("#1/5  version 1  "))
        #expect(lines[0].hasSuffix(" ms  label: 0 1"))
        #expect(lines[2] == "#3/5  error  UNAVAILABLE: no replica of version 2 is ready")
        #expect(
            Array(lines[5...]) == [
                "",
                "5 calls",
                "VERSION            CALLS  SHARE",
                "1                      2    40%",
                "2                      1    20%",
                "10                     1    20%",
                "error UNAVAILABLE      1    20%",
                "",
            ])
    }

    @Test func repeatWithJSONPrintsJSONLines() async throws {
        let gateway = ScriptedGateway([.version("1"), .failure(RPCError(.internal, "boom"))])
        let printed = Printed()
        try await InferSession(request: request, rows: 2, repeatCount: 2, json: true).run(on: gateway, print: printed.append)
        let lines = printed.value.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix(#"{"model_name":"iris","model_version":"1""#))
        #expect(lines[1] == #"{"error":{"code":"INTERNAL","message":"boom"}}"#)
        #expect(lines[2] == #"{"split":{"calls":2,"versions":{"1":1},"errors":{"INTERNAL":1}}}"#)
    }

    @Test func failuresReportStatusNameAndExitStatus() {
        let rpc = RPCError(.invalidArgument, "input \"X\" has shape [2, 3], expected [-1, 4]")
        #expect(FailureReport.message(for: rpc) == "error: INVALID_ARGUMENT: input \"X\" has shape [2, 3], expected [-1, 4]")
        #expect(FailureReport.exitStatus(for: rpc) == 1)
        let input = InputError("rows.csv: line 3 has 2 fields, but the header has 3")
        #expect(FailureReport.message(for: input) == "error: rows.csv: line 3 has 2 fields, but the header has 3")
        #expect(FailureReport.exitStatus(for: input) == 2)
    }
}
