import Foundation

/// k-means++ seeding (Arthur & Vassilvitskii 2007, "k-means++: the advantages of careful seeding"),
/// in scikit-learn's greedy form (`_kmeans_plusplus`): the first centre is a uniformly drawn row; each
/// next centre is the best of 2 + floor(ln k) candidates drawn with probability proportional to the
/// squared distance to the nearest centre so far (D^2 sampling), "best" meaning the lowest potential
/// (sum of squared distances to the nearest centre) once added.
enum KMeansPlusPlus {
    /// Number of candidates per centre in the greedy variant.
    static func localTrials(k: Int) -> Int { 2 + Int(Foundation.log(Double(k))) }

    /// k seed centres (row-major, k x columns) drawn from the rows of `x` with `random`.
    /// `rowNorms` are the squared norms of the rows (`squaredNorms(x)`).
    static func centres(_ x: Matrix, rowNorms: [Double], k: Int, random: inout SeededRandom) -> [Double] {
        let n = x.rows, d = x.columns
        var centres = [Double](repeating: 0, count: k * d)
        let first = random.int(below: n)
        centres.replaceSubrange(0..<d, with: x.values[(first * d)..<((first + 1) * d)])
        var closest = distances(x, rowNorms: rowNorms, candidates: [first], bound: nil)[0]
        var potential = chunkedSum(closest)
        let trials = localTrials(k: k)
        var cumulative = [Double](repeating: 0, count: n)
        for c in 1..<k {
            // D^2 sampling by inverting the cumulative distribution (numpy's searchsorted, side left).
            var running = 0.0
            for i in 0..<n {
                running += closest[i]
                cumulative[i] = running
            }
            let candidates = (0..<trials).map { _ in
                min(n - 1, firstIndex(in: cumulative, atLeast: random.uniform() * potential))
            }
            // Greedy step: keep the candidate that lowers the potential most (ties to the earlier draw).
            let withCandidate = distances(x, rowNorms: rowNorms, candidates: candidates, bound: closest)
            let potentials = withCandidate.map(chunkedSum)
            var best = 0
            for t in 1..<trials where potentials[t] < potentials[best] { best = t }
            potential = potentials[best]
            closest = withCandidate[best]
            let row = candidates[best]
            centres.replaceSubrange((c * d)..<((c + 1) * d), with: x.values[(row * d)..<((row + 1) * d)])
        }
        return centres
    }

    /// First index i with cumulative[i] >= value (cumulative is non-decreasing), or the count.
    static func firstIndex(in cumulative: [Double], atLeast value: Double) -> Int {
        var lo = 0, hi = cumulative.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// ||x_i||^2 for every row.
    static func squaredNorms(_ x: Matrix) -> [Double] {
        let d = x.columns
        return (0..<x.rows).map { i in
            var s = 0.0
            for t in 0..<d { s += x.values[i * d + t] * x.values[i * d + t] }
            return s
        }
    }

    /// For each candidate row, the squared distance of every row to it by the norm expansion (clamped
    /// at 0 against rounding), or the minimum of that and `bound[i]` when a bound is given.
    static func distances(_ x: Matrix, rowNorms: [Double], candidates: [Int], bound: [Double]?) -> [[Double]] {
        let n = x.rows, d = x.columns
        let rows = candidates.flatMap { x.values[($0 * d)..<(($0 + 1) * d)] }
        let block = CentreBlock(centres: rows, count: candidates.count, dimension: d)
        var out = [Double](repeating: 0, count: candidates.count * n)
        x.values.withUnsafeBufferPointer { xs in
            out.withUnsafeMutableBufferPointer { o in
                block.withPointers { lanes, norms in
                    guard let xBase = xs.baseAddress else { return }
                    RowChunks.forEach(rows: n) { _, range in
                        for i in range {
                            for b in 0..<block.blocks {
                                let s = block.scores(row: xBase + i * d, block: b, lanes: lanes, norms: norms)
                                for l in 0..<min(8, candidates.count - b * 8) {
                                    var dist = Swift.max(0, rowNorms[i] + s[l])
                                    if let bound { dist = Swift.min(dist, bound[i]) }
                                    o[(b * 8 + l) * n + i] = dist
                                }
                            }
                        }
                    }
                }
            }
        }
        return (0..<candidates.count).map { Array(out[($0 * n)..<(($0 + 1) * n)]) }
    }

    /// Sum of `values` as per-chunk partial sums added in chunk order (the same bits on any thread count).
    static func chunkedSum(_ values: [Double]) -> Double {
        let chunks = RowChunks.count(rows: values.count)
        var partial = [Double](repeating: 0, count: chunks)
        values.withUnsafeBufferPointer { v in
            partial.withUnsafeMutableBufferPointer { p in
                RowChunks.forEach(rows: values.count) { c, range in
                    var s = 0.0
                    for i in range { s += v[i] }
                    p[c] = s
                }
            }
        }
        return partial.reduce(0, +)
    }
}
