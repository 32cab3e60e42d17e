import EtcdClient
import Foundation
import Logging
import RPCTransport
import Testing

/// A real etcd cluster of one or more members on loopback, for the etcd client's tests: ports
/// picked at run time, a temporary data directory per member, short heartbeat and election
/// timeouts so a new leader comes within about a second. `withEtcdCluster` runs a body with one
/// and always kills it and removes its files.
public final class EtcdCluster: @unchecked Sendable {
    /// The members' client endpoints, in member order.
    public let clientEndpoints: [EtcdEndpoint]
    /// The certificates the client URLs serve when the cluster runs TLS.
    public let certificates: TestCertificates?
    private let peerPorts: [Int]
    private let directory: String
    private let token = UUID().uuidString
    private let lock = NSLock()
    private var processes: [Process?]

    /// Whether the client URLs speak TLS.
    public var tls: Bool { certificates != nil }

    private init(clientPorts: [Int], peerPorts: [Int], certificates: TestCertificates?, directory: String) {
        self.clientEndpoints = clientPorts.map { EtcdEndpoint(host: "127.0.0.1", port: $0) }
        self.peerPorts = peerPorts
        self.certificates = certificates
        self.directory = directory
        self.processes = Array(repeating: nil, count: clientPorts.count)
    }

    /// Starts `members` members (with TLS on the client URLs when `tls`) and waits until every
    /// one answers and knows the leader.
    public static func start(members: Int = 1, tls: Bool = false) async throws -> EtcdCluster {
        guard FileManager.default.isExecutableFile(atPath: etcdPath) else {
            throw PythonPeer.PeerError(description: "no etcd at \(etcdPath): run scripts/setup (apt-get install etcd-server)")
        }
        let ports = try freePorts(2 * members)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("etcd-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let certificates = tls ? try await TestCertificates.make() : nil
        let cluster = EtcdCluster(
            clientPorts: Array(ports[..<members]), peerPorts: Array(ports[members...]), certificates: certificates,
            directory: directory)
        do {
            try cluster.startAll()
            try await cluster.waitUntilReady()
            try await cluster.warmUp()
        } catch {
            await cluster.shutdown()
            throw error
        }
        return cluster
    }

    public static let etcdPath = ProcessInfo.processInfo.environment["ETCD"] ?? "/usr/bin/etcd"
    public static let etcdctlPath = ProcessInfo.processInfo.environment["ETCDCTL"] ?? "/usr/bin/etcdctl"

    /// A configuration for a client of every member (trusting the cluster's CA under TLS).
    public func configuration(user: String? = nil, password: String? = nil) throws -> EtcdConfiguration {
        var configuration = EtcdConfiguration(endpoints: clientEndpoints, user: user, password: password)
        if let certificates {
            configuration.tls = try ClientTLS(trustRootsFile: certificates.caCertificate)
        }
        return configuration
    }

    /// A client of every member.
    public func client(user: String? = nil, password: String? = nil) throws -> EtcdClient {
        EtcdClient(configuration: try configuration(user: user, password: password), logger: Self.logger)
    }

    static let logger: Logger = {
        var logger = Logger(label: "etcd-test")
        logger.logLevel = .warning
        return logger
    }()

    // MARK: Members

    /// Starts member `index` (again), with the data it had.
    public func start(member index: Int) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.etcdPath)
        process.arguments = arguments(member: index)
        let log = "\(directory)/m\(index).log"
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try? handle.close()
        lock.withLock { processes[index] = process }
    }

    /// Kills member `index` outright (SIGKILL) and waits for it.
    public func kill(member index: Int) async {
        await end(member: index, signal: SIGKILL)
    }

    /// Stops member `index` gracefully (SIGTERM) and waits for it; its data stays.
    public func stop(member index: Int) async {
        await end(member: index, signal: SIGTERM)
    }

    public func startAll() throws {
        for index in clientEndpoints.indices { try start(member: index) }
    }

    public func stopAll() async {
        for index in clientEndpoints.indices { await stop(member: index) }
    }

    /// Kills every member and removes the data directories.
    public func shutdown() async {
        for index in clientEndpoints.indices { await end(member: index, signal: SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Whether member `index` runs.
    public func isRunning(member index: Int) -> Bool {
        lock.withLock { processes[index]?.isRunning ?? false }
    }

    private func end(member index: Int, signal: Int32) async {
        guard let process = lock.withLock({ processes[index] }) else { return }
        if process.isRunning { Foundation.kill(process.processIdentifier, signal) }
        await PythonPeer.offCooperativePool { process.waitUntilExit() }
        lock.withLock { processes[index] = nil }
    }

    private func arguments(member index: Int) -> [String] {
        let scheme = tls ? "https" : "http"
        let clientURL = "\(scheme)://127.0.0.1:\(clientEndpoints[index].port)"
        let peerURL = "http://127.0.0.1:\(peerPorts[index])"
        let initialCluster = peerPorts.enumerated().map { "m\($0.offset)=http://127.0.0.1:\($0.element)" }
        var arguments = [
            "--name", "m\(index)", "--data-dir", "\(directory)/m\(index)",
            "--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
            "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
            "--initial-cluster", initialCluster.joined(separator: ","), "--initial-cluster-state", "new",
            "--initial-cluster-token", token, "--heartbeat-interval", "50", "--election-timeout", "500",
            "--logger", "zap", "--log-level", "warn",
        ]
        if let certificates {
            arguments += ["--cert-file", certificates.serverCertificate, "--key-file", certificates.serverKey]
        }
        return arguments
    }

    // MARK: Cluster state

    /// Waits until every running member answers Status and knows a leader. Generous: at the start
    /// of the whole suite this process's threads are so busy that a status call can wait long.
    public func waitUntilReady(timeout: Duration = .seconds(90)) async throws {
        let deadline = ContinuousClock.now + timeout
        for (index, endpoint) in clientEndpoints.enumerated() where isRunning(member: index) {
            while await status(of: endpoint)?.leaderID ?? 0 == 0 {
                guard ContinuousClock.now < deadline else {
                    throw PythonPeer.PeerError(description: "etcd member \(index) at \(endpoint) not ready\n\(logs())")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Waits for a first write to commit (a new cluster's first fsyncs can take seconds on a
    /// loaded machine, longer than a client's request timeout), so tests start against a warm
    /// cluster. Before auth is enabled only.
    func warmUp(timeout: Duration = .seconds(90)) async throws {
        let deadline = ContinuousClock.now + timeout
        let client = try client()
        defer { Task { await client.close() } }
        while true {
            do {
                _ = try await client.put("/inference-mesh-test-ready", Array("1".utf8))
                return
            } catch {
                guard ContinuousClock.now < deadline else {
                    throw PythonPeer.PeerError(description: "etcd took no write within \(timeout): \(error)\n\(logs())")
                }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// The index of the member that is the leader now.
    public func leaderIndex() async throws -> Int {
        for (index, endpoint) in clientEndpoints.enumerated() where isRunning(member: index) {
            if await status(of: endpoint)?.isLeader == true { return index }
        }
        throw PythonPeer.PeerError(description: "no etcd member is the leader")
    }

    /// One member's status, nil when it does not answer.
    private func status(of endpoint: EtcdEndpoint) async -> EtcdMemberStatus? {
        guard let client = try? client() else { return nil }
        let status = try? await client.status(of: endpoint)
        await client.close()
        return status
    }

    /// Adds user root with `password` and turns authentication on.
    public func enableAuth(rootPassword password: String) async throws {
        try await etcdctl(["user", "add", "root:\(password)", "--interactive=false"])
        try await etcdctl(["user", "grant-role", "root", "root"])
        try await etcdctl(["auth", "enable"])
    }

    /// Runs etcdctl against the cluster; throws with its output when it fails.
    @discardableResult
    public func etcdctl(_ arguments: [String], user: String? = nil) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.etcdctlPath)
        let scheme = tls ? "https" : "http"
        var common = ["--endpoints=" + clientEndpoints.map { "\(scheme)://\($0)" }.joined(separator: ",")]
        if let certificates { common.append("--cacert=\(certificates.caCertificate)") }
        if let user { common.append("--user=\(user)") }
        process.arguments = common + arguments
        process.environment = ["ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = await PythonPeer.offCooperativePool { output.fileHandleForReading.readDataToEndOfFile() }
        await PythonPeer.offCooperativePool { process.waitUntilExit() }
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw PythonPeer.PeerError(description: "etcdctl \(arguments.joined(separator: " ")) failed: \(text)")
        }
        return text
    }

    /// The members' logs, for failure messages.
    public func logs() -> String {
        clientEndpoints.indices.map { index in
            let text = (try? String(contentsOfFile: "\(directory)/m\(index).log", encoding: .utf8)) ?? ""
            return "--- etcd m\(index) ---\n" + text.split(separator: "\n").suffix(20).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// `count` distinct free loopback ports, found by binding port 0.
    private static func freePorts(_ count: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { for socket in sockets { close(socket) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw PythonPeer.PeerError(description: "socket() failed: errno \(errno)") }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
                }
            }
            guard bound else { throw PythonPeer.PeerError(description: "bind() failed: errno \(errno)") }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }
}

/// Runs `body` with a fresh etcd cluster and kills and removes it afterwards, even on failure.
public func withEtcdCluster<T>(
    members: Int = 1, tls: Bool = false, _ body: (EtcdCluster) async throws -> T
) async throws -> T {
    let cluster = try await EtcdCluster.start(members: members, tls: tls)
    do {
        let result = try await body(cluster)
        await cluster.shutdown()
        return result
    } catch {
        Issue.record("etcd logs on failure:\n\(cluster.logs())")
        await cluster.shutdown()
        throw error
    }
}
