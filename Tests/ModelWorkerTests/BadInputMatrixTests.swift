import Foundation
import TestSupport
import Testing

/// The worker-level rows of the bad input matrix (issue 9): each names a bad request or model
/// file and the exact status it gets from a real model-worker process, which must then still
/// answer a good call. The frame-level rows are in RPCTransportTests/BadInputMatrixTests.swift.
@Suite("Bad input matrix: model-worker requests and model files", .serialized)
struct WorkerBadInputMatrixTests {
    struct Row: Sendable {
        /// The case name `Tests/Peers/badinput_worker.py` knows.
        var name: String
        /// The bad input, in words.
        var input: String
        /// The grpc status code name expected.
        var code: String
        /// A part of the status message that says precisely what is wrong ("" for OK).
        var message: String
    }

    static let rows: [Row] = [
        Row(
            name: "invalid_protobuf", input: "a message that is not protobuf (a string field running past the end)",
            code: "INTERNAL", message: "could not decode inference.ModelInferRequest: invalid protobuf"),
        Row(
            name: "wrong_datatype", input: "FP64 data for the FP32 input",
            code: "INVALID_ARGUMENT", message: "input 'X' has datatype FP64, but model 'iris' version 1 expects FP32"),
        Row(
            name: "bytes_where_fp32_expected", input: "BYTES (strings) for the FP32 input",
            code: "INVALID_ARGUMENT", message: "input 'X' has datatype BYTES, but model 'iris' version 1 expects FP32"),
        Row(
            name: "raw_byte_size_mismatch", input: "raw contents 4 bytes short of shape [2, 4]",
            code: "INVALID_ARGUMENT",
            message:
                "input 'X' of datatype FP32 and shape [2, 4] needs 8 elements = 32 bytes, but raw_input_contents[0] has 28 bytes"),
        Row(
            name: "typed_count_mismatch", input: "7 typed values for shape [2, 4]",
            code: "INVALID_ARGUMENT",
            message: "input 'X' of datatype FP32 and shape [2, 4] needs 8 elements, but contents.fp32_contents has 7"),
        Row(
            name: "shape_mismatch", input: "shape [2, 3] for the [-1, 4] input",
            code: "INVALID_ARGUMENT",
            message: "input 'X' has shape [2, 3], but model 'iris' version 1 expects [-1, 4] (-1: any size)"),
        Row(
            name: "negative_dimension", input: "shape [-2, 4]",
            code: "INVALID_ARGUMENT", message: "input 'X' has a negative dimension in shape [-2, 4]"),
        Row(
            name: "huge_shape", input: "shape [2^40, 4] with no data",
            code: "INVALID_ARGUMENT",
            message: "needs 4398046511104 elements = 17592186044416 bytes, but raw_input_contents[0] has 0 bytes"),
        Row(
            name: "nan_and_inf_inputs", input: "NaN, +Inf and -Inf features (computed like onnxruntime)",
            code: "OK", message: ""),
        Row(name: "zero_row_batch", input: "a [0, 4] batch", code: "OK", message: ""),
        Row(
            name: "zero_row_batch_batching_model", input: "a [0, 4] batch to a dynamically batched model",
            code: "OK", message: ""),
        Row(
            name: "rows_over_max_batch_size", input: "9 rows for max_batch_size 8",
            code: "INVALID_ARGUMENT", message: "the request has 9 rows, more than max_batch_size 8 of model 'batched' version 1"),
        Row(
            name: "unknown_model", input: "model 'no-such-model'",
            code: "NOT_FOUND", message: "unknown model 'no-such-model' (models: batched, faulty, iris, misconfigured)"),
        Row(
            name: "unknown_version", input: "version 99 of iris",
            code: "NOT_FOUND", message: "model 'iris' has no version '99' (versions: 1)"),
        Row(
            name: "malformed_version", input: "version 'one' of iris",
            code: "NOT_FOUND", message: "model 'iris' has no version 'one' (versions: 1)"),
        Row(
            name: "onnx_with_cycle", input: "a model file whose graph has a cycle (faulty/2)",
            code: "UNAVAILABLE",
            message: "faulty/2/model.onnx: the graph has a cycle through nodes 'first' (Relu), 'second' (Relu), 'third' (Add)"),
        Row(
            name: "onnx_missing_initializer", input: "a model file using an initializer it lacks (faulty/3)",
            code: "UNAVAILABLE",
            message:
                "faulty/3/model.onnx: node 'add_bias' (Add) input 1 'bias' is not a graph input, an initializer or any node's output"
        ),
        Row(
            name: "onnx_deeply_nested", input: "a model file of graphs nested 10,000 deep in If attributes (faulty/4)",
            code: "UNAVAILABLE",
            message:
                "faulty/4/model.onnx: the model nests messages deeper than 100 levels (graphs in node attributes, or types in types)"
        ),
        Row(
            name: "onnx_huge_declared_tensor", input: "a model file declaring a [2^20, 2^20] initializer (faulty/5)",
            code: "UNAVAILABLE",
            message:
                "faulty/5/model.onnx: initializer 'W': tensor of shape [1048576, 1048576] would exceed the limit of 268435456 elements"
        ),
        Row(
            name: "onnx_50000_node_chain", input: "a 1.4 MB model file of 50,000 Identity nodes (faulty/6)",
            code: "OK", message: ""),
        Row(
            name: "malformed_yaml_config", input: "a config.yaml that is not YAML (misconfigured/)",
            code: "UNAVAILABLE", message: "misconfigured/config.yaml: not valid YAML"),
    ]

    /// iris/1, batched/1 (max_batch_size 8), faulty/1…6 (1 and 6 good), misconfigured/1 (bad config).
    private func makeRepository() async throws -> FixtureRepository {
        let repository = try FixtureRepository()
        try repository.add("iris", version: 1, fixture: "logreg_iris")
        try repository.add("batched", version: 1, fixture: "forest_iris")
        try repository.config("batched", "max_batch_size: 8\ndynamic_batching: {max_queue_delay_microseconds: 500}")
        try repository.config("faulty", "version_policy: {all: true}")
        for (version, fixture) in [1: "logreg_iris", 2: "error_cycle", 3: "error_missing_initializer"] {
            try repository.add("faulty", version: version, fixture: fixture)
        }
        _ = try await PythonPeer.json("badinput_models.py", [repository.root, "faulty"])
        try repository.add("misconfigured", version: 1, fixture: "logreg_iris")
        try repository.config("misconfigured", "max_batch_size: [8\n")
        return repository
    }

    @Test func everyRowGetsItsStatusAndTheWorkerKeepsServing() async throws {
        let repository = try await makeRepository()
        let worker = try await ServiceProcess.start(
            "model-worker",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--model-repository", repository.root,
                "--log-level", "error",
            ])
        let output = try await PythonPeer.run(
            "badinput_worker.py", [String(worker.port), Fixtures.modelPath("logreg_iris")] + Self.rows.map(\.name))
        #expect(output.status == 0, "\(output.stderr)")
        let results = Dictionary(output.jsonLines.map { ($0["case"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })

        for row in Self.rows {
            guard let result = results[row.name] else {
                Issue.record("no result for \(row.name) (\(row.input))")
                continue
            }
            let message = result["message"] as? String ?? ""
            #expect(result["code"] as? String == row.code, "\(row.input): \(message)")
            #expect(row.message.isEmpty || message.contains(row.message), "\(row.input): \(message)")
            #expect(result["good_after"] as? Bool == true, "\(row.input): the worker stopped serving")
        }
        let nanInf = results["nan_and_inf_inputs"]
        #expect(nanInf?["labels_match_onnxruntime"] as? Bool == true)
        #expect(nanInf?["probabilities_match_onnxruntime"] as? Bool == true)
        for name in ["zero_row_batch", "zero_row_batch_batching_model"] {
            let shapes = results[name]?["shapes"] as? [String: [Int]]
            #expect(shapes == ["label": [0], "probabilities": [0, 3]], "\(name)")
        }
        #expect(results["onnx_50000_node_chain"]?["output_equals_input"] as? Bool == true)
        #expect(await worker.terminate() == 0)
    }
}
