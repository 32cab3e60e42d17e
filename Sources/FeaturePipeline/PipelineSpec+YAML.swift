import YAMLLimits
import Yams

extension PipelineSpec {
    /// Spec files larger than this are refused before parsing.
    public static let maxSpecBytes = 16 << 20

    /// Parses a spec; `file` names it in errors and, without its directory and `.yaml`/`.yml`
    /// extension, is the pipeline's default name.
    ///
    /// The result is only parsed: `FeaturePlan(compiling:)` checks that the steps fit the columns.
    public init(yaml: String, file: String) throws(PipelineSpecError) {
        guard yaml.utf8.count <= Self.maxSpecBytes else {
            throw PipelineSpecError("\(file): larger than \(Self.maxSpecBytes) bytes")
        }
        if let line = YAMLNesting.lineTooDeep(in: yaml) {
            throw PipelineSpecError("\(file): nests deeper than \(YAMLNesting.maxDepth) levels (line \(line))")
        }
        let parsed: Node?
        do {
            parsed = try Yams.compose(yaml: yaml)
        } catch {
            throw PipelineSpecError("\(file): not valid YAML: \(error)")
        }
        guard let root = parsed else { throw PipelineSpecError("\(file): the file is empty") }
        let reader = SpecReader(file: file)
        let top = try reader.mapping(root, at: "top level", known: ["name", "version", "inputs", "output", "steps"])
        let stem = Self.stem(of: file)
        var name = stem
        if let node = top["name"] {
            name = try reader.string(node, at: "name")
            guard name == stem else {
                throw reader.error(
                    "'\(name)' differs from the file name '\(stem)'; a pipeline is served under its file name", at: "name", node)
            }
        }
        let version =
            try top["version"].map { node throws(PipelineSpecError) in
                try reader.integer(node, at: "version", in: 1...Int(Int32.max))
            } ?? 1
        let inputs = try Self.inputs(try reader.required(top, "inputs", at: "top level", root), reader)
        var output = OutputSpec()
        if let node = top["output"] {
            let pairs = try reader.mapping(node, at: "output", known: ["name", "dtype"])
            if let nameNode = pairs["name"] { output.name = try reader.string(nameNode, at: "output.name") }
            if let typeNode = pairs["dtype"] {
                let text = try reader.string(typeNode, at: "output.dtype")
                guard let type = OutputType(rawValue: text.uppercased()) else {
                    throw reader.error("'\(text)' is not FP32 or FP64", at: "output.dtype", typeNode)
                }
                output.dtype = type
            }
        }
        let steps = try StepParser(reader: reader).steps(try reader.required(top, "steps", at: "top level", root), at: "steps")
        self.init(name: name, version: version, inputs: inputs, output: output, steps: steps)
    }

    /// `dir/iris-features.yaml` → `iris-features`.
    public static func stem(of file: String) -> String {
        var base = Substring(file.split(separator: "/").last ?? Substring(file))
        for suffix in [".yaml", ".yml"] where base.hasSuffix(suffix) {
            base = base.dropLast(suffix.count)
        }
        return String(base)
    }

    private static func inputs(_ node: Node, _ reader: SpecReader) throws(PipelineSpecError) -> [InputColumn] {
        var columns: [InputColumn] = []
        var seen = Set<String>()
        let elements = try reader.sequence(node, at: "inputs")
        guard !elements.isEmpty else { throw reader.error("must list at least one column", at: "inputs", node) }
        for (index, element) in elements.enumerated() {
            let path = "inputs[\(index)]"
            let pairs = try reader.mapping(element, at: path, known: ["name", "type", "nullable"])
            let name = try reader.string(try reader.required(pairs, "name", at: path, element), at: "\(path).name")
            guard seen.insert(name).inserted else { throw reader.error("column '\(name)' is listed twice", at: path, element) }
            let type = try reader.choice(
                try reader.required(pairs, "type", at: path, element), at: "\(path).type", as: ColumnType.self)
            let nullable =
                try pairs["nullable"].map { node throws(PipelineSpecError) in try reader.bool(node, at: "\(path).nullable") }
                ?? false
            columns.append(InputColumn(name: name, type: type, nullable: nullable))
        }
        return columns
    }
}

/// Parses the `steps:` lists (nested inside column transformers too).
struct StepParser {
    let reader: SpecReader

    func steps(_ node: Node, at path: String) throws(PipelineSpecError) -> [Step] {
        var steps: [Step] = []
        for (index, element) in try reader.sequence(node, at: path).enumerated() {
            steps.append(try step(element, at: "\(path)[\(index)]"))
        }
        return steps
    }

    private static let keys: [String: [String]] = [
        "standard_scaler": ["mean", "scale"],
        "min_max_scaler": ["scale", "min", "feature_range", "clip"],
        "robust_scaler": ["center", "scale"],
        "max_abs_scaler": ["scale"],
        "normalizer": ["norm"],
        "simple_imputer": ["strategy", "statistics", "indicator_features"],
        "one_hot_encoder": ["handle_unknown", "features"],
        "ordinal_encoder": ["handle_unknown", "unknown_value", "encoded_missing_value", "categories"],
        "binarizer": ["threshold"],
        "function_transformer": ["function"],
        "clip": ["min", "max"],
        "kbins_discretizer": ["encode", "bin_edges"],
        "polynomial_features": ["degree", "interaction_only", "include_bias"],
        "feature_hasher": ["n_features", "alternate_sign"],
        "column_transformer": ["transformers", "remainder"],
    ]

    private func step(_ node: Node, at index: String) throws(PipelineSpecError) -> Step {
        guard let mapping = node.mapping, let typeNode = mapping["type"] else {
            throw reader.error("a step must be a mapping with a 'type' key", at: index, node)
        }
        let type = try reader.string(typeNode, at: "\(index).type")
        guard let known = Self.keys[type] else {
            throw reader.error(
                "unknown step type '\(type)' (known: \(Self.keys.keys.sorted().joined(separator: ", ")))",
                at: index, typeNode)
        }
        let label = mapping["name"]?.scalar?.string
        let path = "\(index)\(label.map { " '\($0)'" } ?? "") (\(type))"
        let p = try reader.mapping(node, at: path, known: ["type", "name"] + known)
        func field(_ key: String) -> String { "\(path): \(key)" }
        func need(_ key: String) throws(PipelineSpecError) -> Node { try reader.required(p, key, at: path, node) }
        let kind: Step.Kind
        switch type {
        case "standard_scaler":
            kind = .standardScaler(
                mean: try reader.optionalNumbers(p["mean"], at: field("mean")),
                scale: try reader.optionalNumbers(p["scale"], at: field("scale")))
        case "min_max_scaler":
            var range: ClosedRange<Double> = 0...1
            if let node = p["feature_range"] {
                let bounds = try reader.numbers(node, at: field("feature_range"))
                guard bounds.count == 2, bounds[0] < bounds[1] else {
                    throw reader.error("must be [min, max] with min < max", at: field("feature_range"), node)
                }
                range = bounds[0]...bounds[1]
            }
            kind = .minMaxScaler(
                scale: try reader.numbers(try need("scale"), at: field("scale")),
                min: try reader.numbers(try need("min"), at: field("min")),
                featureRange: range,
                clip: try p["clip"].map { n throws(PipelineSpecError) in try reader.bool(n, at: field("clip")) } ?? false)
        case "robust_scaler":
            kind = .robustScaler(
                center: try reader.optionalNumbers(p["center"], at: field("center")),
                scale: try reader.optionalNumbers(p["scale"], at: field("scale")))
        case "max_abs_scaler":
            kind = .maxAbsScaler(scale: try reader.numbers(try need("scale"), at: field("scale")))
        case "normalizer":
            kind = .normalizer(
                try p["norm"].map { n throws(PipelineSpecError) in try reader.choice(n, at: field("norm"), as: Step.Norm.self) }
                    ?? .l2)
        case "simple_imputer":
            kind = try imputer(p, need: need, field: field)
        case "one_hot_encoder":
            kind = try oneHot(p, need: need, field: field)
        case "ordinal_encoder":
            kind = try ordinal(p, need: need, field: field)
        case "binarizer":
            kind = .binarizer(
                threshold: try p["threshold"].map { n throws(PipelineSpecError) in try reader.number(n, at: field("threshold")) }
                    ?? 0)
        case "function_transformer":
            kind = .function(try reader.choice(try need("function"), at: field("function"), as: ElementFunction.self))
        case "clip":
            func bound(_ key: String) throws(PipelineSpecError) -> Double? {
                guard let node = p[key], !reader.isNull(node) else { return nil }
                return try reader.number(node, at: field(key), finite: false)
            }
            let (low, high) = (try bound("min"), try bound("max"))
            if let low, let high, low > high { throw reader.error("min \(low) is above max \(high)", at: path, node) }
            kind = .clip(min: low, max: high)
        case "kbins_discretizer":
            kind = try kbins(p, need: need, field: field)
        case "polynomial_features":
            kind = .polynomialFeatures(
                degree: try reader.integer(try need("degree"), at: field("degree"), in: 1...3),
                interactionOnly: try p["interaction_only"].map { n throws(PipelineSpecError) in
                    try reader.bool(n, at: field("interaction_only"))
                } ?? false,
                includeBias: try p["include_bias"].map { n throws(PipelineSpecError) in
                    try reader.bool(n, at: field("include_bias"))
                } ?? true)
        case "feature_hasher":
            kind = .featureHasher(
                features: try reader.integer(try need("n_features"), at: field("n_features"), in: 1...(1 << 20)),
                alternateSign: try p["alternate_sign"].map { n throws(PipelineSpecError) in
                    try reader.bool(n, at: field("alternate_sign"))
                } ?? true)
        default:  // column_transformer
            kind = try columnTransformer(p, need: need, field: field)
        }
        return Step(name: label, kind)
    }

    private typealias Need = (String) throws(PipelineSpecError) -> Node
    private typealias Field = (String) -> String

    private func imputer(_ p: [String: Node], need: Need, field: Field) throws(PipelineSpecError) -> Step.Kind {
        let strategy = try reader.choice(try need("strategy"), at: field("strategy"), as: Step.ImputerStrategy.self)
        var statistics: [CategoryValue?] = []
        let node = try need("statistics")
        for (index, element) in try reader.sequence(node, at: field("statistics")).enumerated() {
            let value = try reader.category(element, at: "\(field("statistics"))[\(index)]")
            statistics.append(value == .missing ? nil : value)
        }
        guard !statistics.isEmpty else { throw reader.error("must list one value per column", at: field("statistics"), node) }
        var indicators: [Int] = []
        if let node = p["indicator_features"] {
            for (index, element) in try reader.sequence(node, at: field("indicator_features")).enumerated() {
                indicators.append(
                    try reader.integer(element, at: "\(field("indicator_features"))[\(index)]", in: 0...(statistics.count - 1)))
            }
        }
        return .simpleImputer(strategy: strategy, statistics: statistics, indicatorFeatures: indicators)
    }

    private func oneHot(_ p: [String: Node], need: Need, field: Field) throws(PipelineSpecError) -> Step.Kind {
        let handle =
            try p["handle_unknown"].map { n throws(PipelineSpecError) in
                try reader.choice(n, at: field("handle_unknown"), as: Step.UnknownCategory.self)
            } ?? .error
        var features: [Step.OneHotFeature] = []
        for (index, element) in try reader.sequence(try need("features"), at: field("features")).enumerated() {
            let path = "\(field("features"))[\(index)]"
            let f = try reader.mapping(element, at: path, known: ["categories", "drop", "infrequent"])
            let categories = try reader.categories(
                try reader.required(f, "categories", at: path, element), at: "\(path).categories")
            try unique(categories, at: "\(path).categories", element)
            let drop = try f["drop"].map { n throws(PipelineSpecError) in try reader.category(n, at: "\(path).drop") }
            if let drop, !categories.contains(drop) {
                throw reader.error("drop \(drop) is not one of the categories", at: path, element)
            }
            let infrequent =
                try f["infrequent"].map { n throws(PipelineSpecError) in try reader.categories(n, at: "\(path).infrequent") }
                ?? []
            if let stray = infrequent.first(where: { !categories.contains($0) }) {
                throw reader.error("infrequent category \(stray) is not one of the categories", at: path, element)
            }
            features.append(Step.OneHotFeature(categories: categories, drop: drop, infrequent: infrequent))
        }
        return .oneHotEncoder(handleUnknown: handle, features: features)
    }

    private func ordinal(_ p: [String: Node], need: Need, field: Field) throws(PipelineSpecError) -> Step.Kind {
        var categories: [[CategoryValue]] = []
        for (index, element) in try reader.sequence(try need("categories"), at: field("categories")).enumerated() {
            let values = try reader.categories(element, at: "\(field("categories"))[\(index)]")
            try unique(values, at: "\(field("categories"))[\(index)]", element)
            categories.append(values)
        }
        let handle =
            try p["handle_unknown"].map { n throws(PipelineSpecError) in try reader.string(n, at: field("handle_unknown")) }
            ?? "error"
        var unknownValue: Double?
        switch handle {
        case "error":
            if p["unknown_value"].map({ !reader.isNull($0) }) == true {
                throw reader.error(
                    "unknown_value needs handle_unknown: use_encoded_value", at: field("unknown_value"), p["unknown_value"])
            }
        case "use_encoded_value":
            unknownValue = try reader.number(try need("unknown_value"), at: field("unknown_value"), finite: false)
        default:
            throw reader.error("'\(handle)' is not error or use_encoded_value", at: field("handle_unknown"), p["handle_unknown"])
        }
        let missing =
            try p["encoded_missing_value"].map { n throws(PipelineSpecError) in
                try reader.number(n, at: field("encoded_missing_value"), finite: false)
            } ?? .nan
        return .ordinalEncoder(categories: categories, unknownValue: unknownValue, encodedMissingValue: missing)
    }

    private func kbins(_ p: [String: Node], need: Need, field: Field) throws(PipelineSpecError) -> Step.Kind {
        let encode = try p["encode"].map { n throws(PipelineSpecError) in try reader.string(n, at: field("encode")) } ?? "onehot"
        guard ["ordinal", "onehot", "onehot-dense"].contains(encode) else {
            throw reader.error("'\(encode)' is not ordinal, onehot or onehot-dense", at: field("encode"), p["encode"])
        }
        var edges: [[Double]] = []
        for (index, element) in try reader.sequence(try need("bin_edges"), at: field("bin_edges")).enumerated() {
            let path = "\(field("bin_edges"))[\(index)]"
            let values = try reader.numbers(element, at: path)
            guard values.count >= 2, zip(values, values.dropFirst()).allSatisfy({ $0 <= $1 }) else {
                throw reader.error("must hold at least 2 ascending edges", at: path, element)
            }
            edges.append(values)
        }
        return .kBinsDiscretizer(binEdges: edges, oneHot: encode != "ordinal")
    }

    private func columnTransformer(_ p: [String: Node], need: Need, field: Field) throws(PipelineSpecError) -> Step.Kind {
        var transformers: [Step.Transformer] = []
        for (index, element) in try reader.sequence(try need("transformers"), at: field("transformers")).enumerated() {
            var path = "\(field("transformers"))[\(index)]"
            let t = try reader.mapping(element, at: path, known: ["name", "columns", "steps"])
            let name = try t["name"].map { n throws(PipelineSpecError) in try reader.string(n, at: "\(path).name") } ?? "\(index)"
            path += " '\(name)'"
            var columns: [ColumnReference] = []
            for (position, column) in try reader.sequence(
                try reader.required(t, "columns", at: path, element), at: "\(path).columns"
            ).enumerated() {
                if column.tagName == .int {
                    columns.append(.index(try reader.integer(column, at: "\(path).columns[\(position)]", in: 0...Int(Int32.max))))
                } else {
                    columns.append(.name(try reader.string(column, at: "\(path).columns[\(position)]")))
                }
            }
            let steps = try t["steps"].map { n throws(PipelineSpecError) in try self.steps(n, at: "\(path).steps") } ?? []
            transformers.append(Step.Transformer(name: name, columns: columns, steps: steps))
        }
        let remainder =
            try p["remainder"].map { n throws(PipelineSpecError) in try reader.string(n, at: field("remainder")) } ?? "drop"
        guard remainder == "drop" || remainder == "passthrough" else {
            throw reader.error("'\(remainder)' is not drop or passthrough", at: field("remainder"), p["remainder"])
        }
        return .columnTransformer(transformers: transformers, remainderPassthrough: remainder == "passthrough")
    }

    private func unique(_ values: [CategoryValue], at path: String, _ node: Node) throws(PipelineSpecError) {
        var seen = Set<CategoryValue>()
        for value in values where !seen.insert(value).inserted {
            throw reader.error("category \(value) is listed twice", at: path, node)
        }
    }
}
