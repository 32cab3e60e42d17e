import Foundation
import InferenceAPI
import JSONEscaping
import RPCCore
import Testing

@testable import RESTFront

@Suite("KServe V2 JSON tensors")
struct InferenceJSONTests {
    private func request(_ json: String, tail: [UInt8] = []) throws(RPCError) -> (InferRequest, InferenceJSON.BinaryOutputs) {
        let header = Array(json.utf8)
        return try InferenceJSON.request(
            body: header + tail, headerLength: tail.isEmpty ? nil : header.count, model: "m", version: "")
    }

    private func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
    }

    @Test func everyDatatypeFromJSON() throws {
        let cases: [(String, String, [UInt8])] = [
            ("BOOL", "[true, false]", [1, 0]),
            ("UINT8", "[0, 255]", [0, 255]),
            ("INT8", "[-128, 127]", [0x80, 0x7F]),
            ("INT16", "[-2, 300]", littleEndian([Int16(-2), 300])),
            ("UINT16", "[65535, 1]", littleEndian([UInt16(65535), 1])),
            ("INT32", "[-70000, 5]", littleEndian([Int32(-70000), 5])),
            ("UINT32", "[4294967295, 0]", littleEndian([UInt32.max, 0])),
            ("INT64", "[-9007199254740993, 7]", littleEndian([Int64(-9_007_199_254_740_993), 7])),
            ("UINT64", "[18446744073709551615, 0]", littleEndian([UInt64.max, 0])),
            ("FP32", "[1.5, -2]", littleEndian([Float(1.5).bitPattern, Float(-2).bitPattern])),
            ("FP64", "[0.1, 3]", littleEndian([Double(0.1).bitPattern, Double(3).bitPattern])),
            ("FP16", "[1, -0.5]", littleEndian([Float16(1).bitPattern, Float16(-0.5).bitPattern])),
            ("BF16", "[1, -2]", littleEndian([UInt16(0x3F80), 0xC000])),
        ]
        for (datatype, data, bytes) in cases {
            let (parsed, _) = try request(
                #"{"inputs": [{"name": "x", "shape": [2], "datatype": "\#(datatype)", "data": \#(data)}]}"#)
            #expect(parsed.inputs[0].data == bytes, "\(datatype)")
            #expect(parsed.inputs[0].datatype.rawValue == datatype)
        }
    }

    @Test func nestedDataBytesAndParameters() throws {
        let (parsed, binary) = try request(
            """
            {"id": "r1", "parameters": {"routing_key": "u1", "binary_data_output": true, "n": 3, "f": 0.5},
             "inputs": [{"name": "x", "shape": [2, 2], "datatype": "INT32", "data": [[1, 2], [3, 4]]},
                        {"name": "s", "shape": [2], "datatype": "BYTES", "data": ["hé", ""], "parameters": {"p": "v"}}],
             "outputs": [{"name": "y", "parameters": {"binary_data": false, "k": 1}}]}
            """)
        #expect(parsed.id == "r1" && parsed.modelName == "m")
        #expect(parsed.parameters == ["routing_key": .string("u1"), "n": .int64(3), "f": .double(0.5)])
        #expect(parsed.inputs[0].data == littleEndian([Int32(1), 2, 3, 4]))
        #expect(try parsed.inputs[1].bytesElements() == [Array("hé".utf8), []])
        #expect(parsed.inputs[1].parameters == ["p": .string("v")])
        #expect(parsed.outputs == [RequestedOutput(name: "y", parameters: ["k": .int64(1)])])
        #expect(binary.wants("y") == false && binary.wants("z") == true)
    }

    @Test func binaryInputsComeFromTheTail() throws {
        let floats = littleEndian([Float(1).bitPattern, Float(2).bitPattern])
        let strings: [UInt8] = littleEndian([UInt32(2)]) + Array("ab".utf8)
        let (parsed, _) = try request(
            """
            {"inputs": [{"name": "x", "shape": [2], "datatype": "FP32", "parameters": {"binary_data_size": 8}},
                        {"name": "s", "shape": [1], "datatype": "BYTES", "parameters": {"binary_data_size": 6}}]}
            """, tail: floats + strings)
        #expect(parsed.inputs[0].data == floats && parsed.inputs[0].parameters.isEmpty)
        #expect(try parsed.inputs[1].bytesElements() == [Array("ab".utf8)])
    }

    @Test func responsesInJSONAndBinary() throws {
        let response = InferResponse(
            modelName: "m", modelVersion: "2", id: "r1",
            outputs: [
                InferTensor(name: "label", datatype: .int64, shape: [2], data: littleEndian([Int64(0), 2])),
                InferTensor(
                    name: "p", datatype: .fp32, shape: [1, 2], data: littleEndian([Float(0.25).bitPattern, Float.nan.bitPattern])),
                InferTensor(name: "s", shape: [1], bytesElements: [Array("a\"b".utf8)]),
            ])
        let (json, length) = try InferenceJSON.response(response, binary: InferenceJSON.BinaryOutputs())
        #expect(length == nil)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        #expect(
            object["model_name"] as? String == "m" && object["model_version"] as? String == "2" && object["id"] as? String == "r1"
        )
        let outputs = try #require(object["outputs"] as? [[String: Any]])
        #expect(outputs[0]["data"] as? [Int] == [0, 2] && outputs[0]["shape"] as? [Int] == [1 * 2])
        // JSON has no NaN: it goes out as null.
        #expect((outputs[1]["data"] as? [Any])?.count == 2 && (outputs[1]["data"] as? [Any])?[1] is NSNull)
        #expect(outputs[2]["data"] as? [String] == ["a\"b"])

        let (body, headerLength) = try InferenceJSON.response(
            response, binary: InferenceJSON.BinaryOutputs(all: false, named: ["label": true]))
        let header = try #require(headerLength)
        let head = try #require(try JSONSerialization.jsonObject(with: Data(body[0..<header])) as? [String: Any])
        let first = try #require((head["outputs"] as? [[String: Any]])?.first)
        #expect(first["data"] == nil && (first["parameters"] as? [String: Any])?["binary_data_size"] as? Int == 16)
        #expect(Array(body[header...]) == littleEndian([Int64(0), 2]))
    }

    @Test func badRequestsNameWhatIsWrong() {
        func message(_ json: String, tail: [UInt8] = []) -> String {
            do {
                _ = try request(json, tail: tail)
                return "accepted"
            } catch {
                #expect(error.code == .invalidArgument, "\(error)")
                return error.message
            }
        }
        #expect(message("[1]").contains("must be a JSON object"))
        #expect(
            message(#"{"inputs": [{"name": "x", "shape": [2], "datatype": "INT8", "data": [1, 200]}]}"#)
                .contains("element 1 is the number 200; INT8 needs an integer in its range"))
        #expect(
            message(#"{"inputs": [{"name": "x", "shape": [1], "datatype": "INT32", "data": [1.5]}]}"#)
                .contains("INT32 needs an integer"))
        #expect(
            message(#"{"inputs": [{"name": "x", "shape": [1], "datatype": "BOOL", "data": [1]}]}"#)
                .contains("BOOL needs true or false"))
        #expect(
            message(#"{"inputs": [{"name": "x", "shape": [2], "datatype": "FP32", "data": [1, 2, 3]}]}"#)
                .contains("more elements in data than its shape needs (2)"))
        #expect(
            message(#"{"inputs": [{"name": "x", "shape": [-1], "datatype": "FP32", "data": []}]}"#)
                .contains("negative dimension"))
        #expect(
            message(#"{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32"}]}"#)
                .contains("neither data nor binary_data_size"))
        #expect(
            message(#"{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]}"#, tail: [1, 2])
                .contains("2 bytes of binary data that no input claims"))
    }

    @Test func bytesWriterMatchesTheStringForm() {
        for text in ["", "plain", "a\"b\\c", "tab\tnew\nline\r", "\u{01}\u{1F}", "héllo 😀"] {
            var json = JSONBytes(capacity: 0)
            json.string(text)
            #expect(json.bytes == Array(JSONString.quoted(text).utf8), "\(text)")
        }
        var json = JSONBytes(capacity: 0)
        for (index, value) in [Int64.min, -1, 0, 7, Int64.max].enumerated() {
            if index > 0 { json.append(",") }
            json.integer(value)
        }
        json.append(",")
        json.integer(UInt64.max)
        json.append(",")
        json.number(Float(0.1))
        json.append(",")
        json.number(Double.infinity)
        #expect(
            String(decoding: json.bytes, as: UTF8.self)
                == "-9223372036854775808,-1,0,7,9223372036854775807,18446744073709551615,0.1,null")
    }
}
