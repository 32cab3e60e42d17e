import Foundation
import TestSupport
import Testing

/// The REST port's transports on a real worker: HTTP/2 with prior knowledge (h2c) and HTTP/1.1
/// keep-alive in plaintext; under `--tls-*`, HTTP/2 or HTTP/1.1 by ALPN with the gRPC port's
/// certificate and client-certificate check; the body limit before the body is read, over HTTP/2 too.
@Suite("REST over HTTP/2 and TLS")
struct RESTTransportTests {
    static let curl = "/usr/bin/curl"
    static let inferBody =
        #"{"inputs": [{"name": "X", "shape": [2, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]}]}"#

    private func repository() throws -> FixtureRepository {
        let repository = try FixtureRepository()
        try repository.add("iris", version: 1, fixture: "logreg_iris")
        return repository
    }

    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: curl)
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/h2load"), "needs curl and h2load"))
    func plaintextHTTP2AndHTTP1() async throws {
        let repository = try repository()
        let worker = try await ServiceProcess.start(
            "model-worker",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
                "--model-repository", repository.root, "--max-message-bytes", "2048", "--log-level", "warning",
            ],
            readingHTTPPort: true)
        let base = "http://127.0.0.1:\(try #require(worker.httpPort))"

        let h2 = try await ExecutableRun.shell(
            "curl -s --http2-prior-knowledge -X POST \(base)/v2/models/iris/infer -d '\(Self.inferBody)' -w '\\n%{http_code} %{http_version}'"
        )
        let lines = h2.stdout.split(separator: "\n")
        #expect(lines.last == "200 2", "\(h2.stdout) \(h2.stderr)")
        #expect(lines.first?.contains(#""name":"label","datatype":"INT64","shape":[2],"data":[0,2]"#) == true, "\(h2.stdout)")

        // Many requests multiplexed on one HTTP/2 connection (h2load: 1 connection, 8 streams at a time).
        let load = try await ExecutableRun.shell("h2load -n 200 -c 1 -m 8 \(base)/v2/health/live")
        #expect(load.stdout.contains("200 succeeded, 0 failed"), "\(load.stdout) \(load.stderr)")
        let missing = try await ExecutableRun.shell(
            "curl -s --http2-prior-knowledge \(base)/v2/models/nope/ready -w ' %{http_code}'")
        #expect(missing.stdout.contains("unknown model 'nope'") && missing.stdout.hasSuffix(" 404"), "\(missing.stdout)")

        // Larger than --max-message-bytes: 413 from Content-Length, before the body is read.
        let big = String(repeating: "x", count: 4096)
        let tooLarge = try await ExecutableRun.shell(
            "curl -s --http2-prior-knowledge -X POST \(base)/v2/models/iris/infer -d '\(big)' -w ' %{http_code}'")
        #expect(tooLarge.stdout.hasSuffix(" 413"), "\(tooLarge.stdout)")
        #expect(tooLarge.stdout.contains("larger than the limit of 2048 bytes"), "\(tooLarge.stdout)")

        // HTTP/1.1 keep-alive on the same port.
        let http1 = try await ExecutableRun.shell(
            "curl -s --http1.1 \(base)/v2/health/live \(base)/v2/health/live -w ' %{http_version}' -v 2>&1")
        #expect(http1.stdout.contains("{\"live\":true} 1.1"), "\(http1.stdout)")
        #expect(
            http1.stdout.contains("Re-using existing connection") || http1.stdout.contains("Reusing existing"), "\(http1.stdout)")

        // Connections that stay open (an idle HTTP/2 one, one that never spoke) do not hold up shutdown.
        let port = try #require(worker.httpPort)
        let idle = Process()
        idle.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        idle.arguments = [
            "python3", "-c",
            "import socket, time; h2 = socket.create_connection(('127.0.0.1', \(port))); "
                + "h2.sendall(b'PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n'); "
                + "silent = socket.create_connection(('127.0.0.1', \(port))); time.sleep(30)",
        ]
        try idle.run()
        try await Task.sleep(for: .milliseconds(500))
        #expect(await worker.terminate() == 0)
        idle.terminate()
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: curl), "needs curl"))
    func mutualTLSWithALPN() async throws {
        let certificates = try await TestCertificates.make()
        let repository = try repository()
        let worker = try await ServiceProcess.start(
            "model-worker",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
                "--model-repository", repository.root, "--log-level", "warning",
                "--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey,
                "--tls-client-ca", certificates.caCertificate,
            ],
            readingHTTPPort: true)
        let port = try #require(worker.httpPort)
        let credentials =
            "--cacert \(certificates.caCertificate) --cert \(certificates.clientCertificate) --key \(certificates.clientKey)"
        for (flag, version) in [("--http2", "2"), ("--http1.1", "1.1")] {
            let run = try await ExecutableRun.shell(
                "curl -s \(flag) \(credentials) https://localhost:\(port)/v2/health/ready -w ' %{http_code} %{http_version}'")
            #expect(run.stdout == "{\"ready\":true} 200 \(version)", "\(flag): \(run.stdout) \(run.stderr)")
        }
        let anonymous = try await ExecutableRun.shell(
            "curl -s --cacert \(certificates.caCertificate) https://localhost:\(port)/v2/health/ready")
        #expect(anonymous.status != 0, "a client without a certificate was served: \(anonymous.stdout)")

        let result = try await PythonPeer.json(
            "rest_tls_checks.py",
            [String(port), certificates.caCertificate, certificates.clientCertificate, certificates.clientKey])
        #expect(result["labels"] as? [Int] == [0, 2], "\(result)")
        #expect(result["success_count"] as? Int == 1, "\(result)")
        #expect(result["without_certificate"] as? String == "refused", "\(result)")
        #expect(await worker.terminate() == 0)
    }
}

/// The KServe Python SDK's REST client (V2 protocol) against a real worker's REST port.
@Suite("KServe SDK REST client")
struct KServeRESTClientTests {
    @Test func kserveRESTClientAgainstAWorker() async throws {
        let repository = try FixtureRepository()
        try repository.add("iris", version: 1, fixture: "logreg_iris")
        let worker = try await ServiceProcess.start(
            "model-worker",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
                "--model-repository", repository.root, "--log-level", "warning",
            ],
            readingHTTPPort: true)
        let result = try await PythonPeer.json(
            "kserve_rest_checks.py",
            [String(try #require(worker.httpPort)), "iris", "\(repository.root)/iris/1/model.onnx"],
            python: PythonPeer.kserveInterpreter)
        #expect(result["live"] as? Bool == true && result["ready"] as? Bool == true, "\(result)")
        #expect(result["model_ready"] as? Bool == true, "\(result)")
        #expect(result["model_name"] as? String == "iris")
        #expect(result["labels_equal"] as? Bool == true, "answers differ from onnxruntime: \(result)")
        #expect(result["unknown_model"] as? String == "404", "\(result)")
        #expect(await worker.terminate() == 0)
    }
}
