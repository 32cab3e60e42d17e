/// The etcd keys the gateways share, all under one prefix:
///
/// - `PREFIX/shared/leader`: the leader replica's id, held by its lease.
/// - `PREFIX/shared/rollouts/MODEL`: one model's rollout (`RolloutRecord`), written by the leader
///   (analysis) or by the replica an operator sent an action to.
/// - `PREFIX/shared/hints`: the cluster-wide autoscaling hints (`ClusterHints`), by the leader.
/// - `PREFIX/reports/REPLICA`: each replica's measurements (`ReplicaReport`), held by its lease.
///
/// Every replica watches `shared/`; only the leader reads `reports/`, which change every tick.
public struct RolloutKeys: Sendable, Hashable {
    public let prefix: String

    public init(prefix: String) { self.prefix = prefix }

    public var shared: String { "\(prefix)/shared/" }
    public var leader: String { "\(prefix)/shared/leader" }
    public var rollouts: String { "\(prefix)/shared/rollouts/" }
    public var hints: String { "\(prefix)/shared/hints" }
    public var reports: String { "\(prefix)/reports/" }

    public func rollout(_ model: String) -> String { rollouts + model }
    public func report(_ replica: String) -> String { reports + replica }

    /// The model a rollout key names, or nil for any other key.
    public func model(ofRolloutKey key: String) -> String? {
        guard key.hasPrefix(rollouts), key.count > rollouts.count else { return nil }
        return String(key.dropFirst(rollouts.count))
    }
}
