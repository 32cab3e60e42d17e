import InferenceAPI

/// The JSON of the metadata answers, shaped as the KServe V2 REST protocol defines them.
enum RESTJSON {
    static func serverMetadata(_ metadata: ServerMetadataResponse) -> String {
        "{\"name\":\(JSONText.string(metadata.name)),\"version\":\(JSONText.string(metadata.version)),"
            + "\"extensions\":[\(metadata.extensions.map(JSONText.string).joined(separator: ","))]}"
    }

    static func modelMetadata(_ metadata: ModelMetadataResponse) -> String {
        "{\"name\":\(JSONText.string(metadata.name)),"
            + "\"versions\":[\(metadata.versions.map(JSONText.string).joined(separator: ","))],"
            + "\"platform\":\(JSONText.string(metadata.platform)),"
            + "\"inputs\":[\(metadata.inputs.map(tensor).joined(separator: ","))],"
            + "\"outputs\":[\(metadata.outputs.map(tensor).joined(separator: ","))]}"
    }

    private static func tensor(_ tensor: TensorMetadata) -> String {
        "{\"name\":\(JSONText.string(tensor.name)),\"datatype\":\"\(tensor.datatype.rawValue)\","
            + "\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))]}"
    }
}
