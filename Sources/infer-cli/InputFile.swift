import Foundation
import InferCLICore

/// Reads the whole input: a file, or standard input for "-".
enum InputFile {
    static func read(_ path: String) throws(InputError) -> [UInt8] {
        if path == "-" {
            guard isatty(STDIN_FILENO) == 0 else {
                throw InputError("no --input and standard input is a terminal: give --input FILE or pipe rows in")
            }
            return Array(FileHandle.standardInput.readDataToEndOfFile())
        }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw InputError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            return Array(try handle.readToEnd() ?? Data())
        } catch {
            throw InputError("cannot read \(path): \(error.localizedDescription)")
        }
    }
}
