import InferCLICore
import JSONDocument
import Testing

@Suite struct JSONTests {
    private func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test func parsesEveryKindKeepingMemberOrder() throws {
        let value = try parse(#" {"z": 1, "a": [true, false, null], "m": "x\"\u00e9\ud83d\ude00", "n": -2.5e3} "#)
        #expect(
            value
                == .object([
                    JSONMember("z", .number("1")),
                    JSONMember("a", .array([.bool(true), .bool(false), .null])),
                    JSONMember("m", .string("x\"é😀")),
                    JSONMember("n", .number("-2.5e3")),
                ]))
    }

    @Test func errorsGiveLineAndColumn() {
        #expect(throws: JSONSyntaxError("line 2, column 9: expected ',' or '}' in an object")) {
            try parse("{\"a\": 1,\n \"b\": 2 \"c\": 3}")
        }
        #expect(throws: JSONSyntaxError("line 1, column 1: a number must not start with 0")) { try parse("01") }
        #expect(throws: JSONSyntaxError("line 1, column 1: a string is not closed")) { try parse("\"abc") }
        #expect(throws: JSONSyntaxError("line 1, column 5: unexpected text after the JSON document")) { try parse("[1] 2") }
        #expect(throws: JSONSyntaxError("line 1, column 2: expected a value")) { try parse("[nul]") }
    }

    @Test func deepNestingIsRefused() {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: JSONSyntaxError.self) { try parse(deep) }
    }

    @Test func writesCompactAndPretty() {
        let value = JSONValue.members([
            "name": .string("a\"b\n\u{01}"),
            "shape": .array([.int(2), .int(3)]),
            "data": .array([.float(0.1), .double(.nan), .double(-.infinity), .int(Int64.max)]),
            "empty": .array([]),
            "nested": .array([.members(["k": .bool(true)])]),
        ])
        #expect(
            value.compactText
                == #"{"name":"a\"b\n\u0001","shape":[2,3],"data":[0.1,"NaN","-Infinity",9223372036854775807],"empty":[],"nested":[{"k":true}]}"#
        )
        #expect(
            value.prettyText == """
                {
                  "name": "a\\"b\\n\\u0001",
                  "shape": [2, 3],
                  "data": [0.1, "NaN", "-Infinity", 9223372036854775807],
                  "empty": [],
                  "nested": [
                    {
                      "k": true
                    }
                  ]
                }
                """)
    }
}
