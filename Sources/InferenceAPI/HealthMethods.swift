/// The method paths of `grpc.health.v1.Health`, for servers and clients.
public enum HealthMethods {
    public static let check = "/grpc.health.v1.Health/Check"
    public static let watch = "/grpc.health.v1.Health/Watch"
}
