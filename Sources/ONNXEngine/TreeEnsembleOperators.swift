/// ai.onnx.ml TreeEnsembleRegressor and TreeEnsembleClassifier over flattened node arrays.
enum TreeEnsembleOperators {
    static let definitions: [OperatorDefinition] = [
        OperatorDefinition("TreeEnsembleRegressor", domain: mlDomain, inputs: 1...1, make: regressor),
        OperatorDefinition("TreeEnsembleClassifier", domain: mlDomain, inputs: 1...1, outputs: 1...2, make: classifier),
    ]

    static func regressor(_ context: NodeContext) throws -> Kernel {
        let targets = try context.int("n_targets", default: 1)
        let forest = try TreeForest(context, prefix: "target", outputs: targets)
        let aggregate = try context.string("aggregate_function", default: "SUM")
        guard ["SUM", "AVERAGE", "MIN", "MAX"].contains(aggregate) else {
            throw ONNXError.unsupported("aggregate_function '\(aggregate)' is not supported")
        }
        let base = try context.doublesOrTensor("base_values", tensor: "base_values_as_tensor") ?? []
        guard base.isEmpty || base.count == targets else {
            throw ONNXError.invalidModel("\(base.count) base_values for \(targets) targets")
        }
        let transform = try PostTransform(context)
        guard transform == .none else {
            throw ONNXError.unsupported("post_transform \(transform) is not supported for TreeEnsembleRegressor")
        }
        return { inputs, limits in
            let (rows, columns, v) = try forest.rows(of: inputs.required(0), outputColumns: targets, limits: limits)
            var out = [Float](repeating: 0, count: rows * targets)
            var scores = [Double](repeating: 0, count: targets)
            var seen = [Bool](repeating: false, count: targets)
            for r in 0..<rows {
                for t in 0..<targets { scores[t] = 0; seen[t] = false }
                let row = v[(r * columns)..<((r + 1) * columns)]
                for tree in forest.roots.indices {
                    let leaf = forest.leaf(tree: tree, row: row)
                    for w in forest.leafWeights[leaf] {
                        switch aggregate {
                        case "MIN": scores[w.output] = seen[w.output] ? min(scores[w.output], w.weight) : w.weight
                        case "MAX": scores[w.output] = seen[w.output] ? max(scores[w.output], w.weight) : w.weight
                        default: scores[w.output] += w.weight
                        }
                        seen[w.output] = true
                    }
                }
                for t in 0..<targets {
                    var s = scores[t]
                    if aggregate == "AVERAGE" { s /= Double(forest.roots.count) }
                    if !base.isEmpty { s += base[t] }
                    out[r * targets + t] = Float(s)
                }
            }
            return [Tensor(shape: [rows, targets], floats: out)]
        }
    }

    static func classifier(_ context: NodeContext) throws -> Kernel {
        let labels = try ClassLabels(context, ints: "classlabels_int64s", strings: "classlabels_strings")
        let forest = try TreeForest(context, prefix: "class", outputs: labels.count)
        let base = try context.doublesOrTensor("base_values", tensor: "base_values_as_tensor") ?? []
        let transform = try PostTransform(context)
        let classIDs = Set(forest.leafWeights.joined().map(\.output))
        // skl2onnx and onnxmltools write binary boosting models with one score column for two labels.
        let binary = labels.count == 2 && classIDs.count == 1
        let allPositive = forest.leafWeights.joined().allSatisfy { $0.weight >= 0 }
        let columns = labels.count
        guard base.isEmpty || base.count == columns || (binary && base.count == 1) else {
            throw ONNXError.invalidModel("\(base.count) base_values for \(columns) classes")
        }
        return { inputs, limits in
            let (rows, features, v) = try forest.rows(of: inputs.required(0), outputColumns: columns, limits: limits)
            var all = [Double](repeating: 0, count: rows * columns)
            var winners: [Int] = []
            winners.reserveCapacity(rows)
            // One score array for all rows, cleared per row, so a batch does not allocate per row.
            var scores = [Double](repeating: 0, count: columns)
            for r in 0..<rows {
                for c in 0..<columns { scores[c] = 0 }
                let row = v[(r * features)..<((r + 1) * features)]
                for tree in forest.roots.indices {
                    for w in forest.leafWeights[forest.leaf(tree: tree, row: row)] { scores[w.output] += w.weight }
                }
                if binary {
                    let id = classIDs.first!
                    let s = scores[id] + (base.isEmpty ? 0 : base[base.count == 1 ? 0 : id])
                    let positive: Bool
                    if allPositive && transform == .none {
                        positive = s > 0.5
                        scores[0] = 1 - s
                        scores[1] = s
                    } else {
                        positive = s > 0
                        if transform == .logistic {
                            scores[0] = logistic(-s)
                            scores[1] = logistic(s)
                        } else if transform == .none {
                            scores[0] = -s
                            scores[1] = s
                        } else {
                            throw ONNXError.unsupported(
                                "post_transform \(transform) for a binary classifier with one score column is not supported")
                        }
                    }
                    winners.append(positive ? 1 : 0)
                } else {
                    if !base.isEmpty { for c in 0..<columns { scores[c] += base[c] } }
                    var best = 0
                    for c in 1..<max(columns, 1) where scores[c] > scores[best] { best = c }
                    winners.append(best)
                    try transform.apply(&scores, rows: 1, columns: columns)
                }
                for c in 0..<columns { all[r * columns + c] = scores[c] }
            }
            return [labels.tensor(winners), Tensor(shape: [rows, columns], floats: all.map(Float.init))]
        }
    }
}

/// Trees flattened into parallel arrays: node i tests `features[i]` against `thresholds[i]` with
/// `modes[i]` and continues at `trueChild[i]` or `falseChild[i]`; leaves point into `leafWeights`.
struct TreeForest: Sendable {
    enum Mode: String, Sendable {
        case leq = "BRANCH_LEQ", lt = "BRANCH_LT", gte = "BRANCH_GTE", gt = "BRANCH_GT", eq = "BRANCH_EQ", neq = "BRANCH_NEQ",
            leaf = "LEAF"
    }

    var roots: [Int]
    var modes: [Mode]
    var features: [Int]
    var thresholds: [Double]
    var trueChild: [Int]
    var falseChild: [Int]
    var missingTracksTrue: [Bool]
    /// For each node, the (output column, weight) pairs it adds when it is the leaf reached.
    var leafWeights: [[(output: Int, weight: Double)]]
    var maxFeature: Int

    init(_ context: NodeContext, prefix: String, outputs: Int) throws {
        let treeIDs = try context.ints("nodes_treeids") ?? []
        let nodeIDs = try context.ints("nodes_nodeids") ?? []
        let featureIDs = try context.ints("nodes_featureids") ?? []
        let values = try context.doublesOrTensor("nodes_values", tensor: "nodes_values_as_tensor") ?? []
        let modeNames = try context.strings("nodes_modes") ?? []
        let trueIDs = try context.ints("nodes_truenodeids") ?? []
        let falseIDs = try context.ints("nodes_falsenodeids") ?? []
        let missing = try context.ints("nodes_missing_value_tracks_true") ?? []
        let n = treeIDs.count
        for (name, count) in [
            ("nodes_nodeids", nodeIDs.count), ("nodes_featureids", featureIDs.count), ("nodes_values", values.count),
            ("nodes_modes", modeNames.count), ("nodes_truenodeids", trueIDs.count), ("nodes_falsenodeids", falseIDs.count),
        ]
        where count != n {
            throw ONNXError.invalidModel("attribute '\(name)' has \(count) values, nodes_treeids has \(n)")
        }
        guard missing.isEmpty || missing.count == n else {
            throw ONNXError.invalidModel("nodes_missing_value_tracks_true has \(missing.count) values, expected \(n)")
        }
        var index: [Int: [Int: Int]] = [:]
        for i in 0..<n {
            guard index[treeIDs[i], default: [:]][nodeIDs[i]] == nil else {
                throw ONNXError.invalidModel("tree \(treeIDs[i]) defines node \(nodeIDs[i]) twice")
            }
            index[treeIDs[i], default: [:]][nodeIDs[i]] = i
        }
        let modes = try modeNames.map { name in
            guard let mode = Mode(rawValue: name) else { throw ONNXError.unsupported("node mode '\(name)' is not supported") }
            return mode
        }
        self.modes = modes
        features = featureIDs
        thresholds = values
        missingTracksTrue = missing.isEmpty ? [Bool](repeating: false, count: n) : missing.map { $0 != 0 }
        trueChild = [Int](repeating: -1, count: n)
        falseChild = [Int](repeating: -1, count: n)
        var isChild = [Bool](repeating: false, count: n)
        for i in 0..<n where modes[i] != .leaf {
            guard let t = index[treeIDs[i]]?[trueIDs[i]], let f = index[treeIDs[i]]?[falseIDs[i]] else {
                throw ONNXError.invalidModel("tree \(treeIDs[i]) node \(nodeIDs[i]) points to a node that does not exist")
            }
            trueChild[i] = t
            falseChild[i] = f
            isChild[t] = true
            isChild[f] = true
            guard featureIDs[i] >= 0 else {
                throw ONNXError.invalidModel("tree \(treeIDs[i]) node \(nodeIDs[i]) has negative feature id")
            }
        }
        maxFeature = (0..<n).filter { modes[$0] != .leaf }.map { featureIDs[$0] }.max() ?? -1
        // One root per tree, in tree id order, so results do not depend on attribute order.
        var rootOf: [Int: Int] = [:]
        for i in 0..<n where !isChild[i] {
            guard rootOf[treeIDs[i]] == nil else { throw ONNXError.invalidModel("tree \(treeIDs[i]) has more than one root") }
            rootOf[treeIDs[i]] = i
        }
        roots = rootOf.keys.sorted().map { rootOf[$0]! }

        let weightTrees = try context.ints("\(prefix)_treeids") ?? []
        let weightNodes = try context.ints("\(prefix)_nodeids") ?? []
        let weightOutputs = try context.ints("\(prefix)_ids") ?? []
        let weights = try context.doublesOrTensor("\(prefix)_weights", tensor: "\(prefix)_weights_as_tensor") ?? []
        guard weightNodes.count == weightTrees.count, weightOutputs.count == weightTrees.count, weights.count == weightTrees.count
        else {
            throw ONNXError.invalidModel(
                "the \(prefix)_treeids, \(prefix)_nodeids, \(prefix)_ids and \(prefix)_weights attributes differ in length")
        }
        leafWeights = [[(output: Int, weight: Double)]](repeating: [], count: n)
        for i in weightTrees.indices {
            guard let node = index[weightTrees[i]]?[weightNodes[i]] else {
                throw ONNXError.invalidModel(
                    "\(prefix) weight \(i) refers to tree \(weightTrees[i]) node \(weightNodes[i]), which does not exist")
            }
            guard weightOutputs[i] >= 0, weightOutputs[i] < outputs else {
                throw ONNXError.invalidModel("\(prefix)_ids value \(weightOutputs[i]) is out of range for \(outputs) outputs")
            }
            leafWeights[node].append((weightOutputs[i], weights[i]))
        }
        // Reject cycles inside a tree, which would make traversal loop forever.
        for root in roots {
            var steps = 0
            var stack = [root]
            while let node = stack.popLast() {
                steps += 1
                if steps > n { throw ONNXError.invalidModel("a tree's nodes form a cycle") }
                if modes[node] != .leaf { stack += [trueChild[node], falseChild[node]] }
            }
        }
    }

    /// The [rows, features] input's values, once it is known to have every feature the trees read
    /// and `outputColumns` outputs a row to be within the limits.
    func rows(of x: Tensor, outputColumns: Int, limits: ONNXLimits) throws -> (rows: Int, features: Int, values: [Double]) {
        let (rows, features) = try rowsAndColumns(x)
        guard maxFeature < features else {
            throw ONNXError.invalidInput("input has \(features) features, the trees read feature \(maxFeature)")
        }
        _ = try limits.elementCount([rows, outputColumns], "the output")
        return (rows, features, try numericValues(x))
    }

    /// The leaf a row reaches in tree `tree`.
    @inline(__always)
    func leaf(tree: Int, row: ArraySlice<Double>) -> Int {
        var node = roots[tree]
        let start = row.startIndex
        while true {
            let mode = modes[node]
            if mode == .leaf { return node }
            let x = row[start + features[node]], t = thresholds[node]
            let goTrue: Bool
            switch mode {
            case .leaf: return node
            case .leq: goTrue = x <= t
            case .lt: goTrue = x < t
            case .gte: goTrue = x >= t
            case .gt: goTrue = x > t
            case .eq: goTrue = x == t
            case .neq: goTrue = x != t
            }
            node = goTrue || (x.isNaN && missingTracksTrue[node]) ? trueChild[node] : falseChild[node]
        }
    }
}
