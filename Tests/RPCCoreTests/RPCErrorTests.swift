import RPCCore
import Testing

private struct ModelNotFound: RPCErrorConvertible {
    let model: String
    var rpcError: RPCError { RPCError(.notFound, "model \(model) not found", metadata: ["x-model": model]) }
}

private struct PlainError: Error, CustomStringConvertible {
    var description: String { "disk on fire" }
}

@Suite("RPCError")
struct RPCErrorTests {
    @Test func rpcErrorPassesThrough() {
        let original = RPCError(.permissionDenied, "no", metadata: ["x-why": "policy"])
        #expect(RPCError(from: original) == original)
    }

    @Test func convertibleErrorsConvert() {
        let error = RPCError(from: ModelNotFound(model: "resnet"))
        #expect(error.code == .notFound)
        #expect(error.message == "model resnet not found")
        #expect(error.metadata["x-model"] == "resnet")
    }

    @Test func cancellationIsCancelled() {
        #expect(RPCError(from: CancellationError()).code == .cancelled)
    }

    @Test func anyOtherErrorIsUnknownAndDescribed() {
        let error = RPCError(from: PlainError())
        #expect(error.code == .unknown)
        #expect(error.message.contains("disk on fire"))
    }

    @Test func descriptionNamesCodeAndMessage() {
        #expect(RPCError(.invalidArgument, "bad shape").description == "INVALID_ARGUMENT: bad shape")
        #expect(RPCError(.ok, "").metadata.isEmpty)
    }
}
