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
}
