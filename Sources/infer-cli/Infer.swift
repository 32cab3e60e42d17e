import ArgumentParser
import InferCLICore

/// `infer MODEL`: rows in, predictions out.
struct Infer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send rows from a CSV or JSON file to a model and print its outputs per row.",
        discussion: """
            Input: CSV with a header row, or JSON (an array of objects, or an array of arrays). \
            With --as columns (for a route with a preprocessing pipeline), each column is sent as \
            one tensor named as the column: numbers as FP64 (or --datatype), text as BYTES; an \
            empty cell is missing (NaN, or an empty BYTES element), and a column with any \
            non-numeric value is sent as BYTES. With --as matrix (for a model's own input), all \
            values go in one [rows, columns] tensor named --tensor-name, FP32 unless --datatype \
            says otherwise.

            The table shows each row's outputs and the version that answered. With --repeat N \
            the call is sent N times, one line per call, then the split of versions that answered.
            """)

    @Argument(help: "The model name the gateway routes.")
    var model: String

    @Option(help: "Ask for this version; by default the gateway chooses.")
    var version: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("The rows to send; '-' reads standard input.", valueName: "file"))
    var input = "-"

    @Option(help: ArgumentHelp("The input's format: csv or json (default: from the file's extension).", valueName: "format"))
    var format: String?

    @Option(name: .customLong("as"), help: ArgumentHelp("How rows become tensors: columns or matrix.", valueName: "layout"))
    var layout = RowLayout.columns.rawValue

    @Option(help: ArgumentHelp("The matrix tensor's name (with --as matrix).", valueName: "name"))
    var tensorName = "X"

    @Option(help: ArgumentHelp("Send numbers as FP32 or FP64 (default: FP64 columns, FP32 matrix).", valueName: "type"))
    var datatype: String?

    @Option(help: ArgumentHelp("Routing key: calls with the same key stay on the same version.", valueName: "key"))
    var routingKey: String?

    @Option(name: .customLong("repeat"), help: ArgumentHelp("Send the call this many times.", valueName: "n"))
    var repeatCount = 1

    @Option(help: ArgumentHelp("Seconds to wait between repeated calls.", valueName: "seconds"))
    var interval: Double = 0

    @Option(help: ArgumentHelp("The request id, echoed in the response.", valueName: "id"))
    var id: String?

    @OptionGroup var options: GlobalOptions

    func validate() throws {
        guard RowLayout(rawValue: layout) != nil else {
            throw ValidationError("--as must be columns or matrix, not \"\(layout)\"")
        }
        if let datatype, NumberType(rawValue: datatype.uppercased()) == nil {
            throw ValidationError("--datatype must be FP32 or FP64, not \"\(datatype)\"")
        }
        guard repeatCount >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard interval >= 0, interval.isFinite else { throw ValidationError("--interval must not be negative") }
    }

    func run() async throws {
        try await options.run { connection in
            let contents = try InputFile.read(input)
            let format = try InputFormat.resolve(explicit: format, source: input, contents: contents)
            let table = try RowReader.read(contents, format: format, source: input)
            let encoding = TensorEncoding(
                layout: RowLayout(rawValue: layout)!, tensorName: tensorName,
                numberType: datatype.flatMap { NumberType(rawValue: $0.uppercased()) })
            let target = InferTarget(model: model, version: version ?? "", id: id ?? "", routingKey: routingKey)
            let session = InferSession(
                request: try target.request(for: table, encoding: encoding), rows: table.rows.count,
                repeatCount: repeatCount, interval: .milliseconds(Int64(interval * 1000)), json: options.json)
            let split = try await session.run(on: connection, print: Console.out)
            guard split.failedCalls == 0 else {
                Console.error("error: \(split.failedCalls) of \(split.calls) calls failed")
                return FailureReport.callFailed
            }
            return 0
        }
    }
}
