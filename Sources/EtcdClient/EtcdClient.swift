import Logging
import NIOCore
import NIOPosix
import RPCCore
import RPCTransport
import Synchronization

/// An etcd v3 client over our own gRPC transport: key-value reads and writes, compare-and-swap
/// transactions, leases and watches.
///
/// Requests go to the current endpoint; when it cannot be reached (or times out, for reads) the
/// request moves on to the next ones, at most one pass over them all within `requestTimeout`,
/// and the endpoint that answered becomes the current one. Each endpoint has its own
/// `RPCClient`, which reconnects with its own backoff. With a user and password the client
/// authenticates first and sends the token with every request, authenticating again once when
/// etcd says the token is no longer valid (it expired, or the member restarted).
public final class EtcdClient: Sendable {
    public let configuration: EtcdConfiguration
    private let clients: [RPCClient]
    private let logger: Logger
    /// Index of the endpoint requests go to first.
    private let current = Atomic<Int>(0)
    /// The auth token, once authenticated.
    private let token = Mutex<String?>(nil)

    public init(
        configuration: EtcdConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        precondition(!configuration.endpoints.isEmpty, "an etcd client needs at least one endpoint")
        self.configuration = configuration
        self.logger = logger
        let clientConfiguration = configuration.clientConfiguration
        self.clients = configuration.endpoints.map {
            RPCClient(host: $0.host, port: $0.port, configuration: clientConfiguration, group: group)
        }
    }

    /// The endpoint requests go to first.
    public var currentEndpoint: EtcdEndpoint { configuration.endpoints[current.load(ordering: .relaxed)] }

    /// Closes every connection; later requests fail as unavailable.
    public func close() async {
        for client in clients { await client.close() }
    }

    // MARK: Key-value

    /// The value of `key` (nil when absent) and the store's revision.
    public func get(_ key: String) async throws(EtcdError) -> (value: EtcdKeyValue?, revision: Int64) {
        let response = try await unary(EtcdMethods.range, RangeRequest(key: Array(key.utf8)), as: RangeResponse.self)
        return (response.kvs.first, response.header.revision)
    }

    /// Every key starting with `prefix`, in key order, and the store's revision.
    public func getPrefix(_ prefix: String) async throws(EtcdError) -> (values: [EtcdKeyValue], revision: Int64) {
        let key = Array(prefix.utf8)
        let response = try await unary(
            EtcdMethods.range, RangeRequest(key: key, rangeEnd: prefixRangeEnd(key)), as: RangeResponse.self)
        return (response.kvs, response.header.revision)
    }

    /// Sets `key`, attached to `lease` unless 0; returns the new revision.
    @discardableResult
    public func put(_ key: String, _ value: [UInt8], lease: Int64 = 0) async throws(EtcdError) -> Int64 {
        let request = PutRequest(key: Array(key.utf8), value: value, lease: lease)
        return try await unary(EtcdMethods.put, request, idempotent: false, as: PutResponse.self).header.revision
    }

    /// Deletes `key`; returns the store's revision after it.
    @discardableResult
    public func delete(_ key: String) async throws(EtcdError) -> Int64 {
        let request = DeleteRangeRequest(key: Array(key.utf8))
        return try await unary(EtcdMethods.deleteRange, request, idempotent: false, as: DeleteRangeResponse.self)
            .header.revision
    }

    /// Deletes every key starting with `prefix`; returns the store's revision after it.
    @discardableResult
    public func deletePrefix(_ prefix: String) async throws(EtcdError) -> Int64 {
        let key = Array(prefix.utf8)
        let request = DeleteRangeRequest(key: key, rangeEnd: prefixRangeEnd(key))
        return try await unary(EtcdMethods.deleteRange, request, idempotent: false, as: DeleteRangeResponse.self)
            .header.revision
    }

    /// Runs `success` when every comparison holds, else `failure`, atomically.
    public func txn(
        if compares: [EtcdCompare], then success: [EtcdOperation], else failure: [EtcdOperation] = []
    ) async throws(EtcdError) -> EtcdTxnResult {
        let request = TxnRequest(compares: compares, success: success, failure: failure)
        let response = try await unary(EtcdMethods.txn, request, idempotent: false, as: TxnResponse.self)
        let ranges = response.responses.compactMap { op -> [EtcdKeyValue]? in
            if case .range(let kvs) = op { return kvs }
            return nil
        }
        return EtcdTxnResult(succeeded: response.succeeded, revision: response.header.revision, ranges: ranges)
    }

    // MARK: Leases

    /// Grants a lease of `seconds`; returns its ID.
    public func grantLease(ttl seconds: Int64) async throws(EtcdError) -> Int64 {
        let response = try await unary(
            EtcdMethods.leaseGrant, LeaseGrantRequest(ttl: seconds), idempotent: false, as: LeaseGrantResponse.self)
        guard response.error.isEmpty else {
            throw EtcdError(.other(.unknown), "etcd could not grant a lease of \(seconds) s: \(response.error)")
        }
        return response.id
    }

    /// Renews `lease` once; returns its remaining TTL in seconds. Throws `leaseNotFound` when
    /// the lease has expired or was revoked.
    @discardableResult
    public func keepAliveOnce(_ lease: Int64) async throws(EtcdError) -> Int64 {
        let request = LeaseKeepAliveRequest(id: lease).wireBytes()
        let path = EtcdMethods.leaseKeepAlive
        let response = try await perform(path, idempotent: true) {
            (client, metadata, timeout) async throws(RPCError) -> LeaseKeepAliveResponse in
            let call = try await client.bidirectionalStream(path, metadata: metadata, timeout: timeout)
            call.send(request)
            // etcd answers each request before it reads the next, so the reply comes before
            // the end of the call that the half-close brings.
            call.finish()
            var reply: LeaseKeepAliveResponse?
            do {
                for try await bytes in call.responses where reply == nil {
                    reply = try LeaseKeepAliveResponse(wireBytes: bytes)
                }
            } catch {
                call.cancel()
                throw RPCError(from: error)
            }
            guard let reply else { throw RPCError(.internal, "etcd ended \(path) without a reply") }
            return reply
        }
        guard response.ttl > 0 else {
            throw EtcdError(.leaseNotFound, "etcd lease \(lease) not found: it expired or was revoked")
        }
        return response.ttl
    }

    /// Revokes `lease`, deleting the keys attached to it.
    public func revokeLease(_ lease: Int64) async throws(EtcdError) {
        _ = try await unary(
            EtcdMethods.leaseRevoke, LeaseRevokeRequest(id: lease), idempotent: false, as: LeaseRevokeResponse.self)
    }

    // MARK: Maintenance

    /// What one member says about itself and the leader (no failover: it asks that member).
    public func status(of endpoint: EtcdEndpoint) async throws(EtcdError) -> EtcdMemberStatus {
        guard let index = configuration.endpoints.firstIndex(of: endpoint) else {
            throw EtcdError(.invalidArgument, "\(endpoint) is not one of the client's etcd endpoints")
        }
        let path = EtcdMethods.status
        do {
            let raw = try await clients[index].unaryRaw(
                path, StatusRequest().wireBytes(), timeout: configuration.requestTimeout)
            let response = try Self.single(StatusResponse.self, raw, path: path)
            return EtcdMemberStatus(
                memberID: response.header.memberID, leaderID: response.leader, version: response.version,
                raftTerm: response.raftTerm, revision: response.header.revision)
        } catch {
            if error.code == .unavailable || error.code == .deadlineExceeded {
                throw EtcdError(.unavailable, "etcd at \(endpoint) did not answer \(path): \(error.message)")
            }
            throw EtcdError(status: error, path: path)
        }
    }

    // MARK: Requests with failover

    /// One unary request, sent with failover.
    func unary<Response: EtcdResponse>(
        _ path: String, _ request: some EtcdRequest, idempotent: Bool = true, as: Response.Type
    ) async throws(EtcdError) -> Response {
        let bytes = request.wireBytes()
        return try await perform(path, idempotent: idempotent) {
            (client, metadata, timeout) async throws(RPCError) -> Response in
            let raw = try await client.unaryRaw(path, bytes, metadata: metadata, timeout: timeout)
            return try Self.single(Response.self, raw, path: path)
        }
    }

    private static func single<Response: EtcdResponse>(
        _ type: Response.Type, _ raw: RawResponse, path: String
    ) throws(RPCError) -> Response {
        guard raw.messages.count == 1 else {
            throw RPCError(.internal, "etcd sent \(raw.messages.count) replies to \(path)")
        }
        return try Response(wireBytes: raw.messages[0])
    }

    /// Runs `attempt` on the current endpoint, then on the next ones while an endpoint cannot be
    /// reached, within the request timeout. A request that is not `idempotent` moves on only when
    /// the endpoint surely did not start on it (no connection, stream refused).
    func perform<Result>(
        _ path: String, idempotent: Bool,
        _ attempt: (RPCClient, Metadata, Duration) async throws(RPCError) -> Result
    ) async throws(EtcdError) -> Result {
        let endpoints = configuration.endpoints
        let deadline = ContinuousClock.now + configuration.requestTimeout
        let start = current.load(ordering: .relaxed)
        var failures: [String] = []
        var reauthenticated = false
        var offset = 0
        while offset < clients.count {
            let index = (start + offset) % clients.count
            let endpoint = endpoints[index]
            let remaining = deadline - .now
            guard remaining > .zero else {
                failures.append("\(endpoint) (not tried: the request timeout of \(configuration.requestTimeout) ran out)")
                offset += 1
                continue
            }
            // Later endpoints keep a share of the time, so one that hangs cannot use it all.
            let budget = remaining / (clients.count - offset)
            var authenticating = false
            do {
                var metadata: Metadata = [:]
                if configuration.user != nil {
                    authenticating = true
                    metadata = try await authMetadata(client: clients[index], timeout: budget)
                    authenticating = false
                }
                let result = try await attempt(clients[index], metadata, budget)
                if offset > 0 {
                    current.store(index, ordering: .relaxed)
                    logger.notice(
                        "etcd requests now go to \(endpoint)", metadata: ["etcd.failed": "\(failures.joined(separator: "; "))"])
                }
                return result
            } catch {
                if Self.isInvalidToken(error), !reauthenticated {
                    reauthenticated = true
                    token.withLock { $0 = nil }
                    continue
                }
                let unreachable =
                    switch error.code {
                    case .unavailable: idempotent || error.unprocessed || authenticating
                    case .deadlineExceeded: idempotent || authenticating
                    default: false
                    }
                if unreachable {
                    failures.append("\(endpoint) (\(Self.describe(error)))")
                    offset += 1
                    continue
                }
                if authenticating { throw authenticationError(error) }
                if error.code == .unavailable || error.code == .deadlineExceeded {
                    throw EtcdError(
                        .unavailable,
                        "etcd \(path) on \(endpoint) failed and may or may not have been applied: \(error.message)")
                }
                throw EtcdError(status: error, path: path)
            }
        }
        throw EtcdError(
            .unavailable,
            "no etcd endpoint answered \(path) within \(configuration.requestTimeout): \(failures.joined(separator: "; "))")
    }

    /// The token metadata, authenticating on `client` first when there is no token yet.
    private func authMetadata(client: RPCClient, timeout: Duration) async throws(RPCError) -> Metadata {
        if let token = token.withLock({ $0 }) { return ["token": token] }
        let request = AuthenticateRequest(name: configuration.user ?? "", password: configuration.password ?? "")
        let path = EtcdMethods.authenticate
        let raw = try await client.unaryRaw(path, request.wireBytes(), timeout: timeout)
        let response = try Self.single(AuthenticateResponse.self, raw, path: path)
        token.withLock { $0 = response.token }
        return ["token": response.token]
    }

    private func authenticationError(_ error: RPCError) -> EtcdError {
        let user = configuration.user ?? ""
        let reason =
            error.message.contains("authentication failed")
            ? "authentication failed" : error.message.replacingPrefix("etcdserver: ")
        return EtcdError(
            .authentication, "etcd rejected user \(user): \(reason) (check --etcd-user and --etcd-password-file)")
    }

    private static func isInvalidToken(_ error: RPCError) -> Bool {
        error.message.contains("invalid auth token")
    }

    /// An endpoint's failure for the unavailable message, with a hint when TLS is at fault.
    private static func describe(_ error: RPCError) -> String {
        let message = error.message
        let lowered = message.lowercased()
        if lowered.contains("ssl") || lowered.contains("certificate") || lowered.contains("handshake") {
            return "TLS handshake failed, check the CA and that the endpoint speaks TLS: \(message)"
        }
        return message
    }
}

extension String {
    fileprivate func replacingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
