import Foundation
import Routing

/// One model's rollout as the gateways share it (`PREFIX/shared/rollouts/MODEL`).
public struct RolloutRecord: Sendable, Codable, Equatable {
    /// The identity of the route set it was written for (`RouteSetIdentity`); a gateway with other
    /// routes does not follow it.
    public var routeSet: String
    /// The replica that wrote it.
    public var writer: String
    /// When it was written (the writer's clock), to measure how long replicas take to apply it.
    public var writtenAt: Date
    public var state: CanaryState

    public init(routeSet: String, writer: String, writtenAt: Date, state: CanaryState) {
        self.routeSet = routeSet
        self.writer = writer
        self.writtenAt = writtenAt
        self.state = state
    }

    private enum CodingKeys: String, CodingKey {
        case routeSet = "route_set", writer, writtenAt = "written_at", state
    }
}

/// What one replica measured, published every tick under its lease (`PREFIX/reports/REPLICA`).
public struct ReplicaReport: Sendable, Codable, Equatable {
    public struct Model: Sendable, Codable, Equatable {
        /// The etcd revision of the rollout record the measurements belong to (0 without one):
        /// every applied record starts a new measurement window.
        public var epoch: Int64
        /// Calls, errors and latency per version since `epoch` was applied.
        public var windows: [String: StatsWindow]
        /// In-flight calls per version, averaged over the autoscaling windows.
        public var concurrency: [String: ConcurrencyShare]

        public init(epoch: Int64, windows: [String: StatsWindow], concurrency: [String: ConcurrencyShare]) {
            self.epoch = epoch
            self.windows = windows
            self.concurrency = concurrency
        }
    }

    public var replica: String
    public var routeSet: String
    public var models: [String: Model]

    public init(replica: String, routeSet: String, models: [String: Model]) {
        self.replica = replica
        self.routeSet = routeSet
        self.models = models
    }

    private enum CodingKeys: String, CodingKey { case replica, routeSet = "route_set", models }
}

/// One replica's average in-flight calls to a version over the stable and the panic window.
public struct ConcurrencyShare: Sendable, Codable, Equatable {
    public var stable: Double
    public var panic: Double

    public init(stable: Double, panic: Double) {
        self.stable = stable
        self.panic = panic
    }
}

/// The autoscaling hints the leader computed from every replica's concurrency
/// (`PREFIX/shared/hints`); every replica exports them, so they agree.
public struct ClusterHints: Sendable, Codable, Equatable {
    public struct Hint: Sendable, Codable, Equatable {
        public var stableConcurrency: Double
        public var panicConcurrency: Double
        public var desiredReplicas: Int
        public var readyReplicas: Int
        public var inPanic: Bool

        public init(stableConcurrency: Double, panicConcurrency: Double, desiredReplicas: Int, readyReplicas: Int, inPanic: Bool)
        {
            self.stableConcurrency = stableConcurrency
            self.panicConcurrency = panicConcurrency
            self.desiredReplicas = desiredReplicas
            self.readyReplicas = readyReplicas
            self.inPanic = inPanic
        }

        private enum CodingKeys: String, CodingKey {
            case stableConcurrency = "stable_concurrency", panicConcurrency = "panic_concurrency"
            case desiredReplicas = "desired_replicas", readyReplicas = "ready_replicas", inPanic = "panic"
        }
    }

    public var leader: String
    /// How many replicas' reports were added up.
    public var replicas: Int
    /// Model → version → hint.
    public var models: [String: [String: Hint]]

    public init(leader: String, replicas: Int, models: [String: [String: Hint]]) {
        self.leader = leader
        self.replicas = replicas
        self.models = models
    }
}

/// JSON for the shared records, with the state file's spelling of times.
public enum RecordCoding {
    public static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = CanaryStateFile.makeEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Plain strings, numbers and dates always encode.
        return Array((try? encoder.encode(value)) ?? Data())
    }

    /// The record in `bytes`; the error explains what is wrong, for a log line naming the key.
    public static func decode<Record: Decodable>(_ type: Record.Type, from bytes: [UInt8]) throws(RecordError) -> Record {
        do {
            return try CanaryStateFile.makeDecoder().decode(type, from: Data(bytes))
        } catch {
            throw RecordError(reason: CanaryStateFile.describe(error))
        }
    }
}

/// A value under the prefix that is not what this gateway writes there.
public struct RecordError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

/// Which routes a gateway serves, as a short stable name: the hash of its routed model names.
/// Gateways whose routes name other models (another fleet sharing the prefix by mistake, or a
/// routes ConfigMap still propagating) do not follow each other's rollouts.
public enum RouteSetIdentity {
    public static func of(models: some Sequence<String>) -> String {
        let names = models.sorted().joined(separator: "\n")
        return String(StableHash.hash64(names), radix: 16)
    }
}
