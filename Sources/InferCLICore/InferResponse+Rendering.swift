import InferenceAPI
import JSONDocument
import RPCCore

extension InferResponse {
    /// A table with one line per input row: the row number, the version that answered, and each
    /// output's values for that row. Outputs that are not per row are listed under the table.
    public func table(rows: Int) throws(RPCError) -> String {
        var headers = ["ROW", "VERSION"]
        var rightAligned: Set<Int> = [0]
        var columns: [[String]] = []
        var others: [String] = []
        for output in outputs {
            let elements = try output.elements()
            guard rows > 0, output.shape.first == Int64(rows), elements.count % rows == 0 else {
                let values = elements.map(\.display).joined(separator: ", ")
                others.append("\(output.name) \(output.datatype) \(output.shape): \(values)")
                continue
            }
            let perRow = elements.count / rows
            if perRow == 1, output.datatype != .bytes { rightAligned.insert(headers.count) }
            headers.append(output.name)
            columns.append(
                (0..<rows).map { row in
                    let slice = elements[row * perRow..<(row + 1) * perRow].map(\.display)
                    return perRow == 1 ? slice[0] : "[" + slice.joined(separator: ", ") + "]"
                })
        }
        var table = TextTable(headers: headers, rightAligned: rightAligned)
        for row in 0..<rows {
            table.append(["\(row + 1)", modelVersion.isEmpty ? "-" : modelVersion] + columns.map { $0[row] })
        }
        return table.rendered + others.map { $0 + "\n" }.joined()
    }

    /// The response as KServe's REST JSON writes it: outputs with name, datatype, shape and
    /// flattened data.
    public func json() throws(RPCError) -> JSONValue {
        var members = [
            JSONMember("model_name", .string(modelName)),
            JSONMember("model_version", .string(modelVersion)),
            JSONMember("id", .string(id)),
        ]
        if !parameters.isEmpty { members.append(JSONMember("parameters", parameters.json)) }
        var tensors: [JSONValue] = []
        for output in outputs {
            var fields = [
                JSONMember("name", .string(output.name)),
                JSONMember("datatype", .string(output.datatype.rawValue)),
                JSONMember("shape", .array(output.shape.map { .int($0) })),
            ]
            if !output.parameters.isEmpty { fields.append(JSONMember("parameters", output.parameters.json)) }
            fields.append(JSONMember("data", .array(try output.elements().map(\.json))))
            tensors.append(.object(fields))
        }
        members.append(JSONMember("outputs", .array(tensors)))
        return .object(members)
    }

    /// One line for a call in a `--repeat` stream: its number, the version, the time it took and
    /// the first few values of the first output.
    public func summaryLine(call: Int, of total: Int, elapsed: Duration) -> String {
        var line = "#\(call)/\(total)  version \(modelVersion.isEmpty ? "-" : modelVersion)  \(Self.milliseconds(elapsed)) ms"
        if let first = outputs.first, let elements = try? first.elements() {
            let shown = elements.prefix(6).map(\.display).joined(separator: " ")
            line += "  \(first.name): \(shown)\(elements.count > 6 ? " ..." : "")"
        }
        return line
    }

    static func milliseconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return NumberText.significant((value * 10).rounded() / 10)
    }
}

extension [String: InferParameter] {
    /// Parameters as a JSON object, sorted by name for stable output.
    var json: JSONValue {
        .object(sorted { $0.key < $1.key }.map { JSONMember($0.key, $0.value.json) })
    }
}

extension InferParameter {
    var json: JSONValue {
        switch self {
        case .bool(let value): .bool(value)
        case .int64(let value): .int(value)
        case .uint64(let value): .int(value)
        case .double(let value): .double(value)
        case .string(let value): .string(value)
        }
    }
}
