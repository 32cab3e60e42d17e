import EtcdClient
import Foundation
import RPCTransport

extension CoordinationSession.Settings {
    /// Settings from the gateway's flags; each error names the flag at fault.
    public static func fromFlags(
        coordination: String, leaseTTL: Int, ca: String?, certificate: String?, key: String?, user: String?,
        passwordFile: String?, replicaID: String = CoordinationSession.Settings.defaultReplicaID()
    ) throws(CoordinationSettingsError) -> Self {
        let target: CoordinationTarget
        do {
            target = try CoordinationTarget(parsing: coordination)
        } catch {
            throw CoordinationSettingsError(error.description)
        }
        guard (1...3600).contains(leaseTTL) else {
            throw CoordinationSettingsError("--coordination-ttl must be from 1 to 3600 seconds, got \(leaseTTL)")
        }
        guard (certificate == nil) == (key == nil) else {
            throw CoordinationSettingsError("--etcd-cert and --etcd-key go together: give both or neither")
        }
        var etcd = EtcdConfiguration(endpoints: target.endpoints.map { EtcdEndpoint(host: $0.host, port: $0.port) })
        if ca != nil || certificate != nil {
            do {
                etcd.tls = try ClientTLS(trustRootsFile: ca, certificateFile: certificate, privateKeyFile: key)
            } catch {
                throw CoordinationSettingsError("--etcd-ca/--etcd-cert/--etcd-key: \(error)")
            }
        }
        if let user {
            guard let passwordFile else {
                throw CoordinationSettingsError("--etcd-user needs --etcd-password-file (the password is never a flag)")
            }
            guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
                throw CoordinationSettingsError("--etcd-password-file: cannot read \(passwordFile)")
            }
            etcd.user = user
            etcd.password = String(text.trimmingSuffix { $0 == "\n" || $0 == "\r" })
        } else if passwordFile != nil {
            throw CoordinationSettingsError("--etcd-password-file needs --etcd-user")
        }
        return Self(etcd: etcd, keys: RolloutKeys(prefix: target.prefix), leaseTTL: Int64(leaseTTL), replicaID: replicaID)
    }

    /// `HOSTNAME-PID-RANDOM`: the pod name in Kubernetes, unique across restarts.
    public static func defaultReplicaID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "gateway"
        return "\(host)-\(getpid())-\(String(UInt16.random(in: 0...UInt16.max), radix: 16))"
    }
}

/// A coordination flag that cannot be used.
public struct CoordinationSettingsError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

extension StringProtocol {
    fileprivate func trimmingSuffix(while drop: (Character) -> Bool) -> SubSequence {
        var end = endIndex
        while end > startIndex, drop(self[index(before: end)]) { end = index(before: end) }
        return self[startIndex..<end]
    }
}
