import JSONEscaping
import ONNXEngine

/// The model's outputs as one JSON object, `{"outputs": [{"name", "dtype", "shape", "data"}, ...]}`
/// in the graph's output order. JSON has no NaN or infinity: those are the strings "nan", "inf", "-inf".
public enum OutputsJSON {
    public static func render(_ outputs: [String: Tensor], order: [String]) throws(CheckError) -> String {
        var parts: [String] = []
        for name in order {
            guard let tensor = outputs[name] else { throw CheckError("the engine returned no output '\(name)'") }
            let (dtype, data) = try elements(tensor, name: name)
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            parts.append(
                "{\"name\":\(quoted(name)),\"dtype\":\"\(dtype)\",\"shape\":[\(shape)],\"data\":[\(data.joined(separator: ","))]}"
            )
        }
        return "{\"outputs\":[\(parts.joined(separator: ","))]}"
    }

    static func elements(_ tensor: Tensor, name: String) throws(CheckError) -> (String, [String]) {
        switch tensor.storage {
        case .float32(let v): ("float32", v.map { number(Double($0), text: $0.description) })
        case .float64(let v): ("float64", v.map { number($0, text: $0.description) })
        case .int64(let v): ("int64", v.map(String.init))
        case .int32(let v): ("int32", v.map(String.init))
        case .uint8(let v): ("uint8", v.map(String.init))
        case .int8(let v): ("int8", v.map(String.init))
        case .bool(let v): ("bool", v.map { $0 ? "true" : "false" })
        case .string(let v): ("string", v.map(quoted))
        }
    }

    static func number(_ value: Double, text: String) -> String {
        if value.isNaN { return "\"nan\"" }
        if value.isInfinite { return value > 0 ? "\"inf\"" : "\"-inf\"" }
        return text
    }

    static func quoted(_ text: String) -> String {
        JSONString.quoted(text)
    }
}
