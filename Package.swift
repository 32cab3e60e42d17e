// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "inference-mesh",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "rpc-echo-server", targets: ["rpc-echo-server"]),
        .executable(name: "model-worker", targets: ["model-worker"]),
        .executable(name: "feature-preprocessor", targets: ["feature-preprocessor"]),
        .executable(name: "gateway", targets: ["gateway"]),
        .executable(name: "infer-cli", targets: ["infer-cli"]),
        .executable(name: "onnx-check", targets: ["onnx-check"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // Span export over OTLP/HTTP only: the gRPC exporter would pull grpc-swift in.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // Refuses YAML nested deep enough to overflow Yams' recursive parser, before Yams sees it.
        .target(name: "YAMLLimits", dependencies: [.product(name: "Yams", package: "Yams")]),
        // C libraries from Debian's -dev packages, found with pkg-config.
        .systemLibrary(name: "CNGHTTP2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),
        .systemLibrary(name: "CProtobufC", pkgConfig: "libprotobuf-c", providers: [.apt(["libprotobuf-c-dev"])]),
        // protoc-c output for proto/*.proto, written by scripts/gen-proto and committed.
        .target(name: "ProtoC", dependencies: ["CProtobufC"]),

        // gRPC protocol pieces with no NIO in them: status, errors, metadata, framing, timeouts.
        .target(name: "RPCCore"),
        // HTTP/2 (libnghttp2) + gRPC server and client on SwiftNIO.
        .target(
            name: "RPCTransport",
            dependencies: [
                "RPCCore", "CNGHTTP2", "JSONEscaping",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Swift value types of the Open Inference Protocol and health service, and the one layer
        // that converts them to and from the protobuf-c structs.
        // Generic pack/unpack through protoc-c's generated functions, for every conversion layer.
        .target(name: "ProtoCMessage", dependencies: ["RPCCore", "CProtobufC"]),
        .target(name: "InferenceAPI", dependencies: ["RPCCore", "ProtoC", "CProtobufC", "ProtoCMessage"]),
        // The echo service used by tests and benchmarks of the RPC layer.
        .target(name: "RPCEcho", dependencies: ["RPCCore", "ProtoC", "CProtobufC", "ProtoCMessage"]),
        // Native ONNX model loading and execution (no sockets); reads onnx.proto through ProtoC.
        // Copy propagation is off here: Swift 6.3.1's optimizer crashes with an ownership error
        // on the kernels' closures in release builds (seen in Softmax and Unary operators).
        .target(
            name: "ONNXEngine", dependencies: ["ProtoC", "CProtobufC"],
            swiftSettings: [.unsafeFlags(["-Xfrontend", "-enable-copy-propagation=false"])]
        ),
        // onnx-check: the engine on CSV rows, outputs as JSON, for scripts/export-model's verification.
        .target(name: "ONNXCheck", dependencies: ["ONNXEngine", "JSONEscaping"]),
        .executableTarget(name: "onnx-check", dependencies: ["ONNXCheck"]),

        // JSON string literals for documents built by hand (logs, REST answers, CLI output).
        .target(name: "JSONEscaping"),
        // JSON read byte by byte into an ordered value, no Foundation (infer-cli's files, REST bodies).
        .target(name: "JSONDocument"),
        // The KServe V2 HTTP/REST front: JSON (and Triton's binary tensor extension) transcoded to
        // the same method handlers the gRPC port runs: Hummingbird's router, HTTP/1.1 parsed by NIOHTTP1,
        // HTTP/2 by libnghttp2 (RPCTransport's PlainHTTP2ServerHandler).
        .target(
            name: "RESTFront",
            dependencies: [
                "RPCCore", "RPCTransport", "InferenceAPI", "JSONEscaping", "JSONDocument",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Flag parsing, logging bootstrap and lifecycle helpers shared by the executables.
        .target(
            name: "ServiceKit",
            dependencies: [
                "RPCCore", "RPCTransport", "InferenceAPI", "RESTFront", "JSONEscaping",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                "YAMLLimits", .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The worker's model repository: on-disk layout, config.yaml, version policy, hot reload.
        .target(
            name: "ModelRepository",
            dependencies: [
                "YAMLLimits", .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The worker's inference service: validation, tensor conversion, dynamic batching.
        .target(
            name: "ModelWorker",
            dependencies: [
                "ModelRepository", "ONNXEngine", "InferenceAPI", "RPCCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "model-worker",
            dependencies: [
                "ModelWorker", "ModelRepository", "ServiceKit", "RPCTransport", "InferenceAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Preprocessing pipelines: YAML specs reproducing fitted scikit-learn transformers, compiled
        // into a flat plan over column buffers (no sockets).
        .target(name: "FeaturePipeline", dependencies: ["YAMLLimits", .product(name: "Yams", package: "Yams")]),
        // The preprocessor's inference service: raw columns in, the pipeline's output tensor out.
        .target(
            name: "FeaturePreprocessor",
            dependencies: [
                "FeaturePipeline", "InferenceAPI", "RPCCore",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "feature-preprocessor",
            dependencies: [
                "FeaturePreprocessor", "FeaturePipeline", "ServiceKit", "RPCTransport", "InferenceAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The gateway's decisions as pure logic: routes file, version split and sticky hashing,
        // canary analysis, replica choice and ejection, autoscaling hints.
        .target(
            name: "Routing",
            dependencies: [
                "YAMLLimits", .product(name: "Yams", package: "Yams"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // The gateway's admin service: value types, protobuf-c conversion and method table.
        .target(name: "AdminAPI", dependencies: ["RPCCore", "ProtoC", "CProtobufC", "ProtoCMessage"]),
        // An etcd v3 client (KV, Txn, leases, watches) over RPCTransport, for leader election and
        // shared rollout state; one RPCClient per member with failover between them.
        .target(
            name: "EtcdClient",
            dependencies: [
                "RPCCore", "RPCTransport", "ProtoC", "CProtobufC", "ProtoCMessage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The gateway's runtime: forwarding over pooled RPC clients, health checks, canary driver.
        .target(
            name: "Gateway",
            dependencies: [
                "Routing", "RolloutCoordination", "AdminAPI", "InferenceAPI", "RPCCore", "RPCTransport", "ServiceKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                "YAMLLimits", .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Shared rollout state in etcd: leader election, watched records, fenced writes.
        .target(
            name: "RolloutCoordination",
            dependencies: [
                "EtcdClient", "Routing", "RPCTransport", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "gateway",
            dependencies: [
                "Gateway", "RolloutCoordination", "Routing", "AdminAPI", "ServiceKit", "RPCTransport", "InferenceAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // infer-cli's logic: reading rows from CSV/JSON into tensors, rendering tables and JSON.
        .target(name: "InferCLICore", dependencies: ["AdminAPI", "InferenceAPI", "RPCCore", "JSONEscaping", "JSONDocument"]),
        .executableTarget(
            name: "infer-cli",
            dependencies: [
                "InferCLICore", "AdminAPI", "InferenceAPI", "RPCTransport", "RPCCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "rpc-echo-server",
            dependencies: [
                "RPCTransport", "InferenceAPI", "RPCEcho", "ServiceKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),

        // Benchmark tools (bench/*.sh): the ONNX engine on its own, and an open-loop load client
        // that offers a fixed request rate and reports latency percentiles.
        .executableTarget(name: "onnx-bench", dependencies: ["ONNXEngine"], path: "bench/onnx-bench"),
        .executableTarget(
            name: "load-client",
            dependencies: [
                "RPCTransport", "RPCCore", "InferenceAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "bench/load-client"
        ),

        // libFuzzer targets, fuzzed by scripts/fuzz (built with -sanitize=fuzzer,address into
        // .build-fuzz, seeds in Fuzz/corpus); a plain build makes them replay the files given.
        .target(name: "CFuzzerDriver", path: "Fuzz/CFuzzerDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzerDriver"], path: "Fuzz/Support"),
        .executableTarget(name: "FuzzGRPCFraming", dependencies: ["FuzzSupport", "RPCCore"], path: "Fuzz/GRPCFraming"),
        .executableTarget(
            name: "FuzzInferRequest", dependencies: ["FuzzSupport", "InferenceAPI", "RPCCore"], path: "Fuzz/InferRequest"),
        .executableTarget(
            name: "FuzzModelInfer",
            dependencies: [
                "FuzzSupport", "ModelWorker", "ModelRepository", "InferenceAPI", "RPCCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Fuzz/ModelInfer"),
        .executableTarget(name: "FuzzONNXModel", dependencies: ["FuzzSupport", "ONNXEngine"], path: "Fuzz/ONNXModel"),
        .executableTarget(name: "FuzzPipelineSpec", dependencies: ["FuzzSupport", "FeaturePipeline"], path: "Fuzz/PipelineSpec"),
        .executableTarget(name: "FuzzRoutes", dependencies: ["FuzzSupport", "Routing"], path: "Fuzz/Routes"),
        .executableTarget(name: "FuzzModelConfig", dependencies: ["FuzzSupport", "ModelRepository"], path: "Fuzz/ModelConfig"),

        // Shared test helpers: in-process servers on port 0, Python peer runners.
        .target(
            name: "TestSupport",
            dependencies: [
                "RPCTransport", "RPCCore", "InferenceAPI", "RPCEcho", "EtcdClient",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "RPCCoreTests", dependencies: ["RPCCore"]),
        .testTarget(name: "InferenceAPITests", dependencies: ["InferenceAPI", "RPCCore"]),
        .testTarget(name: "RPCEchoTests", dependencies: ["RPCEcho", "RPCCore"]),
        .testTarget(name: "RESTFrontTests", dependencies: ["RESTFront", "InferenceAPI", "RPCCore", "JSONEscaping"]),
        .testTarget(name: "ONNXEngineTests", dependencies: ["ONNXEngine"], exclude: ["Fixtures"]),
        .testTarget(name: "ONNXCheckTests", dependencies: ["ONNXCheck", "ONNXEngine", "TestSupport"]),
        // scripts/export-model end to end: four frameworks trained at test time, a real worker, tritonclient.
        .testTarget(name: "ExportModelTests", dependencies: ["TestSupport"]),
        .testTarget(
            name: "ServiceKitTests",
            dependencies: ["ServiceKit", "TestSupport", "RPCEcho", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "ModelRepositoryTests",
            dependencies: ["ModelRepository", "TestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "ModelWorkerTests",
            dependencies: [
                "ModelWorker", "ModelRepository", "ONNXEngine", "InferenceAPI", "RPCCore", "RPCTransport",
                "TestSupport", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "FeaturePipelineTests", dependencies: ["FeaturePipeline"]),
        .testTarget(
            name: "FeaturePreprocessorTests",
            dependencies: ["FeaturePreprocessor", "FeaturePipeline", "InferenceAPI", "RPCCore", "RPCTransport", "TestSupport"]
        ),
        .testTarget(name: "RoutingTests", dependencies: ["Routing"]),
        .testTarget(
            name: "InferCLITests",
            dependencies: ["InferCLICore", "JSONDocument", "AdminAPI", "InferenceAPI", "RPCCore", "RPCTransport", "TestSupport"]
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "Routing", "AdminAPI", "InferenceAPI", "RPCCore", "RPCTransport", "TestSupport", "EtcdClient",
                "RolloutCoordination",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "EtcdClientTests",
            dependencies: [
                "EtcdClient", "RPCCore", "RPCTransport", "TestSupport", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RolloutCoordinationTests",
            dependencies: [
                "RolloutCoordination", "EtcdClient", "Routing", "TestSupport", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RPCTransportTests",
            dependencies: [
                "RPCTransport", "RPCCore", "InferenceAPI", "RPCEcho", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
