import Foundation
import RPCCore
import RPCTransport
import TestSupport
import Testing

/// Hand-made HTTP/2 requests (python-h2) against our server: each edge case gets its status.
@Suite("Protocol edge cases")
struct ProtocolEdgeCaseTests {
    /// Runs the h2 probe and returns one result per stream.
    private func probe(_ port: Int, _ path: String, _ options: [String] = []) async throws -> [[String: Any]] {
        let output = try await PythonPeer.run("h2_probe.py", [String(port), path] + options)
        guard output.status == 0 else {
            throw PythonPeer.PeerError(description: "h2_probe failed: \(output.stderr)")
        }
        return output.jsonLines
    }

    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    @Test func unknownMethodIsUnimplemented() async throws {
        try await withServer(services: [TestService()]) { _, port in
            let result = try #require(try await probe(port, "/no.Such/Method").first)
            #expect(result["http_status"] as? Int == 200)
            #expect(result["grpc_status"] as? Int == StatusCode.unimplemented.rawValue)
            #expect((result["grpc_message"] as? String)?.contains("/no.Such/Method") == true)
        }
    }

    @Test func wrongContentTypeGets415() async throws {
        try await withServer(services: [TestService()]) { _, port in
            let result = try #require(try await probe(port, TestService.echo, ["--content-type", "text/plain"]).first)
            #expect(result["http_status"] as? Int == 415)
            #expect(result["grpc_status"] as? Int == StatusCode.unimplemented.rawValue)
        }
    }

    @Test func oversizedMessageIsRefusedFromItsPrefix() async throws {
        try await withServer(services: [TestService()]) { _, port in
            // Only the prefix is sent and the stream stays open: the answer cannot wait for the body.
            let result = try #require(
                try await probe(port, TestService.echo, ["--declared-length", String(5 << 20), "--no-end"]).first)
            #expect(result["grpc_status"] as? Int == StatusCode.resourceExhausted.rawValue)
            #expect((result["grpc_message"] as? String)?.contains("4194304") == true)
        }
    }

    @Test func messageSplitAcrossManyDataFrames() async throws {
        try await withServer(services: [TestService()]) { _, port in
            let payload = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let result = try #require(
                try await probe(port, TestService.echo, ["--payload-hex", hex(payload), "--chunk", "7"]).first)
            #expect(result["grpc_status"] as? Int == 0)
            #expect(result["message_lengths"] as? [Int] == [10_000])
        }
    }

    @Test func malformedPrefixesAreInternal() async throws {
        try await withServer(services: [TestService()]) { _, port in
            let badFlag = try #require(try await probe(port, TestService.echo, ["--flag", "7", "--payload-hex", "0102"]).first)
            #expect(badFlag["grpc_status"] as? Int == StatusCode.internal.rawValue)
            let compressed = try #require(
                try await probe(port, TestService.echo, ["--flag", "1", "--payload-hex", "0102"]).first)
            #expect(compressed["grpc_status"] as? Int == StatusCode.internal.rawValue)
            #expect((compressed["grpc_message"] as? String)?.contains("compress") == true)
            let truncated = try #require(
                try await probe(port, TestService.echo, ["--declared-length", "100", "--payload-hex", "0102"]).first)
            #expect(truncated["grpc_status"] as? Int == StatusCode.internal.rawValue)
            #expect((truncated["grpc_message"] as? String)?.contains("truncated") == true)
            let noBody = try #require(try await probe(port, TestService.echo, ["--body", "none"]).first)
            #expect(noBody["grpc_status"] as? Int == StatusCode.internal.rawValue)
        }
    }

    @Test func unsupportedEncodingAndBadTimeout() async throws {
        try await withServer(services: [TestService()]) { _, port in
            let gzip = try #require(try await probe(port, TestService.echo, ["--header", "grpc-encoding=gzip"]).first)
            #expect(gzip["grpc_status"] as? Int == StatusCode.unimplemented.rawValue)
            let badTimeout = try #require(try await probe(port, TestService.echo, ["--header", "grpc-timeout=soon"]).first)
            #expect(badTimeout["grpc_status"] as? Int == StatusCode.invalidArgument.rawValue)
            // The longest legal timeout is simply no practical deadline.
            let huge = try #require(try await probe(port, TestService.echo, ["--header", "grpc-timeout=99999999H"]).first)
            #expect(huge["grpc_status"] as? Int == 0)
        }
    }

    @Test func oversizedHeadersAreResourceExhausted() async throws {
        try await withServer(services: [TestService()]) { _, port in
            let big = String(repeating: "a", count: 20_000)
            let result = try #require(try await probe(port, TestService.echo, ["--header", "x-big=\(big)"]).first)
            #expect(result["grpc_status"] as? Int == StatusCode.resourceExhausted.rawValue)
        }
    }

    @Test func hundredConcurrentStreamsOnOneConnection() async throws {
        let service = TestService()
        try await withServer(services: [service]) { _, port in
            // Each call sleeps 300 ms, so they can only all finish if served concurrently.
            let results = try await probe(port, TestService.sleep, ["--payload-hex", "012c", "--streams", "100"])
            #expect(results.count == 100)
            #expect(results.allSatisfy { $0["grpc_status"] as? Int == 0 && $0["messages"] as? Int == 1 })
            #expect(service.started == 100)
        }
    }

    @Test func deadlineExceededCancelsTheHandler() async throws {
        let service = TestService()
        try await withServer(services: [service]) { _, port in
            let result = try #require(
                try await probe(port, TestService.sleep, ["--payload-hex", "1388", "--header", "grpc-timeout=100m"]).first)
            #expect(result["grpc_status"] as? Int == StatusCode.deadlineExceeded.rawValue)
            try await eventually { service.cancelled == 1 }
        }
    }

    @Test func clientResetCancelsTheHandler() async throws {
        let service = TestService()
        try await withServer(services: [service]) { _, port in
            let result = try #require(
                try await probe(port, TestService.sleep, ["--payload-hex", "1388", "--rst-after-ms", "200"]).first)
            #expect(result["reset"] as? String == "sent")
            try await eventually { service.cancelled == 1 }
        }
    }

    @Test func garbagePrefaceClosesOnlyThatConnection() async throws {
        try await withServer(services: [TestService()]) { _, port in
            let output = try await PythonPeer.json("h2_probe.py", [String(port), "/", "--garbage"])
            #expect(output["closed"] as? Bool == true)
            let result = try #require(try await probe(port, TestService.echo, ["--payload-hex", "0a0b"]).first)
            #expect(result["grpc_status"] as? Int == 0)
        }
    }
}
