import Foundation

/// The silhouette score (Rousseeuw 1987, "Silhouettes: a graphical aid to the interpretation and
/// validation of cluster analysis"): the mean over rows of s(i) = (b - a) / max(a, b), where a is the
/// mean Euclidean distance from row i to the other rows of its cluster and b the lowest mean distance
/// to the rows of another cluster; s(i) = 0 for a row alone in its cluster (as scikit-learn).
public enum Silhouette {
    /// Above this many rows the score is computed on a seeded random sample of this many rows (as
    /// scikit-learn's `silhouette_score(sample_size=)`): the exact score costs O(rows^2).
    public static let defaultSampleSize = 2000

    /// Silhouette score of `labels` (one cluster index >= 0 per row of `x`), in [-1, 1], higher is better.
    /// When `x` has more than `sampleSize` rows, it is computed on `sampleSize` rows drawn without
    /// replacement with `SeededRandom(seed: seed, stream: Silhouette.stream)`.
    ///
    /// Throws `.invalidInput` when the scored rows fall in fewer than two clusters (the score is then
    /// undefined). `labels.count` must equal `x.rows` (a programmer error otherwise).
    public static func score(_ x: Matrix, labels: [Int], sampleSize: Int = defaultSampleSize, seed: UInt64 = 0) throws -> Double {
        precondition(labels.count == x.rows && labels.allSatisfy { $0 >= 0 }, "silhouette: one label >= 0 per row")
        precondition(sampleSize >= 2, "silhouette: sampleSize >= 2")
        let rows = sample(rows: x.rows, size: sampleSize, seed: seed)
        let sub = rows.count == x.rows ? x : x.selectingRows(rows)
        let subLabels = rows.map { labels[$0] }
        let k = (subLabels.max() ?? 0) + 1
        var counts = [Int](repeating: 0, count: k)
        for l in subLabels { counts[l] += 1 }
        guard counts.filter({ $0 > 0 }).count >= 2 else {
            throw AnalyticsError.invalidInput(what: "silhouette of a clustering with fewer than two non-empty clusters",
                                              expected: "rows in at least two clusters")
        }
        let s = values(sub, labels: subLabels, counts: counts)
        return s.reduce(0, +) / Double(s.count)
    }

    /// Stream of the sampling generator (restarts of `KMeans.fit` use streams 0..<nInit).
    public static let stream: UInt64 = 0x5111_4E77

    /// All row indices if there are at most `size`, otherwise `size` distinct indices in increasing order
    /// (a partial Fisher-Yates shuffle).
    static func sample(rows: Int, size: Int, seed: UInt64) -> [Int] {
        guard rows > size else { return Array(0..<rows) }
        var random = SeededRandom(seed: seed, stream: stream)
        var all = Array(0..<rows)
        for i in 0..<size { all.swapAt(i, i + random.int(below: rows - i)) }
        return all[0..<size].sorted()
    }

    /// s(i) for every row; rows in fixed chunks of 64 run in parallel, each writing only its own s(i).
    static func values(_ x: Matrix, labels: [Int], counts: [Int]) -> [Double] {
        let n = x.rows, d = x.columns, k = counts.count
        var s = [Double](repeating: 0, count: n)
        x.values.withUnsafeBufferPointer { xs in
            s.withUnsafeMutableBufferPointer { out in
                guard let base = xs.baseAddress else { return }
                RowChunks.forEach(rows: n, size: 64) { _, range in
                    var sums = [Double](repeating: 0, count: k)
                    for i in range {
                        for j in 0..<k { sums[j] = 0 }
                        for m in 0..<n where m != i {
                            sums[labels[m]] += Lloyd.squaredDistance(base + i * d, base + m * d, d).squareRoot()
                        }
                        let own = labels[i]
                        guard counts[own] > 1 else { out[i] = 0; continue }
                        let a = sums[own] / Double(counts[own] - 1)
                        var b = Double.infinity
                        for j in 0..<k where j != own && counts[j] > 0 { b = Swift.min(b, sums[j] / Double(counts[j])) }
                        let m = Swift.max(a, b)
                        out[i] = m > 0 ? (b - a) / m : 0
                    }
                }
            }
        }
        return s
    }
}
