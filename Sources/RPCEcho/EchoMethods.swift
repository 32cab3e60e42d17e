/// The method paths of `rpctest.Echo`, for servers and clients.
public enum EchoMethods {
    public static let get = "/rpctest.Echo/Get"
    public static let expand = "/rpctest.Echo/Expand"
}
