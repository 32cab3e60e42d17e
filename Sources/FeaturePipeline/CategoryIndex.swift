/// Finds the position of a value among an encoder's categories without allocating: text is
/// matched byte for byte (as Python compares str) through an open-addressing table, numbers
/// through a dictionary, and missing values have their own slot.
struct CategoryIndex: Sendable {
    private var slots: [Int32]
    private var texts: [[UInt8]] = []
    private var textPositions: [Int] = []
    private var numbers: [Double: Int] = [:]
    /// The position of the missing category, when there is one.
    let missingPosition: Int?

    init(_ categories: [CategoryValue]) {
        missingPosition = categories.firstIndex(of: .missing)
        var textCount = 0
        for case .text in categories { textCount += 1 }
        var capacity = 8
        while capacity < textCount * 2 { capacity *= 2 }
        slots = [Int32](repeating: -1, count: capacity)
        for (position, category) in categories.enumerated() {
            switch category {
            case .missing: continue
            case .number(let value): if numbers[value] == nil { numbers[value] = position }
            case .text(let text): insert(Array(text.utf8), position: position)
            }
        }
    }

    private mutating func insert(_ bytes: [UInt8], position: Int) {
        let mask = slots.count - 1
        var slot = bytes.withUnsafeBufferPointer { Self.hash($0) } & mask
        while slots[slot] >= 0 {
            if texts[Int(slots[slot])] == bytes { return }
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(texts.count)
        texts.append(bytes)
        textPositions.append(position)
    }

    /// The position of the text `bytes`, nil when it is not a category.
    func position(of bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !texts.isEmpty else { return nil }
        let mask = slots.count - 1
        var slot = Self.hash(bytes) & mask
        while slots[slot] >= 0 {
            let entry = Int(slots[slot])
            if texts[entry].withUnsafeBufferPointer({ $0.elementsEqual(bytes) }) { return textPositions[entry] }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// The position of the number `value` (NaN: the missing category), nil when unknown.
    func position(of value: Double) -> Int? {
        value.isNaN ? missingPosition : numbers[value]
    }

    /// FNV-1a: short category strings hash fast and spread well enough for linear probing.
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return Int(truncatingIfNeeded: hash ^ (hash >> 29))
    }
}
