/// Parses Prometheus text exposition into `series → value`, where a series is written as
/// `name{label="value",...}` exactly as exposed (labels in exposition order).
func parseExposition(_ text: String) -> [String: Double] {
    var values: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
        values[String(line[..<space])] = value
    }
    return values
}
