/// One step of a pipeline with its fitted parameters; the YAML spelling is `type:` plus the keys
/// listed on each case (an optional `name:` labels the step in errors).
public struct Step: Sendable, Hashable {
    /// Optional label (the scikit-learn step name), used in error messages.
    public var name: String?
    public var kind: Kind

    public init(name: String? = nil, _ kind: Kind) {
        self.name = name
        self.kind = kind
    }

    public enum Kind: Sendable, Hashable {
        /// `standard_scaler`: `mean` (list or null when with_mean is false), `scale` (list or null
        /// when with_std is false); x → (x − mean) / scale.
        case standardScaler(mean: [Double]?, scale: [Double]?)
        /// `min_max_scaler`: `scale`, `min`, `feature_range: [lo, hi]`, `clip`; x → x·scale + min,
        /// then clipped to feature_range when clip is true.
        case minMaxScaler(scale: [Double], min: [Double], featureRange: ClosedRange<Double>, clip: Bool)
        /// `robust_scaler`: `center` (or null), `scale` (or null); x → (x − center) / scale.
        case robustScaler(center: [Double]?, scale: [Double]?)
        /// `max_abs_scaler`: `scale`; x → x / scale.
        case maxAbsScaler(scale: [Double])
        /// `normalizer`: `norm: l1 | l2 | max`; each row divided by its norm (a zero norm leaves it).
        case normalizer(Norm)
        /// `simple_imputer`: `strategy`, `statistics` (one fill value per column: number or text;
        /// null drops the column, as scikit-learn does for columns empty at fit), optional
        /// `indicator_features` (column indices that get a 0/1 missing indicator appended).
        case simpleImputer(strategy: ImputerStrategy, statistics: [CategoryValue?], indicatorFeatures: [Int])
        /// `one_hot_encoder`: `handle_unknown: error | ignore | infrequent_if_exist`, `features`:
        /// per column `categories`, optional `drop` (a category) and `infrequent` (categories
        /// sharing one last column).
        case oneHotEncoder(handleUnknown: UnknownCategory, features: [OneHotFeature])
        /// `ordinal_encoder`: `categories` per column, `handle_unknown: error | use_encoded_value`,
        /// `unknown_value`, `encoded_missing_value` (default .nan).
        case ordinalEncoder(categories: [[CategoryValue]], unknownValue: Double?, encodedMissingValue: Double)
        /// `binarizer`: `threshold`; x → 1 when x > threshold, else 0.
        case binarizer(threshold: Double)
        /// `function_transformer`: `function` (log1p, expm1, log, exp, sqrt, abs, square,
        /// reciprocal, identity).
        case function(ElementFunction)
        /// `clip`: `min`, `max` (numbers or null); numpy.clip.
        case clip(min: Double?, max: Double?)
        /// `kbins_discretizer`: `encode: ordinal | onehot | onehot-dense`, `bin_edges` per column.
        case kBinsDiscretizer(binEdges: [[Double]], oneHot: Bool)
        /// `polynomial_features`: `degree` (1…3), `interaction_only`, `include_bias`.
        case polynomialFeatures(degree: Int, interactionOnly: Bool, includeBias: Bool)
        /// `feature_hasher`: `n_features`, `alternate_sign`; each row's text values are its tokens
        /// (scikit-learn's FeatureHasher with input_type string over rows of values).
        case featureHasher(features: Int, alternateSign: Bool)
        /// `column_transformer`: `transformers` (each `name`, `columns`, `steps`; no steps is
        /// passthrough), `remainder: drop | passthrough`; outputs are concatenated in order.
        case columnTransformer(transformers: [Transformer], remainderPassthrough: Bool)
    }

    /// The YAML `type:` of this step.
    public var typeName: String {
        switch kind {
        case .standardScaler: "standard_scaler"
        case .minMaxScaler: "min_max_scaler"
        case .robustScaler: "robust_scaler"
        case .maxAbsScaler: "max_abs_scaler"
        case .normalizer: "normalizer"
        case .simpleImputer: "simple_imputer"
        case .oneHotEncoder: "one_hot_encoder"
        case .ordinalEncoder: "ordinal_encoder"
        case .binarizer: "binarizer"
        case .function: "function_transformer"
        case .clip: "clip"
        case .kBinsDiscretizer: "kbins_discretizer"
        case .polynomialFeatures: "polynomial_features"
        case .featureHasher: "feature_hasher"
        case .columnTransformer: "column_transformer"
        }
    }

    public enum Norm: String, Sendable, Hashable, CaseIterable { case l1, l2, max }

    public enum ImputerStrategy: String, Sendable, Hashable, CaseIterable {
        case mean, median
        case mostFrequent = "most_frequent"
        case constant
    }

    public enum UnknownCategory: String, Sendable, Hashable, CaseIterable {
        case error, ignore
        case infrequentIfExist = "infrequent_if_exist"
    }

    /// One column of a one-hot encoder.
    public struct OneHotFeature: Sendable, Hashable {
        public var categories: [CategoryValue]
        /// The category whose output column is left out (when infrequent, the infrequent column).
        public var drop: CategoryValue?
        /// Categories grouped into one column after the frequent ones.
        public var infrequent: [CategoryValue]

        public init(categories: [CategoryValue], drop: CategoryValue? = nil, infrequent: [CategoryValue] = []) {
            self.categories = categories
            self.drop = drop
            self.infrequent = infrequent
        }
    }

    /// One entry of a column transformer.
    public struct Transformer: Sendable, Hashable {
        public var name: String
        public var columns: [ColumnReference]
        /// Applied in order to the selected columns; empty means passthrough.
        public var steps: [Step]

        public init(name: String, columns: [ColumnReference], steps: [Step]) {
            self.name = name
            self.columns = columns
            self.steps = steps
        }
    }
}
