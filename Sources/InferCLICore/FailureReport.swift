import RPCCore

/// How a failed command is reported: one line on standard error and an exit status.
public enum FailureReport {
    /// The status when the gateway refused or failed a call (or could not be reached).
    public static let callFailed: Int32 = 1
    /// The status when the input file could not be read or turned into tensors.
    public static let badInput: Int32 = 2

    /// `error: INVALID_ARGUMENT: input "X" ...` for a failed call, `error: rows.csv: ...` for bad
    /// input.
    public static func message(for error: any Error) -> String {
        switch error {
        case let error as RPCError: "error: \(error.code): \(error.message)"
        case let error as InputError: "error: \(error.message)"
        default: "error: \(error)"
        }
    }

    public static func exitStatus(for error: any Error) -> Int32 {
        error is InputError ? badInput : callFailed
    }
}
