import ArgumentParser
import InferenceAPI
import NIOCore
import NIOPosix
import RPCCore
import RPCTransport

/// Drives ModelInfer at a fixed offered rate (open loop) or as fast as answers come (closed
/// loop) and reports throughput and latency percentiles.
@main
struct LoadClient: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load-client",
        abstract: "Offers ModelInfer calls at a fixed rate and reports latency percentiles.",
        discussion: """
            Open loop (--rate > 0): call i is due at start + i/rate whatever the answers, and its \
            latency is measured from that due time, so queueing in the client or the server counts \
            (no coordinated omission). A call due while --max-in-flight calls are outstanding is \
            dropped and counted. Closed loop (--rate 0): --max-in-flight calls are kept \
            outstanding over --connections connections, to find the maximum throughput. \
            The first call is made alone and must succeed, so a wrong request fails loudly.
            """)

    @Option(help: "The server, HOST:PORT.")
    var target: String
    @Option(help: "model_name of every call.")
    var model = "iris"
    @Option(help: "model_version of every call; empty lets the server choose.")
    var version = ""
    @Option(help: "Rows per request.")
    var rows = 1
    @Option(help: "Features per row.")
    var width = 4
    @Option(help: "Name of the FP32 [rows, width] input tensor.")
    var input = "X"
    @Option(
        help:
            "Comma-separated raw column names: send one FP32 [rows] tensor per column instead of one matrix (what a preprocessing pipeline takes)."
    )
    var columns: String?
    @Option(help: "Calls per second offered; 0 runs closed loop.")
    var rate: Double
    @Option(help: "Seconds of measured load.")
    var duration: Double = 10
    @Option(help: "Seconds of load before measuring (connections warm, caches filled).")
    var warmup: Double = 1
    @Option(help: "HTTP/2 connections; calls are spread over them.")
    var connections = 1
    @Option(help: "Outstanding calls at most (default 1024 open loop, 64 closed loop).")
    var maxInFlight: Int?
    @Option(help: "Per-call deadline in milliseconds, sent as grpc-timeout.")
    var deadlineMs: Int?
    @Option(help: "Event-loop threads of the client; everything runs on the first unless more are given.")
    var threads = 1
    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard parseTarget() != nil else { throw ValidationError("--target must be HOST:PORT, got '\(target)'") }
        guard rows > 0, width > 0 else { throw ValidationError("--rows and --width must be positive") }
        guard rate >= 0, rate.isFinite else { throw ValidationError("--rate must be 0 (closed loop) or positive") }
        guard duration > 0, warmup >= 0 else { throw ValidationError("--duration must be positive and --warmup not negative") }
        guard connections > 0, threads > 0 else { throw ValidationError("--connections and --threads must be positive") }
        if let maxInFlight, maxInFlight <= 0 { throw ValidationError("--max-in-flight must be positive") }
        if let deadlineMs, deadlineMs <= 0 { throw ValidationError("--deadline-ms must be positive") }
    }

    func run() async throws {
        let (host, port) = parseTarget()!
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        var configuration = ClientConfiguration()
        configuration.connections = connections
        let client = RPCClient(host: host, port: port, configuration: configuration, group: group)
        // Run every task on one event loop; with one thread the connections live there too, so a call
        // neither hops threads nor competes with a global pool for the core.
        let loop = group.any()
        let load = Load(
            client: client, eventLoop: loop, request: makeRequest().wireBytes(),
            maxInFlight: maxInFlight ?? (rate > 0 ? 1024 : 64),
            timeout: deadlineMs.map { .milliseconds($0) })
        let executor = EventLoopTaskExecutor(eventLoop: loop)
        let outcome: Result<Tally, any Error> = await withTaskExecutorPreference(executor) {
            do {
                try await load.probe()
                if warmup > 0 { _ = await load.run(rate: rate, seconds: warmup) }
                return .success(await load.run(rate: rate, seconds: duration))
            } catch {
                return .failure(error)
            }
        }
        await client.close()
        try await group.shutdownGracefully()

        let summary = Summary(options: self, tally: try outcome.get())
        print(json ? summary.json() : summary.text())
    }

    func parseTarget() -> (String, Int)? {
        guard let colon = target.lastIndex(of: ":"), let port = Int(target[target.index(after: colon)...]),
            (1...65535).contains(port), colon != target.startIndex
        else { return nil }
        var host = target[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }  // [::1]:8001
        return (String(host), port)
    }

    /// One request reused for every call: iris-like measurements, deterministic.
    func makeRequest() -> InferRequest {
        let values = (0..<rows * width).map { Float(1 + ($0 % width)) + Float($0 % 7) * 0.1 }
        var request = InferRequest(modelName: model, modelVersion: version)
        if let columns {
            let names = columns.split(separator: ",").map(String.init)
            request.inputs = names.enumerated().map { index, name in
                let column = (0..<rows).map { values[($0 * width + index % width)] }
                return InferTensor(name: name, shape: [Int64(rows)], values: column)
            }
        } else {
            request.inputs = [InferTensor(name: input, shape: [Int64(rows), Int64(width)], values: values)]
        }
        return request
    }
}
