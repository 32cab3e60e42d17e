/// A preprocessing pipeline read from one `NAME.yaml` file: raw input columns, an ordered list of
/// fitted steps with scikit-learn's semantics, and the output tensor they produce.
///
/// ```yaml
/// name: iris-features            # optional; must equal the file name without .yaml when given
/// version: 1                     # positive integer, default 1
/// inputs:                        # the raw columns callers send, in DataFrame order
///   - {name: sepal_length, type: float, nullable: true}   # float, int, string, bool or any (unread)
/// output: {name: X, dtype: FP32} # optional; FP32 or FP64, default X / FP32
/// steps:                         # applied in order to the columns (a scikit-learn Pipeline)
///   - type: column_transformer
///     transformers:
///       - name: num
///         columns: [sepal_length]             # input names, or indices once names are gone
///         steps:
///           - {type: simple_imputer, strategy: mean, statistics: [5.843]}
///           - {type: standard_scaler, mean: [5.843], scale: [0.825]}
///     remainder: drop                         # or passthrough
/// ```
///
/// Every step's fitted parameters are stored in the spec (see `Step` for each step's keys), so
/// running the spec reproduces the fitted transformer's `transform`.
public struct PipelineSpec: Sendable, Hashable {
    public var name: String
    public var version: Int
    public var inputs: [InputColumn]
    public var output: OutputSpec
    public var steps: [Step]

    public init(name: String, version: Int = 1, inputs: [InputColumn], output: OutputSpec = OutputSpec(), steps: [Step]) {
        self.name = name
        self.version = version
        self.inputs = inputs
        self.output = output
        self.steps = steps
    }
}

/// The type of a raw input column.
public enum ColumnType: String, Sendable, Hashable, CaseIterable {
    case float, int, string, bool
    /// A column the transformer was fitted with but no step reads (a dropped column): callers
    /// may send it with any datatype, and its values are ignored.
    case any
}

/// One raw column callers send.
public struct InputColumn: Sendable, Hashable {
    public var name: String
    public var type: ColumnType
    /// Whether a value may be missing (NaN, an empty BYTES element, JSON null or an absent key).
    public var nullable: Bool

    public init(name: String, type: ColumnType, nullable: Bool = false) {
        self.name = name
        self.type = type
        self.nullable = nullable
    }
}

/// The element type of the output tensor.
public enum OutputType: String, Sendable, Hashable {
    case fp32 = "FP32"
    case fp64 = "FP64"
}

/// The single output tensor, `[rows, features]`.
public struct OutputSpec: Sendable, Hashable {
    public var name: String
    public var dtype: OutputType

    public init(name: String = "X", dtype: OutputType = .fp32) {
        self.name = name
        self.dtype = dtype
    }
}

/// A category value of an encoder: text, a number (ints and bools are numbers), or missing.
public enum CategoryValue: Sendable, Hashable, CustomStringConvertible {
    case text(String)
    case number(Double)
    case missing

    public var description: String {
        switch self {
        case .text(let text): "'\(text)'"
        case .number(let number): number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : "\(number)"
        case .missing: "missing"
        }
    }
}

/// Columns picked by a column transformer: names (of raw inputs) or positions.
public enum ColumnReference: Sendable, Hashable, CustomStringConvertible {
    case name(String)
    case index(Int)

    public var description: String {
        switch self {
        case .name(let name): "'\(name)'"
        case .index(let index): "\(index)"
        }
    }
}

/// Elementwise functions of `function_transformer` (numpy's ufunc of the same name).
public enum ElementFunction: String, Sendable, Hashable, CaseIterable {
    case identity, log1p, expm1, log, exp, sqrt, abs, square, reciprocal
}
