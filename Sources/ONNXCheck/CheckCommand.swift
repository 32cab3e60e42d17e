import ONNXEngine

/// onnx-check: runs a model with the native engine on rows from a CSV file and prints every
/// output as JSON, so scripts/export-model can compare the engine with the framework.
///   onnx-check MODEL.onnx --rows ROWS.csv [--input NAME]
public struct CheckCommand: Sendable, Equatable {
    public static let usage = """
        usage: onnx-check MODEL.onnx --rows ROWS.csv [--input NAME]
        Runs MODEL.onnx with the native engine on the rows (CSV without header, one row per line,
        empty or 'nan' for a missing value) fed as a float32 [rows, columns] tensor to the model's
        only input (or NAME), and prints the outputs as one JSON object.
        Exit status: 0 ran, 1 the model cannot be loaded or run on these rows, 2 usage or file errors.
        """

    public var model: String
    public var rows: String
    public var input: String?

    /// Parses the arguments (without the program name).
    public init(arguments: [String]) throws(CheckError) {
        var model: String?
        var rows: String?
        var input: String?
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--rows", "--input":
                guard let value = rest.popFirst() else { throw CheckError("\(argument) needs a value") }
                if argument == "--rows" { rows = value } else { input = value }
            case _ where argument.hasPrefix("-"):
                throw CheckError("unknown option \(argument)")
            default:
                guard model == nil else { throw CheckError("more than one model given ('\(model!)', '\(argument)')") }
                model = argument
            }
        }
        guard let model else { throw CheckError("no model given") }
        guard let rows else { throw CheckError("--rows is required") }
        self.model = model
        self.rows = rows
        self.input = input
    }

    /// What a run ends with: the text for standard output or error, and the exit status.
    public struct Outcome: Sendable, Equatable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Loads the model and rows, runs the engine and renders the outputs.
    public func run() -> Outcome {
        let rowsFile: RowsFile
        do {
            guard let text = readText(rows) else {
                return Outcome(status: 2, stdout: "", stderr: "onnx-check: cannot read \(rows)")
            }
            rowsFile = try RowsFile(text: text)
        } catch {
            return Outcome(status: 2, stdout: "", stderr: "onnx-check: \(rows): \(error.message)")
        }
        do {
            let loaded = try ONNXModel(contentsOfFile: model)
            let name = try inputName(loaded)
            let feeds = [name: Tensor(shape: [rowsFile.rows, rowsFile.columns], floats: rowsFile.values)]
            let outputs = try loaded.run(feeds)
            let json = try OutputsJSON.render(outputs, order: loaded.outputs.map(\.name))
            return Outcome(status: 0, stdout: json, stderr: "")
        } catch let error as ONNXError {
            return Outcome(status: 1, stdout: "", stderr: "onnx-check: \(model): \(error.message)")
        } catch let error as CheckError {
            return Outcome(status: 1, stdout: "", stderr: "onnx-check: \(model): \(error.message)")
        } catch {
            return Outcome(status: 1, stdout: "", stderr: "onnx-check: \(model): \(error)")
        }
    }

    func inputName(_ model: ONNXModel) throws(CheckError) -> String {
        if let input {
            guard model.inputs.contains(where: { $0.name == input }) else {
                throw CheckError(
                    "the model has no input '\(input)' (inputs: \(model.inputs.map(\.name).joined(separator: ", ")))")
            }
            return input
        }
        guard model.inputs.count == 1, let only = model.inputs.first else {
            throw CheckError("the model has \(model.inputs.count) inputs: name one with --input")
        }
        return only.name
    }
}

/// A whole text file, or nil when it cannot be read.
func readText(_ path: String) -> String? {
    guard let bytes = try? readFile(path, maxBytes: .max) else { return nil }
    return String(decoding: bytes, as: UTF8.self)
}
