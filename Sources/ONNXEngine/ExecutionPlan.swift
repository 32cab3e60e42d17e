/// The graph in topological order, every value given a slot index, every kernel built.
struct ExecutionPlan: Sendable {
    struct Step: Sendable {
        var name: String
        var opType: String
        var kernel: BufferedKernel
        /// Slot per listed input; -1 for an omitted optional input.
        var inputSlots: [Int]
        /// Slot per listed output; -1 for an omitted optional output.
        var outputSlots: [Int]
        /// Slots whose last reader is this step, emptied after it runs.
        var releasedSlots: [Int]
    }

    struct Input: Sendable {
        var info: ValueInfo
        var slot: Int
        /// Whether an initializer provides a default, making the input optional.
        var hasDefault: Bool
    }

    var slotCount: Int
    /// Initializer values, placed in their slots before each run.
    var initialValues: [(slot: Int, tensor: Tensor)]
    var inputs: [Input]
    var outputs: [(name: String, slot: Int)]
    var steps: [Step]
    /// Slots that steps write, whose arrays go back to the buffer pool once their last reader ran.
    var producedSlots: Set<Int>
    /// Workspaces lent to runs; shared by copies of the plan.
    let workspaces = WorkspacePool()

    init(_ model: ModelDescription) throws(ONNXError) {
        let graph = model.graph
        if graph.hasSparseInitializers { throw .unsupported("sparse initializers are not supported") }

        var slotOf: [String: Int] = [:]
        func slot(_ name: String) -> Int {
            if let s = slotOf[name] { return s }
            slotOf[name] = slotOf.count
            return slotOf.count - 1
        }

        // Values available before any node runs.
        var available = Set<String>()
        var initialValues: [(slot: Int, tensor: Tensor)] = []
        for (name, tensor) in graph.initializers {
            guard !name.isEmpty else { throw .invalidModel("an initializer has no name") }
            guard available.insert(name).inserted else { throw .invalidModel("initializer '\(name)' is defined twice") }
            initialValues.append((slot(name), tensor))
        }
        var inputs: [Input] = []
        for info in graph.inputs {
            let hasDefault = available.contains(info.name)
            if !hasDefault {
                guard available.insert(info.name).inserted else {
                    throw .invalidModel("graph input '\(info.name)' is declared twice")
                }
            }
            guard info.isTensor else {
                throw .unsupported(
                    "graph input '\(info.name)' is not a tensor (sequence, map and optional types are not supported)")
            }
            if info.elementType == nil && info.onnxDataType != 0 {
                throw .unsupported(
                    "graph input '\(info.name)' has element type \(onnxDataTypeName(info.onnxDataType)), which is not supported")
            }
            inputs.append(Input(info: info, slot: slot(info.name), hasDefault: hasDefault))
        }

        // Kernels, checked against the registry and the model's opsets.
        var producer: [String: Int] = [:]
        var kernels: [BufferedKernel] = []
        for (index, node) in graph.nodes.enumerated() {
            let context = "node '\(node.name)' (\(node.domain.isEmpty ? "" : node.domain + ".")\(node.opType))"
            guard let definition = OperatorRegistry.definition(domain: node.domain, opType: node.opType) else {
                var message =
                    "\(context): operator '\(node.opType)' of domain '\(node.domain.isEmpty ? "ai.onnx" : node.domain)' is not supported"
                if model.hasFunctions { message += " (model-local functions are not supported)" }
                throw .unsupported(message)
            }
            guard let opset = model.opsets[node.domain] else {
                throw .invalidModel(
                    "\(context): domain '\(node.domain.isEmpty ? "ai.onnx" : node.domain)' is not in the model's opset_import")
            }
            if let maximum = OperatorRegistry.maxOpset[node.domain], opset > maximum {
                throw .unsupported("\(context): opset \(opset) is newer than the highest supported (\(maximum))")
            }
            if opset < 1 { throw .invalidModel("\(context): opset version \(opset) is invalid") }
            guard definition.inputs.contains(node.inputs.count) else {
                throw .invalidModel(
                    "\(context): has \(node.inputs.count) inputs, the operator takes \(definition.inputs.lowerBound)...\(definition.inputs.upperBound)"
                )
            }
            guard definition.outputs.contains(node.outputs.count) else {
                throw .invalidModel(
                    "\(context): has \(node.outputs.count) outputs, the operator gives \(definition.outputs.lowerBound)...\(definition.outputs.upperBound)"
                )
            }
            do {
                kernels.append(try definition.make(NodeContext(node: node, opset: opset)))
            } catch let error as ONNXError {
                throw error.prefixed(context)
            } catch {
                throw .invalidModel("\(context): \(error)")
            }
            for output in node.outputs where !output.isEmpty {
                if available.contains(output) || producer[output] != nil {
                    throw .invalidModel("\(context): output '\(output)' is already defined by another node, input or initializer")
                }
                producer[output] = index
            }
        }

        // Kahn's algorithm; inputs with no producer must be graph inputs or initializers.
        var dependents = [[Int]](repeating: [], count: graph.nodes.count)
        for (index, node) in graph.nodes.enumerated() {
            for (position, input) in node.inputs.enumerated() where !input.isEmpty {
                if let p = producer[input] {
                    dependents[p].append(index)
                } else if !available.contains(input) {
                    throw .invalidModel(
                        "node '\(node.name)' (\(node.opType)) input \(position) '\(input)' is not a graph input, an initializer or any node's output"
                    )
                }
            }
        }
        let order = Self.stableTopologicalOrder(graph.nodes.count, dependents: dependents)
        if order.count < graph.nodes.count {
            let placed = Set(order)
            let stuck = (0..<graph.nodes.count).filter { !placed.contains($0) }.prefix(5).map {
                "'\(graph.nodes[$0].name)' (\(graph.nodes[$0].opType))"
            }
            throw .invalidModel("the graph has a cycle through nodes \(stuck.joined(separator: ", "))")
        }
        var outputs: [(name: String, slot: Int)] = []
        for output in graph.outputs {
            guard available.contains(output.name) || producer[output.name] != nil else {
                throw .invalidModel("graph output '\(output.name)' is not produced by any node, input or initializer")
            }
            outputs.append((output.name, slot(output.name)))
        }

        var steps: [Step] = order.map { index in
            let node = graph.nodes[index]
            return Step(
                name: node.name, opType: node.opType, kernel: kernels[index],
                inputSlots: node.inputs.map { $0.isEmpty ? -1 : slot($0) },
                outputSlots: node.outputs.map { $0.isEmpty ? -1 : slot($0) },
                releasedSlots: []
            )
        }
        // Free intermediate values after their last reader so a run holds only live tensors.
        let kept = Set(outputs.map(\.slot))
        var lastReader: [Int: Int] = [:]
        for (position, step) in steps.enumerated() {
            for s in step.inputSlots where s >= 0 { lastReader[s] = position }
        }
        for (s, position) in lastReader where !kept.contains(s) { steps[position].releasedSlots.append(s) }

        self.slotCount = slotOf.count
        self.initialValues = initialValues
        self.inputs = inputs
        self.outputs = outputs
        self.steps = steps
        self.producedSlots = Set(steps.flatMap(\.outputSlots).filter { $0 >= 0 })
    }

    /// Topological order preferring the lowest node index among ready nodes; shorter than `count` on a cycle.
    private static func stableTopologicalOrder(_ count: Int, dependents: [[Int]]) -> [Int] {
        var pending = [Int](repeating: 0, count: count)
        for list in dependents { for d in list { pending[d] += 1 } }
        var ready = (0..<count).filter { pending[$0] == 0 }.reversed() as [Int]
        var order: [Int] = []
        while let next = ready.popLast() {
            order.append(next)
            var added = false
            for d in dependents[next] {
                pending[d] -= 1
                if pending[d] == 0 { ready.append(d); added = true }
            }
            if added { ready.sort(by: >) }
        }
        return order
    }

    func run(_ given: [String: Tensor], limits: ONNXLimits) throws(ONNXError) -> [String: Tensor] {
        let workspace = workspaces.checkOut(slotCount: slotCount)
        defer {
            // Nothing of this run (the caller's inputs, its outputs) stays referenced by the idle workspace.
            for i in workspace.slots.indices { workspace.slots[i] = nil }
            workspaces.checkIn(workspace)
        }
        return try run(given, limits: limits, slots: &workspace.slots, buffers: workspace.buffers)
    }

    private func run(
        _ given: [String: Tensor], limits: ONNXLimits, slots: inout [Tensor?], buffers: BufferPool
    ) throws(ONNXError) -> [String: Tensor] {
        for (slot, tensor) in initialValues { slots[slot] = tensor }
        // Names are checked only when some given tensor matched no input, to keep hashing off the common path.
        let matched = inputs.count { given[$0.info.name] != nil }
        if matched != given.count {
            let known = Set(inputs.map(\.info.name))
            for name in given.keys where !known.contains(name) {
                throw .invalidInput(
                    "'\(name)' is not an input of the model (inputs: \(inputs.map(\.info.name).joined(separator: ", ")))")
            }
        }
        for input in inputs {
            guard let tensor = given[input.info.name] else {
                if input.hasDefault { continue }
                throw .invalidInput("input '\(input.info.name)' is missing")
            }
            try Self.check(tensor, against: input.info)
            _ = try limits.elementCount(tensor.shape, "input '\(input.info.name)'")
            slots[input.slot] = tensor
        }
        for step in steps {
            let arguments = step.inputSlots.map { $0 >= 0 ? slots[$0] : nil }
            let results: [Tensor]
            do {
                results = try step.kernel(arguments, limits, buffers)
            } catch let error as ONNXError {
                throw error.prefixed("node '\(step.name)' (\(step.opType))")
            } catch {
                throw .invalidInput("node '\(step.name)' (\(step.opType)): \(error)")
            }
            for (position, slot) in step.outputSlots.enumerated() where slot >= 0 {
                guard position < results.count else {
                    throw ONNXError(
                        .unsupported, "node '\(step.name)' (\(step.opType)): output \(position) is not computed by the engine")
                }
                slots[slot] = results[position]
            }
            for slot in step.releasedSlots {
                if producedSlots.contains(slot), let tensor = slots[slot] {
                    slots[slot] = nil
                    buffers.recycle(tensor.storage)
                } else {
                    slots[slot] = nil
                }
            }
        }
        var result: [String: Tensor] = [:]
        for (name, slot) in outputs { result[name] = slots[slot] }
        return result
    }

    /// Checks a caller's tensor against the declared type and fixed dimensions.
    static func check(_ tensor: Tensor, against info: ValueInfo) throws(ONNXError) {
        if let expected = info.elementType, expected != tensor.elementType {
            throw .invalidInput("input '\(info.name)' has type \(tensor.elementType), the model expects \(expected)")
        }
        guard let shape = info.shape else { return }
        guard shape.count == tensor.rank else {
            throw .invalidInput(
                "input '\(info.name)' has shape \(tensor.shape) (rank \(tensor.rank)), the model expects rank \(shape.count)")
        }
        for (axis, dimension) in shape.enumerated() {
            if case .fixed(let size) = dimension, size != tensor.shape[axis] {
                throw .invalidInput(
                    "input '\(info.name)' has shape \(tensor.shape), the model expects \(size) at dimension \(axis)")
            }
        }
    }
}
