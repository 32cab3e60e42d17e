import InferCLICore
import Testing

@Suite struct CSVReaderTests {
    private func fields(_ text: String) throws -> [[String]] {
        try CSVReader.records(Array(text.utf8)).map(\.fields)
    }

    @Test func plainFieldsAndTrailingNewline() throws {
        #expect(try fields("a,b,c\n1,2,3\n") == [["a", "b", "c"], ["1", "2", "3"]])
        #expect(try fields("a,b\n1,2") == [["a", "b"], ["1", "2"]])
    }

    @Test func quotedFieldsHoldCommasQuotesAndLineBreaks() throws {
        let text = "name,note\n\"Smith, J\",\"said \"\"hi\"\"\"\n\"two\nlines\",x\n"
        #expect(try fields(text) == [["name", "note"], ["Smith, J", "said \"hi\""], ["two\nlines", "x"]])
    }

    @Test func emptyCellsStayEmpty() throws {
        #expect(try fields("a,b,c\n,2,\n\"\",,3\n") == [["a", "b", "c"], ["", "2", ""], ["", "", "3"]])
    }

    @Test func crlfAndBlankLinesAndByteOrderMark() throws {
        let records = try CSVReader.records([0xEF, 0xBB, 0xBF] + Array("a,b\r\n1,2\r\n\r\n3,4\r\n".utf8))
        #expect(records.map(\.fields) == [["a", "b"], ["1", "2"], ["3", "4"]])
        #expect(records.map(\.line) == [1, 2, 4])
    }

    @Test func recordLinesCountLineBreaksInsideQuotes() throws {
        let records = try CSVReader.records(Array("a\n\"x\ny\"\nz\n".utf8))
        #expect(records.map(\.line) == [1, 2, 4])
    }

    @Test func unclosedQuoteNamesItsLine() {
        #expect(throws: InputError("line 2: a quoted field is not closed")) {
            try CSVReader.records(Array("a,b\n\"open,1\n".utf8))
        }
    }

    @Test func textAfterClosingQuoteIsRefused() {
        #expect(throws: InputError("line 1: unexpected text after the closing quote of a field")) {
            try CSVReader.records(Array("\"a\"b,c\n".utf8))
        }
        #expect(throws: InputError("line 1: a quote inside an unquoted field (quote the whole field and double the quote)")) {
            try CSVReader.records(Array("a\"b,c\n".utf8))
        }
    }
}
