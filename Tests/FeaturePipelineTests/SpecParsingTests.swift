import FeaturePipeline
import Testing

@Suite("pipeline spec parsing and validation")
struct SpecParsingTests {
    /// The error of compiling `yaml` as file `p.yaml`.
    func error(_ yaml: String) -> String {
        do {
            _ = try FeaturePlan(yaml: yaml, file: "p.yaml")
            return "no error"
        } catch {
            return error.message
        }
    }

    @Test func aFullSpecParses() throws {
        let spec = try PipelineSpec(
            yaml: """
                name: p
                version: 3
                inputs:
                  - {name: a, type: float, nullable: true}
                  - {name: c, type: string}
                output: {name: features, dtype: fp64}
                steps:
                  - type: column_transformer
                    name: prep
                    transformers:
                      - {name: num, columns: [a], steps: [{type: standard_scaler, mean: [1], scale: [2]}]}
                      - name: cat
                        columns: [c]
                        steps: [{type: one_hot_encoder, handle_unknown: ignore, features: [{categories: [x, "1", null], drop: x}]}]
                """, file: "dir/p.yaml")
        #expect(spec.name == "p")
        #expect(spec.version == 3)
        #expect(spec.inputs == [InputColumn(name: "a", type: .float, nullable: true), InputColumn(name: "c", type: .string)])
        #expect(spec.output == OutputSpec(name: "features", dtype: .fp64))
        guard case .columnTransformer(let transformers, false) = spec.steps.first?.kind else {
            Issue.record("not a column transformer: \(spec.steps)")
            return
        }
        #expect(transformers.map(\.name) == ["num", "cat"])
        #expect(
            transformers[1].steps.first?.kind
                == .oneHotEncoder(
                    handleUnknown: .ignore,
                    features: [Step.OneHotFeature(categories: [.text("x"), .text("1"), .missing], drop: .text("x"))]))
        #expect(try FeaturePlan(compiling: spec, file: "p.yaml").featureCount == 3)
    }

    @Test func errorsNameTheFileTheStepAndTheField() {
        let inputs = "inputs: [{name: a, type: float}, {name: b, type: float}]\n"
        #expect(
            error(inputs + "steps: [{type: standard_scaler, mean: [1], scale: [1, 2]}]")
                == "p.yaml: steps[0] (standard_scaler): mean has 1 values, but the step receives 2 columns (a, b)")
        #expect(
            error(inputs + "steps: [{type: min_max_scaler, name: mm, scale: [1, x], min: [0, 0]}]")
                .hasPrefix("p.yaml: steps[0] 'mm' (min_max_scaler): scale[1]: must be a number (line 2"))
        #expect(
            error(inputs + "steps: [{type: standard_scalar}]").hasPrefix("p.yaml: steps[0]: unknown step type 'standard_scalar'"))
        #expect(
            error(inputs + "steps: [{type: normalizer, norm: l3}]")
                .hasPrefix("p.yaml: steps[0] (normalizer): norm: 'l3' is not one of l1, l2, max"))
        #expect(
            error(inputs + "steps: [{type: binarizer, treshold: 1}]")
                .hasPrefix("p.yaml: steps[0] (binarizer): unknown key 'treshold' (known keys: type, name, threshold)"))
        #expect(
            error(inputs + "steps: [{type: max_abs_scaler, scale: [1, 0]}]") == "p.yaml: steps[0] (max_abs_scaler): scale[1] is 0"
        )
        #expect(
            error("inputs: [{name: a, type: float}, {name: a, type: int}]\nsteps: []").hasPrefix(
                "p.yaml: inputs[1]: column 'a' is listed twice"))
        #expect(error("name: other\n" + inputs + "steps: []").hasPrefix("p.yaml: name: 'other' differs from the file name 'p'"))
        #expect(
            error("inputs: [{name: a, type: decimal}]\nsteps: []").hasPrefix(
                "p.yaml: inputs[0].type: 'decimal' is not one of float, int, string, bool, any"))
        #expect(error("steps: []").hasPrefix("p.yaml: top level: missing required key 'inputs'"))
        #expect(error("inputs: [unclosed").hasPrefix("p.yaml: not valid YAML"))
        #expect(error("").hasPrefix("p.yaml: the file is empty"))
    }

    @Test func stepsAreCheckedAgainstTheColumnsTheyReceive() {
        let inputs = "inputs: [{name: n, type: float}, {name: s, type: string}, {name: u, type: any}]\n"
        #expect(
            error(
                inputs
                    + "steps: [{type: column_transformer, transformers: [{columns: [s], steps: [{type: standard_scaler, mean: [0], scale: [1]}]}]}]"
            )
                == "p.yaml: steps[0] (column_transformer): transformers[0] '0'.steps[0] (standard_scaler): needs numbers, but column 's' is text (encode it first)"
        )
        #expect(
            error(inputs + "steps: [{type: column_transformer, transformers: [{columns: [s]}]}]")
                == "p.yaml: the output still holds text column 's'; encode it (one_hot_encoder, ordinal_encoder, feature_hasher) or drop it"
        )
        #expect(
            error(inputs + "steps: [{type: column_transformer, transformers: [{columns: [nope]}]}]")
                .contains("selects column 'nope', which is not one of n, s, u"))
        #expect(
            error(inputs + "steps: [{type: column_transformer, transformers: [{columns: [u], steps: [{type: clip, min: 0}]}]}]")
                .contains("reads column 'u', whose type is any"))
        #expect(
            error(
                inputs
                    + "steps: [{type: column_transformer, transformers: [{columns: [s], steps: [{type: ordinal_encoder, categories: [[1, 2]]}]}]}]"
            )
            .contains("categories[0] has the number 1, but column 's' is text"))
        #expect(
            error(
                inputs
                    + "steps: [{type: column_transformer, transformers: [{columns: [n], steps: [{type: simple_imputer, strategy: constant, statistics: [x]}]}]}]"
            )
            .contains("statistics[0] is text 'x', but column 'n' holds numbers"))
        #expect(
            error(inputs + "steps: [{type: column_transformer, transformers: [{columns: [n]}], remainder: passthrough}]")
                .contains("the output still holds column 'u' of type any"))
    }
}
