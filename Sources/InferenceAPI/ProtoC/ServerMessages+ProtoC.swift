internal import CProtobufC
internal import ProtoC
import ProtoCMessage
import RPCCore

// The small messages of the inference service: liveness, readiness and metadata.

extension ServerLiveRequest: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        try ProtoCMessage.unpack(
            bytes, messageName: "inference.ServerLiveRequest",
            unpack: inference__server_live_request__unpack
        ) { _ in }
    }

    public func wireBytes() -> [UInt8] { [] }
}

extension ServerLiveResponse: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inference.ServerLiveResponse",
            unpack: inference__server_live_response__unpack
        ) { ServerLiveResponse(live: $0.live != 0) }
    }

    public func wireBytes() -> [UInt8] {
        var message = Inference__ServerLiveResponse()
        inference__server_live_response__init(&message)
        message.live = live ? 1 : 0
        return ProtoCMessage.pack(
            &message, size: inference__server_live_response__get_packed_size,
            pack: inference__server_live_response__pack)
    }
}

extension ServerReadyRequest: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        try ProtoCMessage.unpack(
            bytes, messageName: "inference.ServerReadyRequest",
            unpack: inference__server_ready_request__unpack
        ) { _ in }
    }

    public func wireBytes() -> [UInt8] { [] }
}

extension ServerReadyResponse: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inference.ServerReadyResponse",
            unpack: inference__server_ready_response__unpack
        ) { ServerReadyResponse(ready: $0.ready != 0) }
    }

    public func wireBytes() -> [UInt8] {
        var message = Inference__ServerReadyResponse()
        inference__server_ready_response__init(&message)
        message.ready = ready ? 1 : 0
        return ProtoCMessage.pack(
            &message, size: inference__server_ready_response__get_packed_size,
            pack: inference__server_ready_response__pack)
    }
}

extension ModelReadyRequest: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inference.ModelReadyRequest",
            unpack: inference__model_ready_request__unpack
        ) { ModelReadyRequest(name: ProtoCCodec.string($0.name), version: ProtoCCodec.string($0.version)) }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Inference__ModelReadyRequest()
            inference__model_ready_request__init(&message)
            message.name = arena.string(name)
            message.version = arena.string(version)
            return ProtoCMessage.pack(
                &message, size: inference__model_ready_request__get_packed_size,
                pack: inference__model_ready_request__pack)
        }
    }
}

extension ModelReadyResponse: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inference.ModelReadyResponse",
            unpack: inference__model_ready_response__unpack
        ) { ModelReadyResponse(ready: $0.ready != 0) }
    }

    public func wireBytes() -> [UInt8] {
        var message = Inference__ModelReadyResponse()
        inference__model_ready_response__init(&message)
        message.ready = ready ? 1 : 0
        return ProtoCMessage.pack(
            &message, size: inference__model_ready_response__get_packed_size,
            pack: inference__model_ready_response__pack)
    }
}

extension ServerMetadataRequest: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        try ProtoCMessage.unpack(
            bytes, messageName: "inference.ServerMetadataRequest",
            unpack: inference__server_metadata_request__unpack
        ) { _ in }
    }

    public func wireBytes() -> [UInt8] { [] }
}

extension ServerMetadataResponse: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inference.ServerMetadataResponse",
            unpack: inference__server_metadata_response__unpack
        ) { message in
            ServerMetadataResponse(
                name: ProtoCCodec.string(message.name), version: ProtoCCodec.string(message.version),
                extensions: ProtoCCodec.strings(message.extensions, count: message.n_extensions))
        }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Inference__ServerMetadataResponse()
            inference__server_metadata_response__init(&message)
            message.name = arena.string(name)
            message.version = arena.string(version)
            message.n_extensions = extensions.count
            message.extensions = arena.strings(extensions)
            return ProtoCMessage.pack(
                &message, size: inference__server_metadata_response__get_packed_size,
                pack: inference__server_metadata_response__pack)
        }
    }
}

extension ModelMetadataRequest: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inference.ModelMetadataRequest",
            unpack: inference__model_metadata_request__unpack
        ) { ModelMetadataRequest(name: ProtoCCodec.string($0.name), version: ProtoCCodec.string($0.version)) }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Inference__ModelMetadataRequest()
            inference__model_metadata_request__init(&message)
            message.name = arena.string(name)
            message.version = arena.string(version)
            return ProtoCMessage.pack(
                &message, size: inference__model_metadata_request__get_packed_size,
                pack: inference__model_metadata_request__pack)
        }
    }
}

extension ModelMetadataResponse: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inference.ModelMetadataResponse",
            unpack: inference__model_metadata_response__unpack
        ) { (message) throws(RPCError) in
            ModelMetadataResponse(
                name: ProtoCCodec.string(message.name),
                versions: ProtoCCodec.strings(message.versions, count: message.n_versions),
                platform: ProtoCCodec.string(message.platform),
                inputs: try TensorMetadata.decode(message.inputs, count: message.n_inputs, role: "input"),
                outputs: try TensorMetadata.decode(message.outputs, count: message.n_outputs, role: "output"))
        }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Inference__ModelMetadataResponse()
            inference__model_metadata_response__init(&message)
            message.name = arena.string(name)
            message.n_versions = versions.count
            message.versions = arena.strings(versions)
            message.platform = arena.string(platform)
            message.n_inputs = inputs.count
            message.inputs = TensorMetadata.encode(inputs, arena: arena)
            message.n_outputs = outputs.count
            message.outputs = TensorMetadata.encode(outputs, arena: arena)
            return ProtoCMessage.pack(
                &message, size: inference__model_metadata_response__get_packed_size,
                pack: inference__model_metadata_response__pack)
        }
    }
}

extension TensorMetadata {
    fileprivate typealias CTensorMetadata = Inference__ModelMetadataResponse__TensorMetadata

    fileprivate static func decode(
        _ tensors: UnsafeMutablePointer<UnsafeMutablePointer<CTensorMetadata>?>?, count: Int, role: String
    ) throws(RPCError) -> [TensorMetadata] {
        var result: [TensorMetadata] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            guard let tensor = tensors?[index]?.pointee else { continue }
            let name = ProtoCCodec.string(tensor.name)
            result.append(
                TensorMetadata(
                    name: name,
                    datatype: try TensorDataType(
                        wireName: ProtoCCodec.string(tensor.datatype), tensor: "model metadata \(role) '\(name)'"),
                    shape: ProtoCCodec.array(tensor.shape, count: tensor.n_shape)))
        }
        return result
    }

    fileprivate static func encode(
        _ tensors: [TensorMetadata], arena: CArena
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<CTensorMetadata>?> {
        let array = arena.allocate(UnsafeMutablePointer<CTensorMetadata>?.self, count: tensors.count)
        for (index, tensor) in tensors.enumerated() {
            let entry = arena.allocate(CTensorMetadata.self)
            inference__model_metadata_response__tensor_metadata__init(entry)
            entry.pointee.name = arena.string(tensor.name)
            entry.pointee.datatype = arena.string(tensor.datatype.rawValue)
            entry.pointee.n_shape = tensor.shape.count
            entry.pointee.shape = arena.copy(tensor.shape)
            array[index] = entry
        }
        return array
    }
}
