import ONNXCheck
import Testing

@Suite("onnx-check rows file")
struct RowsFileTests {
    @Test func readsRowsWithMissingValues() throws {
        let file = try RowsFile(text: "1.5,,nan\r\n-2,3e-1, 4 \n\n")
        #expect(file.rows == 2)
        #expect(file.columns == 3)
        #expect(file.values[0] == 1.5)
        #expect(file.values[1].isNaN && file.values[2].isNaN)
        #expect(Array(file.values[3...]) == [-2, 0.3, 4])
    }

    @Test func refusesRaggedRowsAndText() {
        #expect(throws: CheckError("line 2 has 1 values, the first row has 2")) { try RowsFile(text: "1,2\n3\n") }
        #expect(throws: CheckError("line 1, value 2: 'abc' is not a number")) { try RowsFile(text: "1,abc\n") }
        #expect(throws: CheckError("the rows file holds no rows")) { try RowsFile(text: "\n") }
    }

    @Test func parsesArguments() throws {
        let command = try CheckCommand(arguments: ["m.onnx", "--rows", "r.csv", "--input", "X"])
        #expect(command.model == "m.onnx" && command.rows == "r.csv" && command.input == "X")
        #expect(throws: CheckError("--rows is required")) { try CheckCommand(arguments: ["m.onnx"]) }
        #expect(throws: CheckError("no model given")) { try CheckCommand(arguments: ["--rows", "r.csv"]) }
        #expect(throws: CheckError("unknown option --fast")) { try CheckCommand(arguments: ["m.onnx", "--fast"]) }
        #expect(throws: CheckError("--input needs a value")) { try CheckCommand(arguments: ["m.onnx", "--input"]) }
    }
}
