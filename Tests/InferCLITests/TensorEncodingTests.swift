import InferCLICore
import InferenceAPI
import Testing

/// Little-endian bytes of the values, written out by hand so the test does not trust the code under test.
private let fp64OnePointFive: [UInt8] = [0, 0, 0, 0, 0, 0, 0xF8, 0x3F]
private let fp64MinusTwo: [UInt8] = [0, 0, 0, 0, 0, 0, 0x00, 0xC0]
private let fp64NaN: [UInt8] = [0, 0, 0, 0, 0, 0, 0xF8, 0x7F]
private let fp64One: [UInt8] = [0, 0, 0, 0, 0, 0, 0xF0, 0x3F]
private let fp64Zero: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0]
private let fp32OnePointFive: [UInt8] = [0, 0, 0xC0, 0x3F]
private let fp32MinusTwo: [UInt8] = [0, 0, 0x00, 0xC0]
private let fp32NaN: [UInt8] = [0, 0, 0xC0, 0x7F]
private let fp32Three: [UInt8] = [0, 0, 0x40, 0x40]

@Suite struct TensorEncodingTests {
    private func table(_ csv: String) throws -> RowTable {
        try RowReader.read(Array(csv.utf8), format: .csv, source: "rows.csv")
    }

    @Test func columnsModeTypesEachColumn() throws {
        let rows = try table("x,species,mixed\n1.5,setosa,3\n,,oops\n-2,versicolor,\n")
        let tensors = try TensorEncoding().tensors(for: rows)
        #expect(tensors.map(\.name) == ["x", "species", "mixed"])
        #expect(tensors.map(\.datatype) == [.fp64, .bytes, .bytes])
        #expect(tensors.map(\.shape) == [[3], [3], [3]])
        #expect(tensors[0].data == fp64OnePointFive + fp64NaN + fp64MinusTwo)
        // BYTES: a 4-byte little-endian length before each element; empty means missing.
        #expect(
            tensors[1].data == [6, 0, 0, 0] + Array("setosa".utf8) + [0, 0, 0, 0] + [10, 0, 0, 0] + Array("versicolor".utf8))
        // A number in a text column keeps its spelling.
        #expect(tensors[2].data == [1, 0, 0, 0] + Array("3".utf8) + [4, 0, 0, 0] + Array("oops".utf8) + [0, 0, 0, 0])
        for tensor in tensors { try tensor.validate() }
    }

    @Test func columnsModeHonoursFP32() throws {
        let tensors = try TensorEncoding(numberType: .fp32).tensors(for: try table("x\n1.5\n\n-2\n"))
        // The blank line is skipped as pandas does, so two rows remain.
        #expect(tensors[0].datatype == .fp32)
        #expect(tensors[0].shape == [2])
        #expect(tensors[0].data == fp32OnePointFive + fp32MinusTwo)
    }

    @Test func jsonBooleansBecomeBoolOrNumbers() throws {
        let rows = try RowReader.read(
            Array(#"[{"flag": true, "maybe": false, "n": 1}, {"flag": false, "maybe": null, "n": true}]"#.utf8),
            format: .json, source: "rows.json")
        let tensors = try TensorEncoding().tensors(for: rows)
        #expect(tensors.map(\.datatype) == [.bool, .fp64, .fp64])
        #expect(tensors[0].data == [1, 0])
        #expect(tensors[1].data == fp64Zero + fp64NaN)
        #expect(tensors[2].data == fp64One + fp64One)
    }

    @Test func matrixModeIsRowMajorFP32ByDefault() throws {
        let rows = try table("a,b\n1.5,-2\n,3\n")
        let tensors = try TensorEncoding(layout: .matrix).tensors(for: rows)
        #expect(tensors.count == 1)
        #expect(tensors[0].name == "X")
        #expect(tensors[0].datatype == .fp32)
        #expect(tensors[0].shape == [2, 2])
        #expect(tensors[0].data == fp32OnePointFive + fp32MinusTwo + fp32NaN + fp32Three)
    }

    @Test func matrixModeWithNameAndFP64FromJsonArrays() throws {
        let rows = try RowReader.read(Array("[[1.5], [-2]]".utf8), format: .json, source: "rows.json")
        let tensor = try TensorEncoding(layout: .matrix, tensorName: "input", numberType: .fp64).tensors(for: rows)[0]
        #expect(tensor.name == "input")
        #expect(tensor.shape == [2, 1])
        #expect(tensor.data == fp64OnePointFive + fp64MinusTwo)
    }

    @Test func matrixModeRefusesText() {
        #expect(throws: InputError("row 2, column \"b\": \"abc\" is not a number (--as matrix sends numbers only)")) {
            try TensorEncoding(layout: .matrix).tensors(for: try table("a,b\n1,2\n3,abc\n"))
        }
    }

    @Test func columnsModeNeedsUniqueNames() throws {
        #expect(throws: InputError("column \"a\" appears twice")) { try TensorEncoding().tensors(for: try table("a,a\n1,2\n")) }
        #expect(throws: InputError("column 2 has no name in the header")) {
            try TensorEncoding().tensors(for: try table("a,\n1,2\n"))
        }
        let arrays = try RowReader.read(Array("[[1]]".utf8), format: .json, source: "rows.json")
        #expect(throws: InputError("the rows are arrays without column names: use --as matrix, or write objects or a CSV header"))
        {
            try TensorEncoding().tensors(for: arrays)
        }
    }

    @Test func requestCarriesTargetAndRoutingKey() throws {
        let target = InferTarget(model: "iris", version: "2", id: "req-1", routingKey: "user-7")
        let request = try target.request(for: try table("x\n1.5\n"), encoding: TensorEncoding())
        #expect(request.modelName == "iris")
        #expect(request.modelVersion == "2")
        #expect(request.id == "req-1")
        #expect(request.parameters == ["routing_key": .string("user-7")])
        #expect(request.inputs == [InferTensor(name: "x", datatype: .fp64, shape: [1], data: fp64OnePointFive)])
    }
}
