import FeaturePipeline
import Foundation
import InferenceAPI
import RPCCore

/// Decodes the convenience input `records`: a BYTES tensor whose elements are each a JSON
/// object (one row) or a JSON array of objects (several rows), keyed by column name. A null or
/// absent key is a missing value.
struct RecordsDecoder {
    let spec: PipelineSpec
    let maxRows: Int

    /// One JSON value of a record.
    enum Value: Decodable {
        case null, bool(Bool), number(Double), text(String), other

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let bool = try? container.decode(Bool.self) {
                self = .bool(bool)
            } else if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else if let text = try? container.decode(String.self) {
                self = .text(text)
            } else {
                self = .other
            }
        }
    }

    /// An element: one record or a list of them.
    enum Element: Decodable {
        case one([String: Value])
        case many([[String: Value]])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let record = try? container.decode([String: Value].self) {
                self = .one(record)
            } else {
                self = .many(try container.decode([[String: Value]].self))
            }
        }
    }

    func decode(_ tensor: InferTensor) throws(RPCError) -> ColumnBatch {
        guard tensor.datatype == .bytes else {
            throw RPCError(.invalidArgument, "input 'records' has datatype \(tensor.datatype), but it is BYTES of JSON records")
        }
        var records: [[String: Value]] = []
        let decoder = JSONDecoder()
        for (index, element) in try tensor.bytesElements().enumerated() {
            do {
                switch try decoder.decode(Element.self, from: Data(element)) {
                case .one(let record): records.append(record)
                case .many(let many): records += many
                }
            } catch {
                throw RPCError(
                    .invalidArgument,
                    "input 'records' element \(index) is not a JSON object or an array of objects")
            }
            guard records.count <= maxRows else {
                throw RPCError(.invalidArgument, "input 'records' has more than the limit of \(maxRows) rows")
            }
        }
        let known = Set(spec.inputs.map(\.name))
        for (row, record) in records.enumerated() {
            if let stray = record.keys.sorted().first(where: { !known.contains($0) }) {
                throw RPCError(
                    .invalidArgument,
                    "row \(row): unknown column '\(stray)' (columns: \(spec.inputs.map(\.name).joined(separator: ", ")))")
            }
        }
        var columns: [ColumnData] = []
        for input in spec.inputs {
            columns.append(try column(input, records))
        }
        return ColumnBatch(rows: records.count, columns: columns)
    }

    private func column(_ input: InputColumn, _ records: [[String: Value]]) throws(RPCError) -> ColumnData {
        func wrong(_ row: Int, _ value: Value) -> RPCError {
            let found =
                switch value {
                case .bool: "a bool"
                case .number: "a number"
                case .text: "text"
                default: "an array or object"
                }
            let expected =
                switch input.type {
                case .string, .any: "text"
                case .bool: "a bool"
                case .float, .int: "a number"
                }
            return RPCError(.invalidArgument, "row \(row), column '\(input.name)': expected \(expected), got \(found)")
        }
        if input.type == .any {
            return .text(ColumnDecoder.ignored(rows: records.count))
        }
        if input.type == .string {
            var text = TextColumn(reservingRows: records.count, bytes: records.count * 8)
            for (row, record) in records.enumerated() {
                switch record[input.name] ?? .null {
                case .null: text.appendMissing()
                case .text(let value): value.isEmpty ? text.appendMissing() : text.append(value.utf8)
                case let value: throw wrong(row, value)
                }
            }
            return .text(text)
        }
        var values = [Double](repeating: .nan, count: records.count)
        for (row, record) in records.enumerated() {
            switch record[input.name] ?? .null {
            case .null: continue
            case .number(let number): values[row] = number
            case .bool(let bool) where input.type == .bool: values[row] = bool ? 1 : 0
            case let value: throw wrong(row, value)
            }
        }
        return .numbers(values)
    }
}
