// The only file of this module that touches protobuf-c structs: encodes the requests of
// EtcdMessages.swift and decodes the replies.
internal import CProtobufC
internal import ProtoC
import ProtoCMessage
import RPCCore

typealias CKeyValue = Mvccpb__KeyValue
typealias CCompare = Etcdserverpb__Compare
typealias CRequestOp = Etcdserverpb__RequestOp

/// Binary data copied into the arena.
private func binary(_ bytes: [UInt8], _ arena: CArena) -> ProtobufCBinaryData {
    bytes.withUnsafeBytes { arena.binary(copying: $0) }
}

private func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
    Array(data.bytes)
}

private func responseHeader(_ pointer: UnsafeMutablePointer<Etcdserverpb__ResponseHeader>?) -> ResponseHeader {
    guard let header = pointer?.pointee else { return ResponseHeader() }
    return ResponseHeader(memberID: header.member_id, revision: header.revision, raftTerm: header.raft_term)
}

private func keyValue(_ pointer: UnsafeMutablePointer<CKeyValue>?) -> EtcdKeyValue {
    guard let kv = pointer?.pointee else { return EtcdKeyValue(key: "", value: []) }
    return EtcdKeyValue(
        key: String(decoding: kv.key.bytes, as: UTF8.self), value: bytes(kv.value), createRevision: kv.create_revision,
        modRevision: kv.mod_revision, version: kv.version, lease: kv.lease)
}

/// Reads a repeated message field.
private func values<CStruct, Value>(
    _ pointer: UnsafeMutablePointer<UnsafeMutablePointer<CStruct>?>?, count: Int,
    _ read: (UnsafeMutablePointer<CStruct>) -> Value
) -> [Value] {
    guard let pointer else { return [] }
    return (0..<count).compactMap { index in pointer[index].map(read) }
}

/// Builds a C array of pointers to arena-allocated structs, one per value.
private func pointerArray<Value, CStruct>(
    _ values: [Value], arena: CArena, _ fill: (Value, UnsafeMutablePointer<CStruct>) -> Void
) -> UnsafeMutablePointer<UnsafeMutablePointer<CStruct>?> {
    let array = arena.allocate(UnsafeMutablePointer<CStruct>?.self, count: values.count)
    for (index, value) in values.enumerated() {
        let element = arena.allocate(CStruct.self)
        fill(value, element)
        array[index] = element
    }
    return array
}

extension RangeRequest {
    func fill(_ message: UnsafeMutablePointer<Etcdserverpb__RangeRequest>, arena: CArena) {
        etcdserverpb__range_request__init(message)
        message.pointee.key = binary(key, arena)
        message.pointee.range_end = binary(rangeEnd, arena)
    }

    func wireBytes() -> [UInt8] {
        CArena.with { arena in
            let message = arena.allocate(Etcdserverpb__RangeRequest.self)
            fill(message, arena: arena)
            return ProtoCMessage.pack(
                &message.pointee, size: etcdserverpb__range_request__get_packed_size,
                pack: etcdserverpb__range_request__pack)
        }
    }
}

extension RangeResponse {
    init(_ message: Etcdserverpb__RangeResponse) {
        self.init(
            header: responseHeader(message.header), kvs: values(message.kvs, count: message.n_kvs, keyValue),
            more: message.more != 0,
            count: message.count)
    }

    init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "etcdserverpb.RangeResponse", unpack: etcdserverpb__range_response__unpack
        ) { RangeResponse($0) }
    }
}

extension PutRequest {
    func fill(_ message: UnsafeMutablePointer<Etcdserverpb__PutRequest>, arena: CArena) {
        etcdserverpb__put_request__init(message)
        message.pointee.key = binary(key, arena)
        message.pointee.value = binary(value, arena)
        message.pointee.lease = lease
    }

    func wireBytes() -> [UInt8] {
        CArena.with { arena in
            let message = arena.allocate(Etcdserverpb__PutRequest.self)
            fill(message, arena: arena)
            return ProtoCMessage.pack(
                &message.pointee, size: etcdserverpb__put_request__get_packed_size, pack: etcdserverpb__put_request__pack)
        }
    }
}

extension PutResponse {
    init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "etcdserverpb.PutResponse", unpack: etcdserverpb__put_response__unpack
        ) { PutResponse(header: responseHeader($0.header)) }
    }
}

extension DeleteRangeRequest {
    func fill(_ message: UnsafeMutablePointer<Etcdserverpb__DeleteRangeRequest>, arena: CArena) {
        etcdserverpb__delete_range_request__init(message)
        message.pointee.key = binary(key, arena)
        message.pointee.range_end = binary(rangeEnd, arena)
    }

    func wireBytes() -> [UInt8] {
        CArena.with { arena in
            let message = arena.allocate(Etcdserverpb__DeleteRangeRequest.self)
            fill(message, arena: arena)
            return ProtoCMessage.pack(
                &message.pointee, size: etcdserverpb__delete_range_request__get_packed_size,
                pack: etcdserverpb__delete_range_request__pack)
        }
    }
}

extension DeleteRangeResponse {
    init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "etcdserverpb.DeleteRangeResponse", unpack: etcdserverpb__delete_range_response__unpack
        ) { DeleteRangeResponse(header: responseHeader($0.header), deleted: $0.deleted) }
    }
}

extension EtcdCompare {
    func fill(_ message: UnsafeMutablePointer<CCompare>, arena: CArena) {
        etcdserverpb__compare__init(message)
        let key: String
        switch self {
        case .value(let name, let value):
            key = name
            message.pointee.target = ETCDSERVERPB__COMPARE__COMPARE_TARGET__VALUE
            message.pointee.target_union_case = ETCDSERVERPB__COMPARE__TARGET_UNION_VALUE
            message.pointee.value = binary(value, arena)
        case .createRevision(let name, let revision):
            key = name
            message.pointee.target = ETCDSERVERPB__COMPARE__COMPARE_TARGET__CREATE
            message.pointee.target_union_case = ETCDSERVERPB__COMPARE__TARGET_UNION_CREATE_REVISION
            message.pointee.create_revision = revision
        case .modRevision(let name, let revision):
            key = name
            message.pointee.target = ETCDSERVERPB__COMPARE__COMPARE_TARGET__MOD
            message.pointee.target_union_case = ETCDSERVERPB__COMPARE__TARGET_UNION_MOD_REVISION
            message.pointee.mod_revision = revision
        case .version(let name, let version):
            key = name
            message.pointee.target = ETCDSERVERPB__COMPARE__COMPARE_TARGET__VERSION
            message.pointee.target_union_case = ETCDSERVERPB__COMPARE__TARGET_UNION_VERSION
            message.pointee.version = version
        case .modRevisionLess(let name, let revision):
            key = name
            message.pointee.result = ETCDSERVERPB__COMPARE__COMPARE_RESULT__LESS
            message.pointee.target = ETCDSERVERPB__COMPARE__COMPARE_TARGET__MOD
            message.pointee.target_union_case = ETCDSERVERPB__COMPARE__TARGET_UNION_MOD_REVISION
            message.pointee.mod_revision = revision
        }
        message.pointee.key = binary(Array(key.utf8), arena)
    }
}

extension EtcdOperation {
    func fill(_ message: UnsafeMutablePointer<CRequestOp>, arena: CArena) {
        etcdserverpb__request_op__init(message)
        switch self {
        case .put(let key, let value, let lease):
            let put = arena.allocate(Etcdserverpb__PutRequest.self)
            PutRequest(key: Array(key.utf8), value: value, lease: lease).fill(put, arena: arena)
            message.pointee.request_case = ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_PUT
            message.pointee.request_put = put
        case .get(let key):
            let range = arena.allocate(Etcdserverpb__RangeRequest.self)
            RangeRequest(key: Array(key.utf8)).fill(range, arena: arena)
            message.pointee.request_case = ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_RANGE
            message.pointee.request_range = range
        case .delete(let key):
            let delete = arena.allocate(Etcdserverpb__DeleteRangeRequest.self)
            DeleteRangeRequest(key: Array(key.utf8)).fill(delete, arena: arena)
            message.pointee.request_case = ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_DELETE_RANGE
            message.pointee.request_delete_range = delete
        }
    }
}

extension TxnRequest {
    func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Etcdserverpb__TxnRequest()
            etcdserverpb__txn_request__init(&message)
            message.n_compare = compares.count
            message.compare = pointerArray(compares, arena: arena) { $0.fill($1, arena: arena) }
            message.n_success = success.count
            message.success = pointerArray(success, arena: arena) { $0.fill($1, arena: arena) }
            message.n_failure = failure.count
            message.failure = pointerArray(failure, arena: arena) { $0.fill($1, arena: arena) }
            return ProtoCMessage.pack(
                &message, size: etcdserverpb__txn_request__get_packed_size, pack: etcdserverpb__txn_request__pack)
        }
    }
}

extension TxnResponse {
    init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "etcdserverpb.TxnResponse", unpack: etcdserverpb__txn_response__unpack
        ) { message in
            TxnResponse(
                header: responseHeader(message.header), succeeded: message.succeeded != 0,
                responses: values(message.responses, count: message.n_responses) { op -> Op in
                    switch op.pointee.response_case {
                    case ETCDSERVERPB__RESPONSE_OP__RESPONSE_RESPONSE_RANGE:
                        guard let range = op.pointee.response_range else { return .range([]) }
                        return .range(RangeResponse(range.pointee).kvs)
                    case ETCDSERVERPB__RESPONSE_OP__RESPONSE_RESPONSE_PUT: return .put
                    case ETCDSERVERPB__RESPONSE_OP__RESPONSE_RESPONSE_DELETE_RANGE: return .deleteRange
                    default: return .other
                    }
                })
        }
    }
}

extension LeaseGrantRequest {
    func wireBytes() -> [UInt8] {
        var message = Etcdserverpb__LeaseGrantRequest()
        etcdserverpb__lease_grant_request__init(&message)
        message.ttl = ttl
        return ProtoCMessage.pack(
            &message, size: etcdserverpb__lease_grant_request__get_packed_size, pack: etcdserverpb__lease_grant_request__pack)
    }
}

extension LeaseGrantResponse {
    init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "etcdserverpb.LeaseGrantResponse", unpack: etcdserverpb__lease_grant_response__unpack
        ) { LeaseGrantResponse(header: responseHeader($0.header), id: $0.id, ttl: $0.ttl, error: ProtoCCodec.string($0.error)) }
    }
}

extension LeaseRevokeRequest {
    func wireBytes() -> [UInt8] {
        var message = Etcdserverpb__LeaseRevokeRequest()
        etcdserverpb__lease_revoke_request__init(&message)
        message.id = id
        return ProtoCMessage.pack(
            &message, size: etcdserverpb__lease_revoke_request__get_packed_size,
            pack: etcdserverpb__lease_revoke_request__pack)
    }
}

extension LeaseRevokeResponse {
    init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "etcdserverpb.LeaseRevokeResponse", unpack: etcdserverpb__lease_revoke_response__unpack
        ) { LeaseRevokeResponse(header: responseHeader($0.header)) }
    }
}

extension LeaseKeepAliveRequest {
    func wireBytes() -> [UInt8] {
        var message = Etcdserverpb__LeaseKeepAliveRequest()
        etcdserverpb__lease_keep_alive_request__init(&message)
        message.id = id
        return ProtoCMessage.pack(
            &message, size: etcdserverpb__lease_keep_alive_request__get_packed_size,
            pack: etcdserverpb__lease_keep_alive_request__pack)
    }
}

extension LeaseKeepAliveResponse {
    init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "etcdserverpb.LeaseKeepAliveResponse",
            unpack: etcdserverpb__lease_keep_alive_response__unpack
        ) { LeaseKeepAliveResponse(header: responseHeader($0.header), id: $0.id, ttl: $0.ttl) }
    }
}

extension WatchRequest {
    func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Etcdserverpb__WatchRequest()
            etcdserverpb__watch_request__init(&message)
            switch self {
            case .create(let key, let rangeEnd, let startRevision):
                let create = arena.allocate(Etcdserverpb__WatchCreateRequest.self)
                etcdserverpb__watch_create_request__init(create)
                create.pointee.key = binary(key, arena)
                create.pointee.range_end = binary(rangeEnd, arena)
                create.pointee.start_revision = startRevision
                message.request_union_case = ETCDSERVERPB__WATCH_REQUEST__REQUEST_UNION_CREATE_REQUEST
                message.create_request = create
            case .cancel(let watchID):
                let cancel = arena.allocate(Etcdserverpb__WatchCancelRequest.self)
                etcdserverpb__watch_cancel_request__init(cancel)
                cancel.pointee.watch_id = watchID
                message.request_union_case = ETCDSERVERPB__WATCH_REQUEST__REQUEST_UNION_CANCEL_REQUEST
                message.cancel_request = cancel
            }
            return ProtoCMessage.pack(
                &message, size: etcdserverpb__watch_request__get_packed_size, pack: etcdserverpb__watch_request__pack)
        }
    }
}

extension WatchResponse {
    init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "etcdserverpb.WatchResponse", unpack: etcdserverpb__watch_response__unpack
        ) { message in
            WatchResponse(
                header: responseHeader(message.header), watchID: message.watch_id, created: message.created != 0,
                canceled: message.canceled != 0, compactRevision: message.compact_revision,
                cancelReason: ProtoCCodec.string(message.cancel_reason),
                events: values(message.events, count: message.n_events) { event -> EtcdWatchEvent in
                    let kv = keyValue(event.pointee.kv)
                    return event.pointee.type == MVCCPB__EVENT__EVENT_TYPE__DELETE ? .delete(kv) : .put(kv)
                })
        }
    }
}

extension StatusRequest {
    func wireBytes() -> [UInt8] { [] }
}

extension StatusResponse {
    init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "etcdserverpb.StatusResponse", unpack: etcdserverpb__status_response__unpack
        ) {
            StatusResponse(
                header: responseHeader($0.header), version: ProtoCCodec.string($0.version), leader: $0.leader,
                raftTerm: $0.raftterm)
        }
    }
}

extension AuthenticateRequest {
    func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Etcdserverpb__AuthenticateRequest()
            etcdserverpb__authenticate_request__init(&message)
            message.name = arena.string(name)
            message.password = arena.string(password)
            return ProtoCMessage.pack(
                &message, size: etcdserverpb__authenticate_request__get_packed_size,
                pack: etcdserverpb__authenticate_request__pack)
        }
    }
}

extension AuthenticateResponse {
    init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "etcdserverpb.AuthenticateResponse", unpack: etcdserverpb__authenticate_response__unpack
        ) { AuthenticateResponse(header: responseHeader($0.header), token: ProtoCCodec.string($0.token)) }
    }
}
