// The etcd v3 messages the client sends and receives, as Swift values; only the fields the
// client uses. EtcdMessages+ProtoC.swift converts them to and from protobuf-c.
import RPCCore

/// A request the client encodes.
protocol EtcdRequest: Sendable {
    func wireBytes() -> [UInt8]
}

/// A reply the client decodes.
protocol EtcdResponse: Sendable {
    init(wireBytes: UnsafeRawBufferPointer) throws(RPCError)
}

extension EtcdResponse {
    init(wireBytes bytes: [UInt8]) throws(RPCError) {
        do {
            self = try bytes.withUnsafeBytes { buffer in try Self(wireBytes: buffer) }
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(from: error)
        }
    }
}

enum EtcdMethods {
    static let range = "/etcdserverpb.KV/Range"
    static let put = "/etcdserverpb.KV/Put"
    static let deleteRange = "/etcdserverpb.KV/DeleteRange"
    static let txn = "/etcdserverpb.KV/Txn"
    static let watch = "/etcdserverpb.Watch/Watch"
    static let leaseGrant = "/etcdserverpb.Lease/LeaseGrant"
    static let leaseRevoke = "/etcdserverpb.Lease/LeaseRevoke"
    static let leaseKeepAlive = "/etcdserverpb.Lease/LeaseKeepAlive"
    static let status = "/etcdserverpb.Maintenance/Status"
    static let authenticate = "/etcdserverpb.Auth/Authenticate"
}

struct ResponseHeader: Sendable {
    var memberID: UInt64 = 0
    var revision: Int64 = 0
    var raftTerm: UInt64 = 0
}

struct RangeRequest: EtcdRequest {
    var key: [UInt8]
    var rangeEnd: [UInt8] = []
}

struct RangeResponse: EtcdResponse {
    var header: ResponseHeader
    var kvs: [EtcdKeyValue]
    var more: Bool
    var count: Int64
}

struct PutRequest: EtcdRequest {
    var key: [UInt8]
    var value: [UInt8]
    var lease: Int64
}

struct PutResponse: EtcdResponse {
    var header: ResponseHeader
}

struct DeleteRangeRequest: EtcdRequest {
    var key: [UInt8]
    var rangeEnd: [UInt8] = []
}

struct DeleteRangeResponse: EtcdResponse {
    var header: ResponseHeader
    var deleted: Int64
}

struct TxnRequest: EtcdRequest {
    var compares: [EtcdCompare]
    var success: [EtcdOperation]
    var failure: [EtcdOperation]
}

struct TxnResponse: EtcdResponse {
    enum Op: Sendable {
        case range([EtcdKeyValue])
        case put
        case deleteRange
        case other
    }
    var header: ResponseHeader
    var succeeded: Bool
    var responses: [Op]
}

struct LeaseGrantRequest: EtcdRequest {
    var ttl: Int64
}

struct LeaseGrantResponse: EtcdResponse {
    var header: ResponseHeader
    var id: Int64
    var ttl: Int64
    var error: String
}

struct LeaseRevokeRequest: EtcdRequest {
    var id: Int64
}

struct LeaseRevokeResponse: EtcdResponse {
    var header: ResponseHeader
}

struct LeaseKeepAliveRequest: EtcdRequest {
    var id: Int64
}

struct LeaseKeepAliveResponse: EtcdResponse {
    var header: ResponseHeader
    var id: Int64
    var ttl: Int64
}

enum WatchRequest: EtcdRequest {
    case create(key: [UInt8], rangeEnd: [UInt8], startRevision: Int64)
    case cancel(watchID: Int64)
}

struct WatchResponse: EtcdResponse {
    var header: ResponseHeader
    var watchID: Int64
    var created: Bool
    var canceled: Bool
    var compactRevision: Int64
    var cancelReason: String
    var events: [EtcdWatchEvent]
}

struct StatusRequest: EtcdRequest {}

struct StatusResponse: EtcdResponse {
    var header: ResponseHeader
    var version: String
    var leader: UInt64
    var raftTerm: UInt64
}

struct AuthenticateRequest: EtcdRequest {
    var name: String
    var password: String
}

struct AuthenticateResponse: EtcdResponse {
    var header: ResponseHeader
    var token: String
}
