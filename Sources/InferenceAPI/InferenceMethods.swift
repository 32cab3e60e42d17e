/// The method paths of `inference.GRPCInferenceService`, for servers and clients.
public enum InferenceMethods {
    public static let serverLive = "/inference.GRPCInferenceService/ServerLive"
    public static let serverReady = "/inference.GRPCInferenceService/ServerReady"
    public static let modelReady = "/inference.GRPCInferenceService/ModelReady"
    public static let serverMetadata = "/inference.GRPCInferenceService/ServerMetadata"
    public static let modelMetadata = "/inference.GRPCInferenceService/ModelMetadata"
    public static let modelInfer = "/inference.GRPCInferenceService/ModelInfer"
    public static let modelConfig = "/inference.GRPCInferenceService/ModelConfig"
    public static let modelStatistics = "/inference.GRPCInferenceService/ModelStatistics"
    public static let repositoryIndex = "/inference.GRPCInferenceService/RepositoryIndex"
    public static let repositoryModelLoad = "/inference.GRPCInferenceService/RepositoryModelLoad"
    public static let repositoryModelUnload = "/inference.GRPCInferenceService/RepositoryModelUnload"
    public static let modelStreamInfer = "/inference.GRPCInferenceService/ModelStreamInfer"
}
