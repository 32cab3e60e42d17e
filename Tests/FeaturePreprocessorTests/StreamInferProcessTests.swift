import Foundation
import InferenceAPI
import RPCCore
import RPCTransport
import TestSupport
import Testing

@Suite("feature-preprocessor ModelStreamInfer", .serialized)
struct PreprocessorStreamInferTests {
    /// Requests on one stream (this package's own client) are answered in order, a failed one
    /// with its error while the stream goes on.
    @Test func eachRequestIsAnsweredInOrder() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("scale.yaml", ReloadProcessTests.scaler(version: 1, scale: "[2.0]"))
        let process = try await ServiceProcess.start(
            "feature-preprocessor",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--pipelines", directory.path, "--log-level",
                "critical",
            ])
        let client = RPCClient(host: "127.0.0.1", port: process.port)
        let call = try await client.bidirectionalStream(InferenceMethods.modelStreamInfer, timeout: .seconds(60))
        for (model, x) in [("scale", 3.0), ("nope", 1), ("scale", 5)] {
            call.send(InferRequest(modelName: model, inputs: [InferTensor(name: "x", shape: [1], values: [x])]))
        }
        call.finish()
        var answers: [String] = []
        for try await bytes in call.responses {
            let reply = try ModelStreamInferResponse(wireBytes: bytes)
            if let response = reply.inferResponse {
                answers.append(String(try response.outputs[0].values(as: Float.self)[0]))
            } else {
                answers.append(reply.errorMessage)
            }
        }
        #expect(answers.count == 3)
        #expect(answers.first == "1.0" && answers.last == "2.0", "\(answers)")
        #expect(answers.dropFirst().first?.contains("nope") == true, "\(answers)")
        await client.close()
        #expect(await process.terminate() == 0)
    }
}
