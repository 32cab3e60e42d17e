import Foundation
import InferenceAPI
import RPCCore
import TestSupport
import Testing

/// The transport rows of the bad input matrix (issue 9): each names a malformed or abusive
/// HTTP/2 or gRPC input and exactly how a real model-worker process answers it, and is followed
/// by a good ModelInfer on a new connection. Frame-level abuse goes through
/// `Tests/Peers/badinput_h2.py` (raw frames); gRPC-level rows reuse `h2_probe.py`.
@Suite("Bad input matrix: HTTP/2 and gRPC framing against model-worker", .serialized)
struct TransportBadInputMatrixTests {
    /// How a row is sent.
    enum Probe: Sendable {
        /// A `badinput_h2.py` case.
        case frames(String)
        /// One ModelInfer through `h2_probe.py` with these options.
        case call([String])
    }

    /// What the server must do.
    enum Outcome: Sendable, CustomStringConvertible {
        /// GOAWAY with this HTTP/2 error code, then the connection closes.
        case goaway(Int)
        /// The connection closes (nghttp2 detected a flood; a GOAWAY may be lost to the TCP reset).
        case closed
        /// The stream gets this grpc-status (and a message containing `message`); the
        /// connection stays open.
        case status(StatusCode, message: String = "")
        /// Per-stream outcomes on one connection, counted.
        case streams([String: Int])

        var description: String {
            switch self {
            case .goaway(let code): "GOAWAY \(code)"
            case .closed: "connection closed"
            case .status(let code, let message): "\(code) \(message)"
            case .streams(let counts): "streams \(counts)"
            }
        }
    }

    struct Row: Sendable {
        var input: String
        var probe: Probe
        var outcome: Outcome
    }

    // HTTP/2 error codes (RFC 9113 section 7).
    static let protocolError = 1, internalError = 2, flowControlError = 3, frameSizeError = 6, compressionError = 9
    static let refusedStream = 7

    static let rows: [Row] = [
        Row(input: "an HTTP/1.1 request instead of the connection preface", probe: .frames("bad_preface"), outcome: .closed),
        Row(input: "a SETTINGS frame of 5 bytes", probe: .frames("settings_frame_bad_length"), outcome: .goaway(frameSizeError)),
        Row(input: "a DATA frame on stream 0", probe: .frames("data_on_stream_zero"), outcome: .goaway(protocolError)),
        Row(
            input: "HEADERS on an even (server) stream id", probe: .frames("headers_on_even_stream"),
            outcome: .goaway(protocolError)),
        Row(input: "an undecodable HPACK block", probe: .frames("garbage_hpack"), outcome: .goaway(compressionError)),
        Row(
            input: "a 20,000-byte DATA frame (max frame size 16,384)", probe: .frames("frame_over_max_size"),
            outcome: .goaway(frameSizeError)),
        Row(input: "a WINDOW_UPDATE past 2^31-1", probe: .frames("window_update_overflow"), outcome: .goaway(flowControlError)),
        Row(input: "a frame of unknown type 0xEE, then a call", probe: .frames("unknown_frame_type"), outcome: .status(.ok)),
        Row(
            input: "a header flood: 1,000 headers (80 KB) over CONTINUATION frames", probe: .frames("header_flood"),
            outcome: .status(.resourceExhausted)),
        Row(
            input: "a CONTINUATION flood: 10,000 frames that never end the header block",
            probe: .frames("continuation_flood"), outcome: .closed),
        Row(input: "100,000 PINGs never read", probe: .frames("ping_flood"), outcome: .closed),
        Row(input: "100,000 SETTINGS frames never read", probe: .frames("settings_flood"), outcome: .closed),
        Row(
            input: "300 streams at once (256 advertised)", probe: .frames("too_many_streams"),
            outcome: .streams(["grpc-status 0": 256, "reset \(refusedStream)": 44])),
        Row(
            input: "rapid reset: 2,000 streams opened and cancelled at once", probe: .frames("rapid_reset"),
            outcome: .goaway(internalError)),
        Row(
            input: "500 streams opened and cancelled, then a call on the same connection",
            probe: .frames("resets_under_the_rate_limit"), outcome: .status(.ok)),
        Row(
            input: "grpc-timeout 99999999H (the largest)", probe: .call(["--header", "grpc-timeout=99999999H"]),
            outcome: .status(.ok)),
        Row(
            input: "grpc-timeout of 9 digits", probe: .call(["--header", "grpc-timeout=123456789S"]),
            outcome: .status(.invalidArgument, message: "malformed grpc-timeout header: 123456789S")),
        Row(
            input: "a length prefix of 4 GiB - 1, body never sent",
            probe: .call(["--declared-length", "4294967295", "--no-end"]),
            outcome: .status(.resourceExhausted, message: "message of 4294967295 bytes is larger than the limit of 4194304 bytes")
        ),
        Row(
            input: "a message 10 bytes shorter than its prefix, then end of stream",
            probe: .call(["--declared-length", String(irisRequest.count + 10)]),
            outcome: .status(.internal, message: "the request ended inside a message (truncated length-prefixed message)")),
        Row(
            input: "the compressed flag without grpc-encoding", probe: .call(["--flag", "1"]),
            outcome: .status(.internal, message: "received a compressed message but no compression was negotiated")),
    ]

    static let irisRequest = InferRequest(
        modelName: "iris", inputs: [InferTensor(name: "X", shape: [1, 4], values: [Float(5.1), 3.5, 1.4, 0.2])]
    ).wireBytes()
    static let path = "/inference.GRPCInferenceService/ModelInfer"

    /// A repository holding iris/1 (the logistic regression fixture), removed by the caller.
    private func makeRepository() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("badinput-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: "\(root)/iris/1", withIntermediateDirectories: true)
        let fixture = PythonPeer.repositoryRoot.appendingPathComponent("Tests/ONNXEngineTests/Fixtures/logreg_iris.onnx")
        try FileManager.default.copyItem(atPath: fixture.path, toPath: "\(root)/iris/1/model.onnx")
        return root
    }

    /// One ModelInfer of the iris request through h2_probe.py; the stream's result.
    private func probeCall(_ port: Int, _ options: [String]) async throws -> [String: Any] {
        let hex = Self.irisRequest.map { String(format: "%02x", $0) }.joined()
        let output = try await PythonPeer.run("h2_probe.py", [String(port), Self.path, "--payload-hex", hex] + options)
        guard output.status == 0, let result = output.jsonLines.first else {
            throw PythonPeer.PeerError(description: "h2_probe failed: \(output.stderr)")
        }
        return result
    }

    @Test func everyRowGetsItsAnswerAndTheServerKeepsServing() async throws {
        let root = try makeRepository()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let worker = try await ServiceProcess.start(
            "model-worker",
            ["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--model-repository", root, "--log-level", "error"])

        let frameCases = Self.rows.compactMap { row -> String? in
            if case .frames(let name) = row.probe { name } else { nil }
        }
        let output = try await PythonPeer.run("badinput_h2.py", [String(worker.port)] + frameCases)
        #expect(output.status == 0, "\(output.stderr)")
        let frameResults = Dictionary(output.jsonLines.map { ($0["case"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })

        for row in Self.rows {
            let result: [String: Any]
            let goodAfter: Bool
            switch row.probe {
            case .frames(let name):
                guard let found = frameResults[name] else {
                    Issue.record("no result for \(name) (\(row.input))")
                    continue
                }
                result = found
                goodAfter = found["good_after"] as? Bool == true
            case .call(let options):
                result = try await probeCall(worker.port, options)
                goodAfter = try await probeCall(worker.port, [])["grpc_status"] as? Int == 0
            }
            check(result, row)
            #expect(goodAfter, "\(row.input): the worker stopped serving")
        }
        #expect(await worker.terminate() == 0)
    }

    private func check(_ result: [String: Any], _ row: Row) {
        let seen = "\(row.input): expected \(row.outcome), got \(result)"
        let goaway = result["goaway"] as? Int
        let closed = result["closed"] as? Bool
        switch row.outcome {
        case .goaway(let code):
            #expect(goaway == code && closed == true, "\(seen)")
        case .closed:
            #expect(closed == true, "\(seen)")
        case .status(let code, let message):
            #expect(result["grpc_status"] as? Int == code.rawValue, "\(seen)")
            #expect(message.isEmpty || (result["grpc_message"] as? String ?? "").contains(message), "\(seen)")
            #expect(goaway == nil && closed != true, "\(seen)")
        case .streams(let counts):
            #expect(result["streams"] as? [String: Int] == counts, "\(seen)")
            #expect(goaway == nil && closed == false, "\(seen)")
        }
    }
}
