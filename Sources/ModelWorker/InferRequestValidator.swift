import InferenceAPI
import ONNXEngine
import RPCCore

/// A request checked against its model and converted for the engine.
struct PreparedRequest: Sendable {
    /// By graph input name.
    var inputs: [String: Tensor]
    /// Rows along dimension 0 (batching models only; 0 otherwise).
    var rows: Int
    /// The outputs to return, in response order.
    var outputs: [ServedTensor]
}

/// Checks a request's inputs (names, datatypes, shapes, data sizes, limits) and requested
/// outputs against a model, with INVALID_ARGUMENT naming the input or output at fault.
struct InferRequestValidator {
    let model: ServedModel

    private var where_: String { "model '\(model.name)' version \(model.version)" }

    func validate(_ request: InferRequest) throws(RPCError) -> PreparedRequest {
        var inputs: [String: Tensor] = [:]
        inputs.reserveCapacity(request.inputs.count)
        var rows: Int?
        for tensor in request.inputs {
            guard let expected = model.inputsByName[tensor.name] else {
                throw RPCError(
                    .invalidArgument,
                    "\(where_) has no input '\(tensor.name)' (inputs: \(model.inputs.map(\.name).joined(separator: ", ")))")
            }
            // Served names map one to one onto graph names, so a graph name seen before is a repeat.
            guard inputs[expected.graphName] == nil else {
                throw RPCError(.invalidArgument, "input '\(tensor.name)' is given twice")
            }
            guard tensor.datatype == expected.datatype else {
                throw RPCError(
                    .invalidArgument,
                    "input '\(tensor.name)' has datatype \(tensor.datatype), but \(where_) expects \(expected.datatype)")
            }
            if let shape = expected.shape {
                let matches =
                    shape.count == tensor.shape.count
                    && zip(shape, tensor.shape).allSatisfy { $0 == -1 || $0 == $1 }
                guard matches else {
                    throw RPCError(
                        .invalidArgument,
                        "input '\(tensor.name)' has shape \(format(tensor.shape)), but \(where_) expects "
                            + "\(format(shape)) (-1: any size)")
                }
            }
            // The data was already received, but the engine would copy it and compute with it:
            // refuse what it could not hold before converting.
            let count = try tensor.elementCount()
            guard count <= model.model.limits.maxElementCount else {
                throw RPCError(
                    .invalidArgument,
                    "input '\(tensor.name)' has \(count) elements, more than the limit of \(model.model.limits.maxElementCount)")
            }
            try tensor.validate()
            if model.config.maxBatchSize > 0 {
                guard let first = tensor.shape.first else {
                    throw RPCError(
                        .invalidArgument, "input '\(tensor.name)' is a scalar, but \(where_) batches along dimension 0")
                }
                if let rows, rows != Int(first) {
                    throw RPCError(
                        .invalidArgument,
                        "input '\(tensor.name)' has \(first) rows but another input has \(rows); inputs of a batching "
                            + "model share dimension 0")
                }
                rows = Int(first)
            }
            inputs[expected.graphName] = try TensorConversion.tensor(from: tensor)
        }
        // A missing input is reported by the engine, which knows which inputs have defaults.
        if let rows, rows > model.config.maxBatchSize {
            throw RPCError(
                .invalidArgument,
                "the request has \(rows) rows, more than max_batch_size \(model.config.maxBatchSize) of \(where_)")
        }
        var outputs: [ServedTensor] = []
        if request.outputs.isEmpty {
            outputs = model.outputs
        } else {
            var requested = Set<String>()
            for output in request.outputs {
                guard let served = model.outputs.first(where: { $0.name == output.name }) else {
                    throw RPCError(
                        .invalidArgument,
                        "\(where_) has no output '\(output.name)' (outputs: \(model.outputs.map(\.name).joined(separator: ", ")))"
                    )
                }
                guard requested.insert(output.name).inserted else {
                    throw RPCError(.invalidArgument, "output '\(output.name)' is requested twice")
                }
                outputs.append(served)
            }
        }
        return PreparedRequest(inputs: inputs, rows: rows ?? 0, outputs: outputs)
    }

    private func format(_ shape: [Int64]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }
}
