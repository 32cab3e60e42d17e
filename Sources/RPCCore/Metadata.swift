/// Custom call metadata (HTTP/2 headers or trailers), in order, with lower-case names.
///
/// Binary values (names ending in `-bin`) are kept base64-encoded as they travel.
public struct Metadata: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (name: String, value: String)

    private var entries: [Entry]

    fileprivate struct Entry: Sendable, Hashable {
        var name: String
        var value: String
    }

    public init() { entries = [] }

    public init(dictionaryLiteral elements: (String, String)...) {
        entries = elements.map { Entry(name: Self.lowercase($0.0), value: $0.1) }
    }

    /// `name` in lower case; names almost always arrive that way, and checking is much cheaper
    /// than `lowercased()`, which this runs for every header of every call.
    private static func lowercase(_ name: String) -> String {
        name.utf8.contains { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) } ? name.lowercased() : name
    }

    /// Appends a value; names are lower-cased as HTTP/2 requires.
    public mutating func add(_ name: String, _ value: String) {
        entries.append(Entry(name: Self.lowercase(name), value: value))
    }

    /// Appends a value whose name is already lower case: received HTTP/2 headers, which
    /// nghttp2 has checked, and names taken from another `Metadata`.
    public mutating func addLowercased(_ name: String, _ value: String) {
        entries.append(Entry(name: name, value: value))
    }

    /// Makes room for `count` entries in all, so building a known number allocates once.
    public mutating func reserveCapacity(_ count: Int) {
        entries.reserveCapacity(count)
    }

    /// Replaces every value of `name` with one value.
    public mutating func replace(_ name: String, _ value: String) {
        let name = Self.lowercase(name)
        entries.removeAll { $0.name == name }
        entries.append(Entry(name: name, value: value))
    }

    public mutating func remove(_ name: String) {
        let name = Self.lowercase(name)
        entries.removeAll { $0.name == name }
    }

    /// The first value of `name`, if any.
    public subscript(name: String) -> String? {
        let name = Self.lowercase(name)
        return entries.first { $0.name == name }?.value
    }

    /// Every value of `name`, in order.
    public func values(of name: String) -> [String] {
        let name = Self.lowercase(name)
        return entries.filter { $0.name == name }.map(\.value)
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    public func makeIterator() -> Iterator {
        Iterator(base: entries.makeIterator())
    }

    /// Walks the entries in order (a concrete type, so callers in other modules specialise it).
    public struct Iterator: IteratorProtocol {
        fileprivate var base: IndexingIterator<[Entry]>

        public mutating func next() -> Element? {
            base.next().map { (name: $0.name, value: $0.value) }
        }
    }
}
