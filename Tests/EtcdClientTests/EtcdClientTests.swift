import EtcdClient
import Foundation
import Logging
import RPCCore
import RPCTransport
import TestSupport
import Testing

/// The etcd client against real etcd clusters (1 or 3 members on loopback). Serialized: the
/// clusters' short election timeouts want the CPU they get on a small CI machine.
@Suite("EtcdClient against a real etcd", .serialized)
struct EtcdClientTests {
    @Test func putGetPrefixAndDelete() async throws {
        try await withEtcdCluster { cluster in
            let client = try cluster.client()
            let first = try await client.put("/mesh/a", Array("1".utf8))
            let second = try await client.put("/mesh/b", Array("2".utf8))
            try await client.put("/mesh0", Array("outside".utf8))
            #expect(second > first)

            let (value, revision) = try await client.get("/mesh/a")
            #expect(value?.string == "1")
            #expect(value?.createRevision == first)
            #expect(value?.version == 1)
            #expect(revision >= second)
            #expect(try await client.get("/mesh/missing").value == nil)

            let listed = try await client.getPrefix("/mesh/")
            #expect(listed.values.map(\.key) == ["/mesh/a", "/mesh/b"])
            #expect(listed.values.map(\.string) == ["1", "2"])

            try await client.delete("/mesh/a")
            #expect(try await client.get("/mesh/a").value == nil)
            try await client.deletePrefix("/mesh/")
            #expect(try await client.getPrefix("/mesh/").values.isEmpty)
            #expect(try await client.get("/mesh0").value?.string == "outside")
            await client.close()
        }
    }

    @Test func txnCompareAndSwapOnModRevision() async throws {
        try await withEtcdCluster { cluster in
            let client = try cluster.client()
            let key = "/rollout/iris"
            // Create only if absent.
            let created = try await client.txn(
                if: [.modRevisionLess(key, than: 1)], then: [.put(key, Array("v1".utf8))], else: [.get(key)])
            #expect(created.succeeded)
            let current = try #require(try await client.get(key).value)

            // CAS on the revision read: succeeds once, then the same compare fails.
            let swapped = try await client.txn(
                if: [.modRevision(key, equals: current.modRevision)], then: [.put(key, Array("v2".utf8)), .get(key)])
            #expect(swapped.succeeded)
            #expect(swapped.ranges.first?.first?.string == "v2")
            #expect(swapped.revision > current.modRevision)

            let stale = try await client.txn(
                if: [.modRevision(key, equals: current.modRevision)], then: [.put(key, Array("v3".utf8))],
                else: [.get(key)])
            #expect(!stale.succeeded)
            #expect(stale.ranges.first?.first?.string == "v2")
            #expect(stale.ranges.first?.first?.modRevision == swapped.revision)

            let byValue = try await client.txn(
                if: [.value(key, equals: Array("v2".utf8)), .version(key, equals: 2)], then: [.delete(key)])
            #expect(byValue.succeeded)
            #expect(try await client.get(key).value == nil)
            await client.close()
        }
    }

    @Test func leaseKeepAliveExpiryAndRevoke() async throws {
        try await withEtcdCluster { cluster in
            let client = try cluster.client()
            let lease = try await client.grantLease(ttl: 2)
            try await client.put("/leader", Array("gateway-1".utf8), lease: lease)
            #expect(try await client.get("/leader").value?.lease == lease)

            // Kept alive past its TTL, the key stays.
            for _ in 0..<3 {
                try await Task.sleep(for: .seconds(1))
                let ttl = try await client.keepAliveOnce(lease)
                #expect(ttl > 0 && ttl <= 2)
            }
            #expect(try await client.get("/leader").value != nil)

            // Left alone, the lease expires and takes the key with it.
            try await waitUntil(timeout: .seconds(6)) { try await client.get("/leader").value == nil }
            let expired = await #expect(throws: EtcdError.self) { try await client.keepAliveOnce(lease) }
            #expect(expired?.kind == .leaseNotFound)

            // Revoking deletes the keys at once.
            let second = try await client.grantLease(ttl: 30)
            try await client.put("/leader", Array("gateway-2".utf8), lease: second)
            try await client.revokeLease(second)
            #expect(try await client.get("/leader").value == nil)
            let revoked = await #expect(throws: EtcdError.self) { try await client.keepAliveOnce(second) }
            #expect(revoked?.kind == .leaseNotFound)
            await client.close()
        }
    }

    @Test func watchSeesChangesInOrderAndEndsOnCompaction() async throws {
        try await withEtcdCluster { cluster in
            let client = try cluster.client()
            let start = try await client.put("/routes/a", Array("1".utf8))
            try await client.put("/routes/b", Array("2".utf8))
            try await client.delete("/routes/a")
            try await client.put("/other", Array("x".utf8))

            let watch = client.watch(prefix: "/routes/", fromRevision: start)
            var iterator = watch.makeAsyncIterator()
            var events: [EtcdWatchEvent] = []
            // The history first, then a change made while watching.
            events += try await nextEvents(&iterator, count: 3)
            let live = try await client.put("/routes/c", Array("3".utf8))
            events += try await nextEvents(&iterator, count: 1)
            let described = events.map { event -> String in
                switch event {
                case .put(let kv): "put \(kv.key)=\(kv.string)"
                case .delete(let kv): "delete \(kv.key)"
                }
            }
            #expect(described == ["put /routes/a=1", "put /routes/b=2", "delete /routes/a", "put /routes/c=3"])
            #expect(events.map(\.keyValue.modRevision) == [start, start + 1, start + 2, live])

            // A watch from a compacted revision ends with the oldest revision kept.
            try await cluster.etcdctl(["compact", String(live)])
            var compacted = client.watch(prefix: "/routes/", fromRevision: start).makeAsyncIterator()
            let error = await #expect(throws: EtcdError.self) { _ = try await compacted.next() }
            #expect(error?.kind == .compacted(revision: live))
            #expect(error?.message.contains("compacted") == true)
            await client.close()
        }
    }

    @Test func requestsMoveToOtherMembersWhenTheirMemberDies() async throws {
        try await withEtcdCluster(members: 3) { cluster in
            // The client talks to the leader first: killing it needs an election as well.
            let leader = try await cluster.leaderIndex()
            let order = (0..<3).map { (leader + $0) % 3 }
            var configuration = try cluster.configuration()
            configuration.endpoints = order.map { cluster.clientEndpoints[$0] }
            configuration.requestTimeout = .seconds(5)
            let client = EtcdClient(configuration: configuration, logger: Logger(label: "test"))
            try await client.put("/k", Array("before".utf8))
            #expect(client.currentEndpoint == cluster.clientEndpoints[leader])

            await cluster.kill(member: leader)
            #expect(try await client.get("/k").value?.string == "before")
            #expect(client.currentEndpoint != cluster.clientEndpoints[leader])
            try await waitUntil(timeout: .seconds(10)) {
                (try? await client.put("/k", Array("after".utf8))) != nil
            }
            #expect(try await client.get("/k").value?.string == "after")

            // Every member down: unavailable, naming each endpoint, within the request timeout.
            await cluster.kill(member: order[1])
            await cluster.kill(member: order[2])
            var fastConfiguration = configuration
            fastConfiguration.requestTimeout = .seconds(2)
            let fresh = EtcdClient(configuration: fastConfiguration, logger: Logger(label: "test"))
            for candidate in [client, fresh] {
                let started = ContinuousClock.now
                let error = await #expect(throws: EtcdError.self) { try await candidate.get("/k") }
                #expect(ContinuousClock.now - started < .seconds(2) + .milliseconds(500))
                #expect(error?.kind == .unavailable)
                for endpoint in cluster.clientEndpoints {
                    #expect(error?.message.contains(endpoint.description) == true, "\(error?.message ?? "")")
                }
            }

            // Restarted with their data, the members serve the same client again.
            try cluster.startAll()
            try await cluster.waitUntilReady()
            try await waitUntil(timeout: .seconds(10)) {
                (try? await client.get("/k"))?.value?.string == "after"
            }
            await client.close()
            await fresh.close()
        }
    }

    @Test func authenticationWithRightAndWrongPasswords() async throws {
        try await withEtcdCluster { cluster in
            try await cluster.enableAuth(rootPassword: "s3cret")
            let client = try cluster.client(user: "root", password: "s3cret")
            try await client.put("/secure", Array("yes".utf8))
            #expect(try await client.get("/secure").value?.string == "yes")

            let wrong = try cluster.client(user: "root", password: "nope")
            let rejected = await #expect(throws: EtcdError.self) { try await wrong.get("/secure") }
            #expect(rejected?.kind == .authentication)
            #expect(
                rejected?.message
                    == "etcd rejected user root: authentication failed (check --etcd-user and --etcd-password-file)")

            let anonymous = try cluster.client()
            let refused = await #expect(throws: EtcdError.self) { try await anonymous.get("/secure") }
            #expect(refused?.kind == .authentication)

            // A restarted member forgets its tokens: the client authenticates again by itself.
            await cluster.stop(member: 0)
            try cluster.start(member: 0)
            try await cluster.waitUntilReady()
            try await waitUntil(timeout: .seconds(10)) {
                (try? await client.get("/secure"))?.value?.string == "yes"
            }
            for candidate in [client, wrong, anonymous] { await candidate.close() }
        }
    }

    @Test func tlsWithTheCAAndWithoutIt() async throws {
        try await withEtcdCluster(tls: true) { cluster in
            let client = try cluster.client()
            try await client.put("/tls", Array("ok".utf8))
            #expect(try await client.get("/tls").value?.string == "ok")

            // Trusting only the system's CAs, the handshake fails and the error says so.
            var configuration = try cluster.configuration()
            configuration.tls = try ClientTLS(trustRoots: nil)
            let untrusting = EtcdClient(configuration: configuration, logger: Logger(label: "test"))
            let error = await #expect(throws: EtcdError.self) { try await untrusting.get("/tls") }
            #expect(error?.kind == .unavailable)
            #expect(error?.message.contains("TLS handshake failed") == true, "\(error?.message ?? "")")
            await client.close()
            await untrusting.close()
        }
    }
}

/// The next `count` watch events, failing after 10 s.
private func nextEvents(
    _ iterator: inout AsyncThrowingStream<EtcdWatchBatch, any Error>.Iterator, count: Int
) async throws -> [EtcdWatchEvent] {
    var events: [EtcdWatchEvent] = []
    let deadline = ContinuousClock.now + .seconds(10)
    while events.count < count {
        guard ContinuousClock.now < deadline, let batch = try await iterator.next() else {
            Issue.record("watch gave \(events.count) of \(count) events")
            return events
        }
        events += batch.events
    }
    return events
}

/// Polls `condition` every 100 ms until it holds, failing after `timeout`.
private func waitUntil(
    timeout: Duration, sourceLocation: SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition still false after \(timeout)", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(100))
    }
}
