#if canImport(Glibc)
import Glibc
#endif

/// The long header names and values a connection received lately, to hand back as the same
/// `String` when they arrive again.
///
/// Clients repeat their `:path`, `content-type` and `user-agent` on every call; a string over 15
/// UTF-8 bytes needs a heap allocation (shorter ones are stored inline), so reusing the earlier
/// instance saves one per repeated header. Holds at most `capacity` strings, replaced in turn.
struct RecentHeaderStrings {
    private static let capacity = 16
    /// Strings this long or shorter are inline in Swift and cost nothing to make.
    private static let inlineLength = 15

    private var strings: [String] = []
    private var nextToReplace = 0

    /// `bytes` as a string: a remembered one with the same bytes, else a new one (remembered).
    mutating func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard bytes.count > Self.inlineLength, let base = bytes.baseAddress else {
            return String(decoding: bytes, as: UTF8.self)
        }
        for string in strings where string.utf8.count == bytes.count {
            let same = string.utf8.withContiguousStorageIfAvailable { stored in
                memcmp(stored.baseAddress!, base, bytes.count) == 0
            }
            if same == true { return string }
        }
        let made = String(decoding: bytes, as: UTF8.self)
        if strings.count < Self.capacity {
            strings.append(made)
        } else {
            strings[nextToReplace] = made
            nextToReplace = (nextToReplace + 1) % Self.capacity
        }
        return made
    }
}
