import Foundation

/// Top-k lists per user from any scoring rule, in parallel and independent of the thread count.
///
/// Order: score descending, ties by item number ascending (item ids in byte order), so the lists
/// are the same on every run. Users go in fixed chunks of `chunk`; each chunk writes its own lists,
/// which are joined in chunk order.
public enum Ranking {
    /// Users per parallel chunk (a constant: never derived from the number of cores).
    static let chunk = 256

    /// The lists of several users: user `users[n]` has items `items[start[n]..<start[n + 1]]`, best first.
    public struct Lists: Equatable, Sendable {
        public var users: [Int] = []
        public var start: [Int] = [0]
        public var items: [Int32] = []
        public var scores: [Double] = []
        public func range(_ n: Int) -> Range<Int> { start[n]..<start[n + 1] }
        public func items(_ n: Int) -> ArraySlice<Int32> { items[range(n)] }
    }

    /// The best k of the candidates offered, by (score descending, item ascending): a total order,
    /// so the result does not depend on the order of the offers. Offers collect in a buffer that
    /// is cut back to the best k whenever it holds 2k (at least 64), and from then on only offers
    /// better than the k-th best so far enter: O(n log k) for n offers, whatever k is.
    public struct TopK {
        public let k: Int
        private var buffer: [(score: Double, item: Int32)] = []
        private var worstKept: (score: Double, item: Int32)?
        public init(k: Int) {
            self.k = k
            buffer.reserveCapacity(min(2 * k, 4096))
        }

        @inline(__always) static func better(_ s: Double, _ i: Int32, than t: Double, _ j: Int32) -> Bool { s > t || (s == t && i < j) }

        /// Keeps (item, score) if it may be among the best k.
        @inline(__always) public mutating func offer(_ item: Int32, _ score: Double) {
            if let w = worstKept, !Self.better(score, item, than: w.score, w.item) { return }
            buffer.append((score, item))
            if buffer.count >= max(2 * k, 64) { cut() }
        }

        private mutating func cut() {
            buffer.sort { Self.better($0.score, $0.item, than: $1.score, $1.item) }
            if buffer.count >= k {
                buffer.removeLast(buffer.count - k)
                worstKept = buffer[k - 1]
            }
        }

        /// The best k offered, best first.
        public mutating func finish() -> (items: [Int32], scores: [Double]) {
            cut()
            return (buffer.map(\.item), buffer.map(\.score))
        }

        mutating func reset() {
            buffer.removeAll(keepingCapacity: true)
            worstKept = nil
        }
    }

    /// Per-worker scratch of a scoring rule: an accumulator over all items with the list of items
    /// it touched (kept zero between users), and the mask of items the user may not be offered.
    public struct Scratch {
        public var sums: [Double]
        public var touched: [Int32] = []
        var excluded: [Bool]
        var top: TopK
        init(items: Int, k: Int) {
            sums = [Double](repeating: 0, count: items)
            excluded = [Bool](repeating: false, count: items)
            top = TopK(k: k)
        }
        /// Offers an item unless it is excluded for this user.
        @inline(__always) public mutating func offer(_ item: Int32, _ score: Double) {
            if !excluded[Int(item)] { top.offer(item, score) }
        }
        @inline(__always) public func isExcluded(_ item: Int32) -> Bool { excluded[Int(item)] }
        /// Offers every touched item with a positive sum, then zeroes the accumulator.
        public mutating func offerTouched() {
            for i in touched {
                let s = sums[Int(i)]
                if s > 0 { offer(i, s) }
                sums[Int(i)] = 0
            }
            touched.removeAll(keepingCapacity: true)
        }
    }

    /// Top-k lists for `users`: `score(u, &scratch)` offers candidates for user u; `excluded(u)`
    /// names items never to recommend to u.
    public static func lists(users: [Int], k: Int, itemCount: Int, excluded: (Int) -> [Int32], score: (Int, inout Scratch) -> Void) -> Lists {
        let chunks = (users.count + chunk - 1) / chunk
        var parts = [Lists](repeating: Lists(), count: chunks)
        parts.withUnsafeMutableBufferPointer { out in
            let out = out
            Parallel.perform(iterations: chunks) { c in
                var scratch = Scratch(items: itemCount, k: k)
                var part = Lists()
                for u in users[(c * chunk)..<min(users.count, (c + 1) * chunk)] {
                    let ex = excluded(u)
                    for i in ex { scratch.excluded[Int(i)] = true }
                    scratch.top.reset()
                    score(u, &scratch)
                    for i in ex { scratch.excluded[Int(i)] = false }
                    let best = scratch.top.finish()
                    part.users.append(u)
                    part.items += best.items
                    part.scores += best.scores
                    part.start.append(part.items.count)
                }
                out[c] = part
            }
        }
        var all = Lists()
        for p in parts {
            let base = all.items.count
            all.users += p.users
            all.items += p.items
            all.scores += p.scores
            all.start += p.start.dropFirst().map { $0 + base }
        }
        return all
    }
}
