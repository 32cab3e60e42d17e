import Foundation
import RolloutCoordination
import Routing
import Testing

@Suite struct CoordinationTargetTests {
    @Test func endpointsAndPrefixAreRead() throws {
        let target = try CoordinationTarget(parsing: "etcd://10.0.0.5:2379,etcd-1.etcd:2379,[::1]:2380/prod/gateways/")
        #expect(target.endpoints.map(\.description) == ["10.0.0.5:2379", "etcd-1.etcd:2379", "[::1]:2380"])
        #expect(target.prefix == "prod/gateways")
        #expect(try CoordinationTarget(parsing: "etcd://127.0.0.1:2379").prefix == "inference-mesh")
    }

    @Test(arguments: [
        ("http://127.0.0.1:2379/x", "must start with etcd://"),
        ("etcd:///x", "endpoint \"\" without a port"),
        ("etcd://127.0.0.1/x", "without a port"),
        ("etcd://127.0.0.1:0/x", "port is not 1-65535"),
        ("etcd://:2379/x", "without a host"),
        ("etcd://a:1,,b:2/x", "endpoint \"\" without a port"),
        ("etcd://[::1/x", "not [IPv6]:PORT"),
        ("etcd://a:1/pre fix", "spaces"),
    ])
    func badValuesAreExplained(value: String, fragment: String) {
        #expect {
            try CoordinationTarget(parsing: value)
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("--coordination ") && text.contains(fragment)
        }
    }

    @Test func settingsNameTheFlagAtFault() throws {
        func message(_ body: () throws -> Void) -> String {
            do {
                try body()
                return ""
            } catch {
                return "\(error)"
            }
        }
        let base = "etcd://127.0.0.1:2379/t"
        #expect(
            message {
                _ = try CoordinationSession.Settings.fromFlags(
                    coordination: base, leaseTTL: 0, ca: nil, certificate: nil, key: nil, user: nil, passwordFile: nil)
            }.contains("--coordination-ttl"))
        #expect(
            message {
                _ = try CoordinationSession.Settings.fromFlags(
                    coordination: base, leaseTTL: 5, ca: nil, certificate: "c.pem", key: nil, user: nil, passwordFile: nil)
            }.contains("--etcd-cert and --etcd-key"))
        #expect(
            message {
                _ = try CoordinationSession.Settings.fromFlags(
                    coordination: base, leaseTTL: 5, ca: nil, certificate: nil, key: nil, user: "root", passwordFile: nil)
            }.contains("--etcd-password-file"))
        #expect(
            message {
                _ = try CoordinationSession.Settings.fromFlags(
                    coordination: base, leaseTTL: 5, ca: nil, certificate: nil, key: nil, user: "root",
                    passwordFile: "/nonexistent/password")
            }.contains("--etcd-password-file: cannot read"))
        #expect(
            message {
                _ = try CoordinationSession.Settings.fromFlags(
                    coordination: base, leaseTTL: 5, ca: "/nonexistent/ca.pem", certificate: nil, key: nil, user: nil,
                    passwordFile: nil)
            }.contains("--etcd-ca"))
        let password = FileManager.default.temporaryDirectory.appendingPathComponent("etcd-password-\(UUID().uuidString)")
        try "s3cret\n".write(to: password, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: password) }
        let settings = try CoordinationSession.Settings.fromFlags(
            coordination: base, leaseTTL: 3, ca: nil, certificate: nil, key: nil, user: "root", passwordFile: password.path)
        #expect(settings.etcd.password == "s3cret" && settings.etcd.user == "root" && settings.leaseTTL == 3)
        #expect(settings.keys.leader == "t/shared/leader")
    }

    @Test func keysAndIdentities() {
        let keys = RolloutKeys(prefix: "p")
        #expect(keys.model(ofRolloutKey: keys.rollout("iris")) == "iris")
        #expect(keys.model(ofRolloutKey: keys.rollouts) == nil)
        #expect(keys.model(ofRolloutKey: keys.leader) == nil)
        #expect(RouteSetIdentity.of(models: ["b", "a"]) == RouteSetIdentity.of(models: ["a", "b"]))
        #expect(RouteSetIdentity.of(models: ["a"]) != RouteSetIdentity.of(models: ["a", "b"]))
    }

    @Test func recordsRoundTripAndBadOnesAreExplained() throws {
        let policy = CanaryPolicy(stable: "1", candidate: "2", steps: [10, 100])
        let record = RolloutRecord(
            routeSet: "abc", writer: "gw-1", writtenAt: Date(timeIntervalSince1970: 1_700_000_000.25),
            state: .start(policy, at: Date(timeIntervalSince1970: 1_700_000_000)))
        let decoded = try RecordCoding.decode(RolloutRecord.self, from: RecordCoding.encode(record))
        #expect(decoded == record)
        #expect {
            try RecordCoding.decode(RolloutRecord.self, from: Array(#"{"route_set": "x"}"#.utf8))
        } throws: { error in
            "\(error)".contains("missing key")
        }
    }
}
