import FeaturePipeline
import Testing

@Suite("step semantics on small data")
struct StepSemanticsTests {
    /// Runs `steps` (YAML) over the columns and returns the row-major FP64 output.
    func run(_ inputs: String, _ steps: String, _ columns: [ColumnData]) throws -> [Double] {
        let plan = try FeaturePlan(yaml: "inputs: \(inputs)\nsteps: \(steps)", file: "t.yaml")
        return try plan.transformRowMajor(ColumnBatch(rows: columns[0].count, columns: columns), as: Double.self)
    }

    @Test func scalersUseScikitLearnsOrderOfOperations() throws {
        let x = ColumnData.numbers([1, 5, .nan])
        let one = "[{name: x, type: float, nullable: true}]"
        let standard = try run(one, "[{type: standard_scaler, mean: [3], scale: [2]}]", [x])
        #expect(standard[0] == -1 && standard[1] == 1 && standard[2].isNaN)
        #expect(try run(one, "[{type: min_max_scaler, scale: [0.5], min: [-1], clip: true}]", [x]).prefix(2) == [0, 1])
        #expect(try run(one, "[{type: max_abs_scaler, scale: [5]}]", [x]).prefix(2) == [0.2, 1])
        #expect(
            try run(one, "[{type: simple_imputer, strategy: constant, statistics: [7]}, {type: clip, min: 2, max: 6}]", [x]) == [
                2, 5, 6,
            ])
    }

    @Test func normalizerAndPolynomialWorkRowByRow() throws {
        let two = "[{name: a, type: float}, {name: b, type: float}]"
        let columns: [ColumnData] = [.numbers([3, 0]), .numbers([4, 0])]
        #expect(try run(two, "[{type: normalizer, norm: l2}]", columns) == [0.6, 0.8, 0, 0])
        #expect(try run(two, "[{type: normalizer, norm: l1}]", columns) == [3.0 / 7, 4.0 / 7, 0, 0])
        #expect(try run(two, "[{type: polynomial_features, degree: 2}]", columns) == [1, 3, 4, 9, 12, 16, 1, 0, 0, 0, 0, 0])
        #expect(
            try run(two, "[{type: polynomial_features, degree: 2, interaction_only: true, include_bias: false}]", columns)
                == [3, 4, 12, 0, 0, 0])
    }

    @Test func oneHotHandlesDropInfrequentAndUnknowns() throws {
        let city = ColumnData.text(TextColumn(["a", "b", "c", "zz", nil]))
        let one = "[{name: c, type: string, nullable: true}]"
        // Frequent a, b; c grouped as infrequent; drop b.
        let infrequent =
            "[{type: one_hot_encoder, handle_unknown: infrequent_if_exist, features: [{categories: [a, b, c], infrequent: [c], drop: b}]}]"
        #expect(try run(one, infrequent, [city]) == [1, 0, 0, 0, 0, 1, 0, 1, 0, 1])
        let ignore = "[{type: one_hot_encoder, handle_unknown: ignore, features: [{categories: [a, b, null]}]}]"
        #expect(try run(one, ignore, [city]) == [1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        let strict = "[{type: one_hot_encoder, features: [{categories: [a, b, c]}]}]"
        #expect(
            throws: PipelineInputError(
                row: 3, column: "c", reason: "unknown category 'zz' (handle_unknown is error; known: 'a', 'b', 'c')")
        ) {
            try run(one, strict, [city])
        }
    }

    @Test func ordinalBinsAndHashing() throws {
        let city = ColumnData.text(TextColumn(["b", "zz", nil]))
        let ordinal =
            "[{type: ordinal_encoder, categories: [[a, b, null]], handle_unknown: use_encoded_value, unknown_value: -1, encoded_missing_value: -2}]"
        #expect(try run("[{name: c, type: string, nullable: true}]", ordinal, [city]) == [1, -1, -2])
        let bins = "[{type: kbins_discretizer, encode: ordinal, bin_edges: [[0, 1, 2, 3]]}]"
        #expect(try run("[{name: x, type: float}]", bins, [.numbers([-5, 0, 1, 1.5, 2, 9])]) == [0, 0, 1, 1, 2, 2])
        // scikit-learn: FeatureHasher(n_features=8, input_type="string").transform([["paris", "pro"], ["lyon", "free"]])
        let hashed = try run(
            "[{name: city, type: string}, {name: plan, type: string}]", "[{type: feature_hasher, n_features: 8}]",
            [.text(TextColumn(["paris", "lyon"])), .text(TextColumn(["pro", "free"]))])
        #expect(hashed == [0, 0, 0, 1, 0, 0, 1, 0, -1, 0, 0, 0, 0, 0, 1, 0])
    }

    @Test func badValuesNameTheRowAndTheColumn() {
        let inputs = "[{name: n, type: int}, {name: s, type: string}]"
        let steps =
            "[{type: column_transformer, transformers: [{columns: [n]}, {columns: [s], steps: [{type: ordinal_encoder, categories: [[a]]}]}]}]"
        #expect(throws: PipelineInputError(row: 1, column: "n", reason: "2.5 is not an integer (the column is int)")) {
            try run(inputs, steps, [.numbers([1, 2.5]), .text(TextColumn(["a", "a"]))])
        }
        #expect(throws: PipelineInputError(row: 0, column: "s", reason: "missing value, but the column is not nullable")) {
            try run(inputs, steps, [.numbers([1, 2]), .text(TextColumn([nil, "a"]))])
        }
    }
}
