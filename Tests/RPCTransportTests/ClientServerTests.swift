import NIOCore
import NIOPosix
import RPCCore
import RPCTransport
import TestSupport
import Testing

@Suite("Our client against our server")
struct ClientServerTests {
    @Test func unaryEchoRoundTrip() async throws {
        try await withServer(services: [TestService()]) { _, port in
            let client = RPCClient(host: "127.0.0.1", port: port)
            defer { Task { await client.close() } }
            let reply = try await client.unary(TestService.echo, RawBytes([1, 2, 3]), as: RawBytes.self)
            #expect(reply.message.bytes == [1, 2, 3])
            let empty = try await client.unary(TestService.echo, RawBytes([]), as: RawBytes.self)
            #expect(empty.message.bytes == [])
        }
    }

    /// A proxy's server and client share event loops; a call made on one must use the
    /// connection of that loop, so forwarding never changes threads.
    @Test func aCallMadeOnAnEventLoopUsesThatLoopsConnection() async throws {
        try await withServer(services: [TestService()]) { _, port in
            let loops = MultiThreadedEventLoopGroup(numberOfThreads: 2)
            var configuration = ClientConfiguration()
            configuration.connections = 2
            let client = RPCClient(host: "127.0.0.1", port: port, configuration: configuration, group: loops)
            client.connect()
            let executors = loops.makeIterator().map { EventLoopTaskExecutor(eventLoop: $0) }
            func peers(from executor: EventLoopTaskExecutor, calls: Int) async throws -> Set<String> {
                try await Task(executorPreference: executor) {
                    var peers = Set<String>()
                    for _ in 0..<calls {
                        let reply = try await client.unary(TestService.peer, RawBytes([]), as: RawBytes.self)
                        peers.insert(String(decoding: reply.message.bytes, as: UTF8.self))
                    }
                    return peers
                }.value
            }
            // Until both connections are up a call may borrow the other loop's.
            try await Task.sleep(for: .milliseconds(300))
            _ = try await peers(from: executors[0], calls: 2)
            _ = try await peers(from: executors[1], calls: 2)
            let first = try await peers(from: executors[0], calls: 10)
            let second = try await peers(from: executors[1], calls: 10)
            #expect(first.count == 1 && second.count == 1 && first != second, "\(first) \(second)")
            await client.close()
            try await loops.shutdownGracefully()
        }
    }
}

@Suite("Our client against our server: calls")
struct ClientCallTests {
    @Test func largeMessageThroughFlowControlWindows() async throws {
        try await withServer(services: [TestService()]) { _, port in
            let client = RPCClient(host: "127.0.0.1", port: port)
            let payload = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let reply = try await client.unary(TestService.echo, RawBytes(payload), as: RawBytes.self)
            #expect(reply.message.bytes == payload)
            await client.close()
        }
    }

    @Test func oversizedRequestIsResourceExhausted() async throws {
        try await withServer(services: [TestService()]) { _, port in
            let client = RPCClient(host: "127.0.0.1", port: port)
            let payload = [UInt8](repeating: 1, count: (4 << 20) + 1)
            await expectStatus(.resourceExhausted) {
                try await client.unary(TestService.echo, RawBytes(payload), as: RawBytes.self)
            }
            // The connection is still good for the next call.
            let ok = try await client.unary(TestService.echo, RawBytes([9]), as: RawBytes.self)
            #expect(ok.message.bytes == [9])
            await client.close()
        }
    }

    @Test func serverStreamingDeliversEveryReplyInOrder() async throws {
        try await withServer(services: [TestService()]) { _, port in
            let client = RPCClient(host: "127.0.0.1", port: port)
            var indices: [UInt8] = []
            for try await reply in client.serverStreaming(TestService.stream, RawBytes([200, 1, 2, 3]), as: RawBytes.self) {
                indices.append(reply.bytes[0])
                #expect(reply.bytes.dropFirst() == [1, 2, 3])
            }
            #expect(indices == (0..<200).map { UInt8($0) })
            await client.close()
        }
    }

    @Test func errorStatusMessageAndTrailersRoundTrip() async throws {
        try await withServer(services: [TestService()]) { _, port in
            let client = RPCClient(host: "127.0.0.1", port: port)
            let message = "model café is 100% \"broken\"\nline two ✓"
            let error = await expectStatus(.notFound) {
                try await client.unary(
                    TestService.fail, RawBytes([UInt8(StatusCode.notFound.rawValue)] + Array(message.utf8)), as: RawBytes.self)
            }
            #expect(error?.message == message)
            #expect(error?.metadata["x-detail"] == "failing on purpose")
            await client.close()
        }
    }

    @Test func customMetadataReachesHandlerAndComesBack() async throws {
        try await withServer(services: [TestService()]) { _, port in
            let client = RPCClient(host: "127.0.0.1", port: port)
            let reply = try await client.unary(
                TestService.metadata, RawBytes([]), metadata: ["x-echo": "v2-canary"], as: RawBytes.self)
            #expect(reply.message.bytes == Array("v2-canary".utf8))
            #expect(reply.headers["x-echo-header"] == "v2-canary")
            #expect(reply.trailers["x-echo-trailer"] == "v2-canary")
            await client.close()
        }
    }

    @Test func deadlineExceededOnBothSides() async throws {
        let service = TestService()
        try await withServer(services: [service]) { _, port in
            let client = RPCClient(host: "127.0.0.1", port: port)
            _ = try await client.unary(TestService.echo, RawBytes([0]), as: RawBytes.self)  // connected
            await expectStatus(.deadlineExceeded) {
                try await client.unary(TestService.sleep, RawBytes([0x13, 0x88]), timeout: .milliseconds(500), as: RawBytes.self)
            }
            // Whether the handler started depends on scheduling; if it did, it was cancelled.
            try await eventually { service.cancelled == service.started }
            await client.close()
        }
    }

    @Test func taskCancellationResetsTheStream() async throws {
        let service = TestService()
        try await withServer(services: [service]) { _, port in
            let client = RPCClient(host: "127.0.0.1", port: port)
            let call = Task {
                try await client.unary(TestService.sleep, RawBytes([0x13, 0x88]), as: RawBytes.self)
            }
            try await eventually { service.started == 1 }
            call.cancel()
            await expectStatus(.cancelled) { try await call.value }
            try await eventually { service.cancelled == 1 }
            await client.close()
        }
    }

    @Test func unreachableEndpointIsUnavailableAndBacksOff() async throws {
        // Bind then close a server to get a port nothing listens on.
        let port = try await withServer(services: []) { _, port in port }
        let client = RPCClient(host: "127.0.0.1", port: port)
        await expectStatus(.unavailable) {
            try await client.unary(TestService.echo, RawBytes([1]), as: RawBytes.self)
        }
        #expect(client.state == .transientFailure || client.state == .connecting)
        await client.close()
    }

    @Test func reconnectsAfterTheServerComesBack() async throws {
        let service = TestService()
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.threads = 1
        let first = RPCServer(configuration: configuration, services: [service])
        try await first.start()
        let port = first.localPort!
        let client = RPCClient(host: "127.0.0.1", port: port)
        _ = try await client.unary(TestService.echo, RawBytes([1]), as: RawBytes.self)
        await first.shutdownGracefully(grace: .seconds(1))
        configuration.port = port
        let second = RPCServer(configuration: configuration, services: [service])
        try await second.start()
        try await eventually { client.state == .ready }
        let reply = try await client.unary(TestService.echo, RawBytes([2]), as: RawBytes.self)
        #expect(reply.message.bytes == [2])
        await client.close()
        await second.shutdownGracefully()
    }

    @Test func gracefulShutdownFinishesCallsInFlight() async throws {
        let service = TestService()
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.threads = 2
        let server = RPCServer(configuration: configuration, services: [service])
        try await server.start()
        var clientConfiguration = ClientConfiguration()
        clientConfiguration.connections = 2
        let client = RPCClient(host: "127.0.0.1", port: server.localPort!, configuration: clientConfiguration)
        // 20 calls of 500 ms each are in flight when the server is asked to stop.
        let calls = (0..<20).map { _ in
            Task { try await client.unary(TestService.sleep, RawBytes([0x01, 0xF4]), as: RawBytes.self) }
        }
        try await eventually { service.started == 20 }
        await server.shutdownGracefully(grace: .seconds(10))
        for call in calls {
            let reply = try await call.value
            #expect(reply.message.bytes == [0x01, 0xF4])
        }
        #expect(service.cancelled == 0)
        // Nothing listens any more: the refused connection is reported (the deadline only leaves
        // room for a loaded machine's scheduling).
        await expectStatus(.unavailable) {
            try await client.unary(TestService.echo, RawBytes([1]), timeout: .seconds(10), as: RawBytes.self)
        }
        await client.close()
    }
}
