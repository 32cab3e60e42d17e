import InferCLICore
import Testing

@Suite struct RowReaderTests {
    private func read(_ text: String, _ format: InputFormat, source: String = "rows") throws -> RowTable {
        try RowReader.read(Array(text.utf8), format: format, source: source)
    }

    @Test func csvCellsAreTyped() throws {
        let table = try read("x,name,flag\n1.5,setosa,true\n,\"a,b\",\n-2e1,7,nan\n", .csv)
        #expect(table.columnNames == ["x", "name", "flag"])
        #expect(table.rows[0] == [.number(1.5, literal: "1.5"), .text("setosa"), .text("true")])
        #expect(table.rows[1] == [.missing, .text("a,b"), .missing])
        #expect(table.rows[2][0] == .number(-20, literal: "-2e1"))
        #expect(table.rows[2][1] == .number(7, literal: "7"))
        // NaN never equals itself, so the NaN cell is checked by its parts.
        guard case .number(let value, "nan") = table.rows[2][2] else {
            Issue.record("nan should read as a number")
            return
        }
        #expect(value.isNaN)
    }

    @Test func hexadecimalAndOtherNonDecimalTextIsNotANumber() {
        #expect(Cell(csvField: "0x10") == .text("0x10"))
        #expect(Cell(csvField: "1,000") == .text("1,000"))
        #expect(Cell(csvField: "1-2") == .text("1-2"))
        #expect(Cell(csvField: " 3 ") == .number(3, literal: " 3 "))
        #expect(Cell(csvField: ".5") == .number(0.5, literal: ".5"))
    }

    @Test func raggedCsvRowNamesItsLine() {
        #expect(throws: InputError("rows.csv: line 3 has 2 fields, but the header has 3")) {
            try read("a,b,c\n1,2,3\n4,5\n", .csv, source: "rows.csv")
        }
    }

    @Test func emptyInputsAreRefused() {
        #expect(throws: InputError("rows.csv: the file is empty (a CSV file starts with a header row)")) {
            try read("", .csv, source: "rows.csv")
        }
        #expect(throws: InputError("stdin: no rows to send")) { try read("a,b\n", .csv, source: "-") }
        #expect(throws: InputError("rows.json: no rows to send")) { try read("[]", .json, source: "rows.json") }
    }

    @Test func jsonRecordsTakeColumnsInOrderOfAppearance() throws {
        let table = try read(#"[{"b": 1, "a": "x"}, {"a": null, "c": true}, {"b": ""}]"#, .json)
        #expect(table.columnNames == ["b", "a", "c"])
        #expect(
            table.rows == [
                [.number(1, literal: "1"), .text("x"), .missing],
                [.missing, .missing, .bool(true)],
                [.missing, .missing, .missing],
            ])
    }

    @Test func jsonArraysHaveNoNamesAndMustBeEven() throws {
        let table = try read("[[1, 2], [3, null]]", .json)
        #expect(table.columnNames == nil)
        #expect(table.columnCount == 2)
        #expect(table.rows[1] == [.number(3, literal: "3"), .missing])
        #expect(throws: InputError("rows.json: row 2 has 1 values, but row 1 has 2")) {
            try read("[[1, 2], [3]]", .json, source: "rows.json")
        }
    }

    @Test func jsonShapeErrors() {
        #expect(throws: InputError("r.json: row 2 is not an object, but row 1 is")) {
            try read(#"[{"a": 1}, [1]]"#, .json, source: "r.json")
        }
        #expect(throws: InputError("r.json: expected an array of rows (objects or arrays)")) {
            try read("3", .json, source: "r.json")
        }
        #expect(
            throws: InputError(
                "r.json: row 1, column \"a\": nested arrays and objects are not supported (use one value per cell)")
        ) {
            try read(#"[{"a": [1]}]"#, .json, source: "r.json")
        }
        #expect(throws: InputError("r.json: line 1, column 10: expected a member name in quotes")) {
            try read(#"[{"a": 1,}]"#, .json, source: "r.json")
        }
    }

    @Test func singleObjectIsOneRow() throws {
        #expect(try read(#"{"a": 2}"#, .json).rows == [[.number(2, literal: "2")]])
    }

    @Test func formatComesFromFlagExtensionOrFirstCharacter() throws {
        #expect(try InputFormat.resolve(explicit: "JSON", source: "x.csv", contents: []) == .json)
        #expect(try InputFormat.resolve(explicit: nil, source: "dir.v2/rows.CSV", contents: []) == .csv)
        #expect(try InputFormat.resolve(explicit: nil, source: "rows.json", contents: []) == .json)
        #expect(try InputFormat.resolve(explicit: nil, source: "-", contents: Array("\n  [1]".utf8)) == .json)
        #expect(try InputFormat.resolve(explicit: nil, source: "-", contents: Array("a,b\n".utf8)) == .csv)
        #expect(throws: InputError("unknown input format \"xml\": use csv or json")) {
            try InputFormat.resolve(explicit: "xml", source: "rows.xml", contents: [])
        }
        #expect(throws: InputError("rows.txt: cannot tell the format from the file name: add --format csv or --format json")) {
            try InputFormat.resolve(explicit: nil, source: "rows.txt", contents: [])
        }
    }

    @Test func gatewayAddresses() throws {
        #expect(try GatewayAddress(parsing: "127.0.0.1:8001") == GatewayAddress(host: "127.0.0.1", port: 8001))
        #expect(try GatewayAddress(parsing: "[::1]:9") == GatewayAddress(host: "::1", port: 9))
        #expect(GatewayAddress(host: "::1", port: 9).description == "[::1]:9")
        #expect(throws: InputError.self) { try GatewayAddress(parsing: "localhost") }
        #expect(throws: InputError.self) { try GatewayAddress(parsing: ":80") }
        #expect(throws: InputError.self) { try GatewayAddress(parsing: "h:70000") }
    }
}
