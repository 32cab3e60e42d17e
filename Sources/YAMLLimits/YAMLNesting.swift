internal import CYaml

/// Yams builds its node tree by recursion, one call per nested collection, so a few kilobytes
/// of `[[[[…` overflow the stack and crash the process. libyaml's event parser keeps its state on
/// the heap, so it measures the nesting first and deeper documents are refused before Yams
/// sees them. Every reader of user YAML (routes, pipeline specs, model config, config files,
/// token files) checks with this first.
public enum YAMLNesting {
    /// Far deeper than any real document needs, far shallower than what overflows a stack.
    public static let maxDepth = 100

    /// The 1-based line where `yaml` nests collections deeper than `maxDepth`; nil when it does
    /// not (syntax errors are left for Yams to report).
    public static func lineTooDeep(in yaml: String) -> Int? {
        var bytes = Array(yaml.utf8)
        guard !bytes.isEmpty else { return nil }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        return bytes.withUnsafeMutableBufferPointer { buffer -> Int? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var depth = 0
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    depth += 1
                    if depth > maxDepth { return event.start_mark.line + 1 }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    depth -= 1
                case YAML_STREAM_END_EVENT:
                    return nil
                default:
                    break
                }
            }
            return nil
        }
    }
}
