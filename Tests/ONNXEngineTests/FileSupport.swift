import Foundation

/// The bytes of a file, or an empty array when it cannot be read.
func readBytes(_ path: String) -> [UInt8] {
    (FileManager.default.contents(atPath: path)).map { [UInt8]($0) } ?? []
}

/// The directory holding this test target's committed fixtures.
let fixturesDirectory: String = {
    let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    return here.appendingPathComponent("Fixtures").path
}()
