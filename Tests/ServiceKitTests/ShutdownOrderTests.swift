import Foundation
import RPCCore
import RPCEcho
import RPCTransport
import ServiceKit
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The order a real process shuts down in on SIGTERM, as load balancers need it: readiness turns
/// false at once, the call in flight still finishes within the grace period, and the process
/// exits 0 only after it.
@Suite("shutdown order of a real process")
struct ShutdownOrderTests {
    @Test func readinessFirstThenTheCallInFlightThenExitZero() async throws {
        let server = try await ServiceProcess.start(
            "rpc-echo-server",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--shutdown-grace", "10",
                "--log-level", "warning",
            ],
            readingMetricsPort: true)
        let metricsPort = try #require(server.metricsPort)
        #expect(await OpsHTTP.get(port: metricsPort, "/readyz")?.status == 200)
        let client = RPCClient(host: "127.0.0.1", port: server.port)
        // A call the handler holds for 5 s (room for a loaded machine), started before the signal.
        async let slow = client.unary(
            EchoMethods.get, EchoRequest(payload: [1, 2, 3], delayMilliseconds: 5000), timeout: .seconds(20),
            as: EchoResponse.self)
        // Signal only once the server holds the call (a loaded machine may take a while).
        let inFlight = #"rpc_server_requests_in_flight{method="/rpctest.Echo/Get"}"#
        var seen: [String: Double]?
        for _ in 0..<500 {
            seen = await OpsHTTP.metrics(port: metricsPort, timeoutSeconds: 2)
            if seen?[inFlight] == 1 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(seen?[inFlight] == 1, "the call never reached the server: \(seen?.filter { $0.key.contains("Echo") } ?? [:])")
        let signalled = ContinuousClock.now
        server.send(SIGTERM)
        // Not ready while the call is still in flight.
        var notReadyAfter: Duration?
        // The call is held 5 s: readiness must turn before it ends, however loaded the machine.
        while ContinuousClock.now - signalled < .seconds(4) {
            if await OpsHTTP.get(port: metricsPort, "/readyz", timeoutSeconds: 1)?.status == 503 {
                notReadyAfter = ContinuousClock.now - signalled
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(notReadyAfter != nil, "/readyz did not turn 503 while the call was in flight")
        #expect(server.isRunning, "the process exited before its call in flight finished")
        let answer = try await slow
        #expect(answer.message.payload == [1, 2, 3])
        let finished = ContinuousClock.now - signalled
        #expect(await server.terminate() == 0)
        #expect(finished >= .seconds(1), "the call ended after \(finished)")
        await client.close()
    }
}
