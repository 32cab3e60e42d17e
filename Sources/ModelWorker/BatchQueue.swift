/// The dynamic batching policy as a pure state machine: it is told what happens (a request
/// arrives, the timer fires, a batch finishes) with the current time, and answers with actions
/// (run these requests as one batch, wake me at this time). No clock, threads or tasks inside.
///
/// Rules, checked whenever a batch may start (fewer than `maxConcurrentBatches` running):
/// the head of the queue and every later request with the same signature (input names, types
/// and non-batch dimensions) are taken in order while the rows fit in `maxBatchSize`. The batch
/// starts at once when it is full (`maxBatchSize` rows, or the next compatible request does not
/// fit), when its rows equal a preferred size (the largest preferred size that a prefix of the
/// batch reaches is taken), or when the head has waited `maxQueueDelay`; otherwise the machine
/// asks to be woken at the head's deadline.
public struct BatchQueue<Item, Signature: Hashable> {
    /// What the driver must do.
    public enum Action {
        /// Run these items as one batch, in this order; report `batchFinished` afterwards.
        case run([Item])
        /// Call `timerFired` at this time (replacing any earlier request).
        case wakeUp(at: Duration)
    }

    struct Entry {
        var item: Item
        var rows: Int
        var signature: Signature
        var arrival: Duration
    }

    public let maxBatchSize: Int
    public let maxQueueDelay: Duration
    public let preferredBatchSizes: Set<Int>
    public let maxConcurrentBatches: Int
    private var queue: [Entry] = []
    /// Batches handed out and not yet finished.
    public private(set) var running = 0
    /// The wake-up time last asked for, if still relevant.
    public private(set) var wakeUpTime: Duration?

    public init(maxBatchSize: Int, maxQueueDelay: Duration, preferredBatchSizes: [Int] = [], maxConcurrentBatches: Int = 1) {
        precondition(maxBatchSize > 0 && maxConcurrentBatches > 0)
        self.maxBatchSize = maxBatchSize
        self.maxQueueDelay = maxQueueDelay
        self.preferredBatchSizes = Set(preferredBatchSizes)
        self.maxConcurrentBatches = maxConcurrentBatches
    }

    /// Requests waiting for a batch.
    public var queuedCount: Int { queue.count }

    /// A request of `rows` rows (at most `maxBatchSize`) arrives at `now`.
    public mutating func enqueue(_ item: Item, rows: Int, signature: Signature, now: Duration) -> [Action] {
        precondition(rows <= maxBatchSize, "a request larger than max_batch_size must be refused before queueing")
        queue.append(Entry(item: item, rows: rows, signature: signature, arrival: now))
        return evaluate(now: now)
    }

    /// The wake-up time asked for has come.
    public mutating func timerFired(now: Duration) -> [Action] {
        wakeUpTime = nil
        return evaluate(now: now)
    }

    /// A batch handed out by `.run` has finished.
    public mutating func batchFinished(now: Duration) -> [Action] {
        precondition(running > 0)
        running -= 1
        return evaluate(now: now)
    }

    private mutating func evaluate(now: Duration) -> [Action] {
        var actions: [Action] = []
        while running < maxConcurrentBatches, let head = queue.first {
            let deadline = head.arrival + maxQueueDelay
            var taken: [Int] = []
            var rows = 0
            var full = false
            var preferredCut: Int?  // how many of `taken` make the largest preferred size
            for (index, entry) in queue.enumerated() where entry.signature == head.signature {
                guard rows + entry.rows <= maxBatchSize else {
                    full = true
                    break
                }
                taken.append(index)
                rows += entry.rows
                if preferredBatchSizes.contains(rows) { preferredCut = taken.count }
            }
            if rows == maxBatchSize { full = true }
            let count: Int
            if full || now >= deadline {
                count = taken.count
            } else if let preferredCut {
                count = preferredCut
            } else {
                if wakeUpTime != deadline {
                    wakeUpTime = deadline
                    actions.append(.wakeUp(at: deadline))
                }
                break
            }
            let chosen = taken.prefix(count)
            let items = chosen.map { queue[$0].item }
            let chosenSet = Set(chosen)
            queue = queue.enumerated().filter { !chosenSet.contains($0.offset) }.map(\.element)
            running += 1
            actions.append(.run(items))
        }
        if queue.isEmpty { wakeUpTime = nil }
        return actions
    }
}
