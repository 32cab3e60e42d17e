import Foundation
import RPCCore
import RPCEcho
import RPCTransport
import TestSupport
import Testing

/// A client that asks for far more than it reads must not make the server buffer it (issue 9:
/// slow client / stalled reader): a real rpc-echo-server process gets many server-streaming
/// calls, each asking for hundreds of MiB, from a client that never takes the replies, and its
/// resident memory is watched while other clients keep being served.
@Suite("slow client / stalled reader", .serialized)
struct SlowReaderTests {
    static let streams = 16
    static let payloadBytes = 64 * 1024
    /// 16 streams × 64 KiB × 1024 = 1 GiB asked for; flow control must hold it back.
    static let count = 1024
    /// Each stream may queue about 1 MiB (the server's write high-water mark) plus one reply,
    /// so 16 streams hold about 17 MiB; an unbounded server would be far past this in 3 s.
    static let allowedGrowth = 64 * 1024 * 1024

    @Test func zeroReceiveWindowBoundsTheServersMemory() async throws {
        let result = try await stalledReader("zero-window")
        #expect(result.growth < Self.allowedGrowth, "RSS grew by \(result.growth >> 20) MiB")
        #expect(result.served >= 5, "other clients were served only \(result.served) times in 3 s")
        // Every stream's handler ran and started its reply, so the server really was asked to
        // produce: nothing but the window held the bytes back.
        #expect(result.peer["answered"] as? Int == Self.streams, "\(result.peer)")
        #expect(result.peer["data_bytes"] as? Int == 0, "\(result.peer)")
    }

    /// The peer opens its windows as wide as HTTP/2 allows (2 GiB) and never reads the socket,
    /// so only the server's own write buffering can hold the replies back.
    @Test func unreadSocketBoundsTheServersMemory() async throws {
        let result = try await stalledReader("stalled-socket")
        // The server hands nghttp2's output to the socket only while the channel is writable, so
        // the replies wait in the streams' queues, whose high-water mark holds the handlers back.
        #expect(result.growth < Self.allowedGrowth, "RSS grew by \(result.growth >> 20) MiB")
        #expect(result.served >= 5, "other clients were served only \(result.served) times in 3 s")
    }

    /// Runs the stalling peer against a fresh server for 3 s while other clients call it: the
    /// server's largest RSS growth over its warmed-up size, how often the others were served
    /// (each time an echo and a 10-reply stream, 100 ms apart), and the peer's report.
    private func stalledReader(_ how: String) async throws -> (growth: Int, served: Int, peer: [String: Any]) {
        let server = try await ServiceProcess.start(
            "rpc-echo-server", ["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--log-level", "warning"])
        let pid = server.processIdentifier
        let client = RPCClient(host: "127.0.0.1", port: server.port)
        // Warm up the paths the test uses so their one-time allocations are in the baseline.
        let payload = [UInt8](repeating: 7, count: Self.payloadBytes)
        for _ in 0..<20 { try await echo(client, payload) }
        try await expand(client)
        let baseline = try #require(Self.residentBytes(pid))

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stall-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        async let peer = PythonPeer.json(
            "fault_load.py",
            ["stall", String(server.port), String(Self.streams), String(Self.payloadBytes), String(Self.count), how, directory])
        var peak = baseline
        var served = 0
        do {
            let started = ContinuousClock.now
            while !FileManager.default.fileExists(atPath: "\(directory)/started") {
                guard ContinuousClock.now - started < .seconds(30) else {
                    throw PythonPeer.PeerError(description: "the peer never started")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            // Others are served meanwhile, on their own connections, replies and streams alike.
            let watching = ContinuousClock.now
            while ContinuousClock.now - watching < .seconds(3) {
                let other = RPCClient(host: "127.0.0.1", port: server.port)
                // A call that fails or times out counts as not served.
                if (try? await echo(other, payload)) != nil, (try? await expand(other)) != nil { served += 1 }
                await other.close()
                peak = max(peak, Self.residentBytes(pid) ?? 0)
                try await Task.sleep(for: .milliseconds(100))
            }
        } catch {
            _ = FileManager.default.createFile(atPath: "\(directory)/stop", contents: nil)
            _ = try? await peer
            throw error
        }
        _ = FileManager.default.createFile(atPath: "\(directory)/stop", contents: nil)
        let report = try await peer
        // The server is still whole once the stalling client is gone.
        try await echo(client, payload)
        await client.close()
        #expect(await server.terminate() == 0)
        return (peak - baseline, served, report)
    }

    /// Long deadlines: at the start of the whole suite the machine can stall a local call for
    /// seconds; a server that never answers still fails the test.
    private func echo(_ client: RPCClient, _ payload: [UInt8]) async throws {
        let reply = try await client.unary(
            EchoMethods.get, EchoRequest(payload: payload), timeout: .seconds(60), as: EchoResponse.self)
        #expect(reply.message.payload == payload)
    }

    private func expand(_ client: RPCClient) async throws {
        var replies = 0
        for try await _ in client.serverStreaming(
            EchoMethods.expand, EchoRequest(payload: [1, 2, 3], count: 10), timeout: .seconds(60), as: EchoResponse.self)
        {
            replies += 1
        }
        #expect(replies == 10)
    }

    /// VmRSS of a process, from /proc.
    static func residentBytes(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        let kilobytes = line.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap { Int($0) }
        return kilobytes.map { $0 * 1024 }
    }
}
