/// A key with its value and revisions, as etcd stores it.
public struct EtcdKeyValue: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]
    /// Revision of the key's last creation.
    public var createRevision: Int64
    /// Revision of the key's last change.
    public var modRevision: Int64
    /// Changes since the key was created (1 after creation).
    public var version: Int64
    /// The key's lease, 0 for none.
    public var lease: Int64

    public init(
        key: String, value: [UInt8], createRevision: Int64 = 0, modRevision: Int64 = 0, version: Int64 = 0,
        lease: Int64 = 0
    ) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.lease = lease
    }

    /// The value as UTF-8 text.
    public var string: String { String(decoding: value, as: UTF8.self) }
}

/// One condition of a transaction; they all compare a key's current state for equality.
/// A key that does not exist has version, create and mod revision 0 (and no value).
public enum EtcdCompare: Sendable, Equatable {
    case value(String, equals: [UInt8])
    case createRevision(String, equals: Int64)
    case modRevision(String, equals: Int64)
    case version(String, equals: Int64)
    /// The key's mod revision is below the given one (e.g. 1: the key does not exist).
    case modRevisionLess(String, than: Int64)
}

/// One operation of a transaction branch.
public enum EtcdOperation: Sendable, Equatable {
    case put(String, [UInt8], lease: Int64 = 0)
    case get(String)
    case delete(String)
}

/// What a transaction did.
public struct EtcdTxnResult: Sendable, Equatable {
    /// Whether every comparison held, so the success branch ran.
    public var succeeded: Bool
    /// The store's revision after the transaction.
    public var revision: Int64
    /// For each get of the branch that ran, in order, the key-values it read.
    public var ranges: [[EtcdKeyValue]]
}

/// One change seen by a watch.
public enum EtcdWatchEvent: Sendable, Equatable {
    case put(EtcdKeyValue)
    /// The deleted key; its `modRevision` is the deletion's revision, the rest is empty.
    case delete(EtcdKeyValue)

    public var keyValue: EtcdKeyValue {
        switch self {
        case .put(let keyValue), .delete(let keyValue): keyValue
        }
    }
}

/// The events of one watch response, in revision order.
public struct EtcdWatchBatch: Sendable, Equatable {
    /// The store's revision when the batch was sent.
    public var revision: Int64
    public var events: [EtcdWatchEvent]
}

/// One member's view of the cluster, from `/etcdserverpb.Maintenance/Status`.
public struct EtcdMemberStatus: Sendable, Equatable {
    public var memberID: UInt64
    /// The leader's member ID, 0 when the member knows no leader.
    public var leaderID: UInt64
    public var version: String
    public var raftTerm: UInt64
    public var revision: Int64

    public var isLeader: Bool { memberID != 0 && memberID == leaderID }
}

/// The end of the range holding every key that starts with `prefix`, the way etcd computes it:
/// the prefix with its last byte below 0xff incremented and what follows dropped; "\0" (every
/// key) when there is no such byte.
func prefixRangeEnd(_ prefix: [UInt8]) -> [UInt8] {
    var end = prefix
    while let last = end.last {
        if last < 0xff {
            end[end.count - 1] = last + 1
            return end
        }
        end.removeLast()
    }
    return [0]
}
