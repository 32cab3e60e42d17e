/// The format of an input file.
public enum InputFormat: String, Sendable, Hashable, CaseIterable {
    case csv
    case json

    /// The format `--format` names, or the one the file name's extension implies; for standard
    /// input (`-`) without `--format`, the first non-blank character decides (`[` or `{` is JSON).
    public static func resolve(explicit: String?, source: String, contents: [UInt8]) throws(InputError) -> InputFormat {
        if let explicit {
            guard let format = InputFormat(rawValue: explicit.lowercased()) else {
                throw InputError("unknown input format \"\(explicit)\": use csv or json")
            }
            return format
        }
        if source == "-" {
            let first = contents.first { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }
            return first == UInt8(ascii: "[") || first == UInt8(ascii: "{") ? .json : .csv
        }
        let name = source.split(separator: "/").last.map(String.init) ?? source
        if let dot = name.lastIndex(of: "."), let format = InputFormat(rawValue: name[name.index(after: dot)...].lowercased()) {
            return format
        }
        throw InputError("\(source): cannot tell the format from the file name: add --format csv or --format json")
    }
}
