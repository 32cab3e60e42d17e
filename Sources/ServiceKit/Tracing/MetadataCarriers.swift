public import Instrumentation
public import RPCCore

/// Reads trace headers (`traceparent`, `tracestate`) from a call's metadata.
public struct MetadataExtractor: Extractor {
    public init() {}
    public func extract(key: String, from carrier: Metadata) -> String? { carrier[key] }
}

/// Collects injected trace headers, to read back the `traceparent` of a span.
struct HeaderDictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }
}
