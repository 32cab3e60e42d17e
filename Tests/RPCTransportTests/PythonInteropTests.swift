import Foundation
import InferenceAPI
import RPCCore
import RPCEcho
import RPCTransport
import TestSupport
import Testing

@Suite("Interop with Python gRPC peers")
struct PythonInteropTests {
    @Test func grpcioAndTritonClientsCallOurServerProcess() async throws {
        let server = try await ServiceProcess.start("rpc-echo-server", ["--listen", "127.0.0.1:0", "--log-level", "warning"])
        let grpcio = try await PythonPeer.json("grpc_client_checks.py", [String(server.port)])
        #expect(grpcio["live"] as? Bool == true)
        #expect(grpcio["ready"] as? Bool == true)
        let metadata = grpcio["metadata"] as? [String: Any]
        #expect(metadata?["name"] as? String == "rpc-echo-server")
        #expect(metadata?["version"] as? String == "0.1.0")
        #expect(grpcio["health"] as? String == "SERVING")
        #expect(grpcio["health_unknown"] as? String == "NOT_FOUND")
        #expect(grpcio["watch_first"] as? String == "SERVING")
        #expect(grpcio["big_echo_ok"] as? Bool == true)
        #expect(grpcio["big_echo_len"] as? Int == 3 << 20)
        #expect(grpcio["expand_count"] as? Int == 1000)
        #expect(grpcio["expand_indices_ok"] as? Bool == true)
        #expect(grpcio["concurrent_ok"] as? Bool == true)
        #expect(grpcio["unimplemented"] as? String == "NOT_FOUND")
        #expect(grpcio["deadline"] as? String == "DEADLINE_EXCEEDED")

        let triton = try await PythonPeer.json("triton_client_checks.py", [String(server.port)])
        #expect(triton["live"] as? Bool == true)
        #expect(triton["ready"] as? Bool == true)
        #expect(triton["name"] as? String == "rpc-echo-server")
        #expect(triton["version"] as? String == "0.1.0")

        // SIGTERM drains and exits cleanly.
        #expect(await server.terminate() == 0)
    }

    @Test func ourClientCallsPythonGrpcioServer() async throws {
        let python = try await PythonServer.start("grpc_server.py")
        defer { python.stop() }
        let client = RPCClient(host: "127.0.0.1", port: python.port)

        // The first call also waits for the connection, and for this test process's cooperative
        // threads, which the whole suite's CPU-bound tests can hold for seconds on a 2-core CI
        // machine (measured: resumptions up to 1.8 s late, a first call taking 14 s).
        let overall = try await client.unary(
            HealthMethods.check, HealthCheckRequest(service: ""), timeout: .seconds(60), as: HealthCheckResponse.self)
        #expect(overall.message.status == .serving)
        let echoHealth = try await client.unary(
            HealthMethods.check, HealthCheckRequest(service: "echo"), as: HealthCheckResponse.self)
        #expect(echoHealth.message.status == .notServing)
        await expectStatus(.notFound) {
            try await client.unary(HealthMethods.check, HealthCheckRequest(service: "nope"), as: HealthCheckResponse.self)
        }

        var watched: [HealthCheckResponse.ServingStatus] = []
        for try await update in client.serverStreaming(
            HealthMethods.watch, HealthCheckRequest(service: ""), as: HealthCheckResponse.self)
        {
            watched.append(update.status)
            break
        }
        #expect(watched == [.serving])

        let payload = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0) }
        let echo = try await client.unary(EchoMethods.get, EchoRequest(payload: payload), as: EchoResponse.self)
        #expect(echo.message.payload == payload)
        #expect(echo.trailers["x-python-trailer"] == "yes")

        let failure = await expectStatus(.failedPrecondition) {
            try await client.unary(EchoMethods.get, EchoRequest(payload: Array("fail".utf8)), as: EchoResponse.self)
        }
        #expect(failure?.message == "asked to fail: café 100%")

        await expectStatus(.deadlineExceeded) {
            try await client.unary(
                EchoMethods.get, EchoRequest(payload: [1], delayMilliseconds: 3000), timeout: .milliseconds(200),
                as: EchoResponse.self)
        }

        var indices: [UInt32] = []
        for try await reply in client.serverStreaming(
            EchoMethods.expand, EchoRequest(payload: [7], count: 50), as: EchoResponse.self)
        {
            indices.append(reply.index)
        }
        #expect(indices == Array(0..<50))

        await expectStatus(.unimplemented) {
            try await client.unary("/rpctest.Echo/Missing", EchoRequest(payload: []), as: EchoResponse.self)
        }
        await client.close()
    }

    @Test func bidirectionalStreamAgainstGrpcio() async throws {
        let python = try await PythonServer.start("grpc_server.py")
        defer { python.stop() }
        let client = RPCClient(host: "127.0.0.1", port: python.port)
        let chat = "/rpctest.BidiEcho/Chat"

        // Each reply comes back before the next request is sent: the request stream stays open.
        let call = try await client.bidirectionalStream(chat, timeout: .seconds(60))
        var replies = call.responses.makeAsyncIterator()
        call.send(Array("a".utf8))
        #expect(try await replies.next() == Array("a".utf8))
        call.send(Array("bb".utf8))
        #expect(try await replies.next() == Array("bb".utf8))
        call.send(Array("count".utf8))
        #expect(try await replies.next() == Array("3".utf8))
        call.finish()
        #expect(try await replies.next() == nil)

        // A status other than OK ends the replies with that error.
        let failing = try await client.bidirectionalStream(chat)
        failing.send([1])
        failing.send(Array("fail".utf8))
        let failure = await expectStatus(.failedPrecondition) {
            for try await _ in failing.responses {}
        }
        #expect(failure?.message == "asked to fail after 2 messages")

        // cancel() resets the stream: the replies end with CANCELLED.
        let cancelled = try await client.bidirectionalStream(chat)
        var cancelledReplies = cancelled.responses.makeAsyncIterator()
        cancelled.send([9])
        #expect(try await cancelledReplies.next() == [9])
        cancelled.cancel()
        await expectStatus(.cancelled) { _ = try await cancelledReplies.next() }

        // The connection still serves unary calls after all that.
        let echo = try await client.unary(EchoMethods.get, EchoRequest(payload: [4]), as: EchoResponse.self)
        #expect(echo.message.payload == [4])
        await client.close()
    }
}
