import FeaturePipeline
import InferenceAPI
import RPCCore

/// Turns a request's raw columns into the batch a plan runs on: one tensor per input column
/// (named as the column, shape `[rows]` or `[rows, 1]`), with optional BOOL `<column>.missing`
/// masks; or one BYTES tensor `records` of JSON (see `RecordsDecoder`).
struct ColumnDecoder {
    let spec: PipelineSpec
    /// Rows above this are refused before any column is converted.
    let maxRows: Int

    static let recordsInput = "records"
    static let maskSuffix = ".missing"

    func decode(_ request: InferRequest) throws(RPCError) -> ColumnBatch {
        if let records = request.inputs.first(where: { $0.name == Self.recordsInput }),
            !spec.inputs.contains(where: { $0.name == Self.recordsInput })
        {
            guard request.inputs.count == 1 else {
                throw RPCError(.invalidArgument, "input 'records' carries whole rows: send it alone, not with column inputs")
            }
            return try RecordsDecoder(spec: spec, maxRows: maxRows).decode(records)
        }
        var byName: [String: InferTensor] = [:]
        var masks: [String: InferTensor] = [:]
        let columns = Set(spec.inputs.map(\.name))
        for tensor in request.inputs {
            if tensor.name.hasSuffix(Self.maskSuffix), !columns.contains(tensor.name),
                columns.contains(String(tensor.name.dropLast(Self.maskSuffix.count)))
            {
                guard masks.updateValue(tensor, forKey: String(tensor.name.dropLast(Self.maskSuffix.count))) == nil else {
                    throw RPCError(.invalidArgument, "input '\(tensor.name)' is given twice")
                }
                continue
            }
            guard columns.contains(tensor.name) else {
                throw RPCError(
                    .invalidArgument,
                    "pipeline '\(spec.name)' has no input column '\(tensor.name)' (columns: "
                        + "\(spec.inputs.map(\.name).joined(separator: ", ")); or send one BYTES input 'records' of JSON rows)")
            }
            guard byName.updateValue(tensor, forKey: tensor.name) == nil else {
                throw RPCError(.invalidArgument, "input '\(tensor.name)' is given twice")
            }
        }
        var rows: Int?
        var data: [ColumnData] = []
        for input in spec.inputs {
            guard let tensor = byName[input.name] else {
                throw RPCError(.invalidArgument, "missing input column '\(input.name)' of pipeline '\(spec.name)'")
            }
            let count = try rowCount(tensor)
            if let rows, rows != count {
                throw RPCError(.invalidArgument, "input '\(input.name)' has \(count) rows but another input has \(rows)")
            }
            rows = count
            var column = try convert(tensor, for: input)
            if let mask = masks[input.name] {
                column = try apply(mask, to: column, input: input, rows: count)
            }
            data.append(column)
        }
        return ColumnBatch(rows: rows ?? 0, columns: data)
    }

    /// Rows of a column tensor: shape `[rows]` or `[rows, 1]`.
    private func rowCount(_ tensor: InferTensor) throws(RPCError) -> Int {
        let shape = tensor.shape
        guard shape.count == 1 || (shape.count == 2 && shape[1] == 1), shape[0] >= 0 else {
            throw RPCError(
                .invalidArgument,
                "input '\(tensor.name)' has shape \(shape), but a column is [rows] or [rows, 1]")
        }
        guard shape[0] <= Int64(maxRows) else {
            throw RPCError(.invalidArgument, "input '\(tensor.name)' has \(shape[0]) rows, more than the limit of \(maxRows)")
        }
        return Int(shape[0])
    }

    private func convert(_ tensor: InferTensor, for input: InputColumn) throws(RPCError) -> ColumnData {
        let label = "input '\(input.name)'"
        if input.type == .any {
            return .text(Self.ignored(rows: Int(tensor.shape.first ?? 0)))
        }
        if input.type == .string {
            guard tensor.datatype == .bytes else {
                throw RPCError(.invalidArgument, "\(label) has datatype \(tensor.datatype), but the column is string: send BYTES")
            }
            return .text(try Self.text(tensor, column: input.name))
        }
        let values: [Double]
        switch tensor.datatype {
        case .fp64: values = try tensor.values(as: Double.self)
        case .fp32: values = try tensor.values(as: Float.self).map { Double($0) }
        case .int64: values = try tensor.values(as: Int64.self).map { Double($0) }
        case .int32: values = try tensor.values(as: Int32.self).map { Double($0) }
        case .bool: values = try tensor.bools().map { $0 ? 1 : 0 }
        default:
            throw RPCError(
                .invalidArgument,
                "\(label) has datatype \(tensor.datatype), but the column is \(input.type): send FP32, FP64, INT64, INT32 or BOOL"
            )
        }
        return .numbers(values)
    }

    /// The stand-in for a column no step reads: all missing, no bytes.
    static func ignored(rows: Int) -> TextColumn {
        var column = TextColumn(reservingRows: rows, bytes: 0)
        for _ in 0..<rows { column.appendMissing() }
        return column
    }

    /// A BYTES tensor as a text column; an empty element is a missing value.
    static func text(_ tensor: InferTensor, column: String) throws(RPCError) -> TextColumn {
        try tensor.validate()
        var text = TextColumn(reservingRows: Int(tensor.shape.first ?? 0), bytes: tensor.data.count)
        var failure: RPCError?
        tensor.data.withUnsafeBytes { raw in
            var offset = 0
            var row = 0
            while raw.count - offset >= 4 {
                let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                offset += 4
                let element = UnsafeRawBufferPointer(rebasing: raw[offset..<offset + length])
                if length == 0 {
                    text.appendMissing()
                } else if String(validating: element, as: UTF8.self) == nil {
                    failure = RPCError(.invalidArgument, "row \(row), column '\(column)': the BYTES element is not valid UTF-8")
                    return
                } else {
                    text.append(element)
                }
                offset += length
                row += 1
            }
        }
        if let failure { throw failure }
        return text
    }

    private func apply(_ mask: InferTensor, to column: ColumnData, input: InputColumn, rows: Int) throws(RPCError) -> ColumnData {
        guard mask.datatype == .bool else {
            throw RPCError(
                .invalidArgument, "input '\(mask.name)' has datatype \(mask.datatype), but a missing-value mask is BOOL")
        }
        guard try rowCount(mask) == rows else {
            throw RPCError(
                .invalidArgument, "input '\(mask.name)' has \(mask.shape.first ?? 0) rows but '\(input.name)' has \(rows)")
        }
        let missing = try mask.bools()
        switch column {
        case .numbers(var values):
            for row in values.indices where missing[row] { values[row] = .nan }
            return .numbers(values)
        case .text(let text):
            var masked = TextColumn(reservingRows: rows, bytes: text.bytes.count)
            for row in 0..<rows {
                if missing[row] || text.missing[row] {
                    masked.appendMissing()
                } else {
                    masked.append(text.bytes[text.range(of: row)])
                }
            }
            return .text(masked)
        }
    }
}
