import Synchronization

/// Output arrays of earlier runs, kept by element type and length so that a run of the same batch
/// shape writes its intermediate values into storage it already owns instead of allocating.
///
/// Safe by construction: a recycled array that something else still references is copied on
/// write by Swift's copy-on-write, never overwritten under its other owner.
final class BufferPool {
    /// Spare arrays of one element type and length. A plan uses few distinct sizes, so a short list
    /// searched in order is cheaper than hashing.
    private struct Shelf {
        var type: Tensor.ElementType
        var count: Int
        var arrays: [Tensor.Storage]
    }

    private var shelves: [Shelf] = []
    /// Arrays handed out from earlier runs, and arrays that had to be allocated.
    private(set) var reused = 0
    private(set) var allocated = 0

    /// An array of `count` elements whose contents are unspecified (a recycled array keeps old values).
    func take<T: NumericElement>(_: T.Type, count: Int) -> [T] {
        for i in shelves.indices where shelves[i].count == count && shelves[i].type == T.elementType {
            if let storage = shelves[i].arrays.popLast() {
                reused += 1
                return T.unwrap(storage)!
            }
            break
        }
        allocated += 1
        return [T](repeating: .zero, count: count)
    }

    /// An array of `count` zeros.
    func zeros<T: NumericElement>(_ type: T.Type, count: Int) -> [T] {
        var values = take(type, count: count)
        values.withUnsafeMutableBufferPointer { $0.update(repeating: .zero) }
        return values
    }

    /// Keeps the elements of a value no longer needed by the run, for a later `take`.
    func recycle(_ storage: Tensor.Storage) {
        guard storage.elementType != .string, storage.count > 0 else { return }
        let type = storage.elementType, count = storage.count
        if let i = shelves.firstIndex(where: { $0.count == count && $0.type == type }) {
            shelves[i].arrays.append(storage)
        } else {
            shelves.append(Shelf(type: type, count: count, arrays: [storage]))
        }
    }
}

/// What one run needs besides the plan: the value slots and the buffer pool. A workspace is lent
/// to one run at a time, so nothing in it is shared between threads while in use.
final class Workspace: @unchecked Sendable {
    var slots: [Tensor?]
    let buffers = BufferPool()

    init(slotCount: Int) { slots = [Tensor?](repeating: nil, count: slotCount) }
}

/// The idle workspaces of a plan. Concurrent runs each check one out (creating one when none is
/// idle) and check it back in, so steady traffic reuses a few workspaces and their buffers.
final class WorkspacePool: Sendable {
    private let idle = Mutex<[Workspace]>([])
    private let createdCount = Atomic<Int>(0)
    /// The most idle workspaces kept; more concurrent runs than this allocate afresh.
    let capacity: Int

    init(capacity: Int = 8) { self.capacity = capacity }

    /// How many workspaces were ever created.
    var created: Int { createdCount.load(ordering: .relaxed) }

    func checkOut(slotCount: Int) -> Workspace {
        if let workspace = idle.withLock({ $0.popLast() }) { return workspace }
        createdCount.add(1, ordering: .relaxed)
        return Workspace(slotCount: slotCount)
    }

    func checkIn(_ workspace: Workspace) {
        idle.withLock { list in
            if list.count < capacity { list.append(workspace) }
        }
    }

    /// Arrays reused and allocated by the idle workspaces (for tests and diagnostics).
    var bufferCounts: (reused: Int, allocated: Int) {
        idle.withLock { list in
            list.reduce((0, 0)) { ($0.0 + $1.buffers.reused, $0.1 + $1.buffers.allocated) }
        }
    }
}

extension BufferPool {
    /// `transform` applied to every element, written into a pooled array.
    @inline(__always)
    func mapped<T, R: NumericElement>(_ source: [T], _ transform: (T) -> R) -> [R] {
        var out = take(R.self, count: source.count)
        out.withUnsafeMutableBufferPointer { o in
            source.withUnsafeBufferPointer { s in
                for i in 0..<s.count { o[i] = transform(s[i]) }
            }
        }
        return out
    }
}
