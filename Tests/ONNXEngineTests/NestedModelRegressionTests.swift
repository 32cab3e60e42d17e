import ONNXEngine
import Testing

/// Found while fuzzing the ONNX loader: libprotobuf-c unpacks nested messages by recursion, so a
/// 318 KB model nesting graphs in `If` attributes 10,000 times (30,000 messages) overflowed the
/// stack of the worker loading it.
@Suite struct NestedModelRegressionTests {
    /// A model whose graph holds an `If` node whose `then_branch` graph holds an `If` node…
    /// `levels` times: three nested messages per level.
    static func nestedIfModel(levels: Int) -> [UInt8] {
        func varint(_ value: Int) -> [UInt8] {
            var value = UInt64(value), out: [UInt8] = []
            while value >= 0x80 {
                out.append(UInt8(value & 0x7F) | 0x80)
                value >>= 7
            }
            return out + [UInt8(value)]
        }
        func field(_ number: Int, _ payload: [UInt8]) -> [UInt8] { varint(number << 3 | 2) + varint(payload.count) + payload }
        func number(_ field: Int, _ value: Int) -> [UInt8] { varint(field << 3) + varint(value) }
        var graph: [UInt8] = []
        for _ in 0..<levels {
            let attribute = field(1, Array("then_branch".utf8)) + number(20, 5) + field(6, graph)  // type GRAPH, g
            let node = field(4, Array("If".utf8)) + field(5, attribute)  // op_type, attribute
            graph = field(1, node)  // GraphProto.node
        }
        let opset = field(1, []) + number(2, 13)
        return number(1, 8) + field(8, opset) + field(7, graph)  // ir_version, opset_import, graph
    }

    @Test func deeplyNestedModelIsRefusedNotCrashed() throws {
        let error = try #require(throws: ONNXError.self) { try ONNXModel(bytes: Self.nestedIfModel(levels: 10_000)) }
        #expect(error.kind == .limitExceeded)
        #expect(error.message.contains("nests messages deeper than 100 levels"))
    }

    @Test func nestingWithinTheLimitReachesTheGraphChecks() throws {
        // 32 levels put the innermost graph 98 messages deep.
        let error = try #require(throws: ONNXError.self) { try ONNXModel(bytes: Self.nestedIfModel(levels: 32)) }
        #expect(!error.message.contains("nests messages deeper"))
    }
}
