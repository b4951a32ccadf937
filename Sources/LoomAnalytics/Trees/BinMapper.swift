import Foundation

/// Feature values mapped to small integer bins, stored column-major so that one feature's bins are
/// contiguous (histogram building reads one column at a time).
/// `bins[feature * rows + row]`; bin `BinMapper.missingBin` holds NaN.
struct BinnedMatrix: Sendable {
    let rows: Int
    let columns: Int
    let bins: [UInt8]
}

/// Quantile binning of features for histogram gradient boosting, after scikit-learn's
/// `_hist_gradient_boosting/binning.py` (`_find_binning_thresholds`).
///
/// Per feature, the thresholds `t[0] < t[1] < ...` split the real line into at most `maxBins` bins:
/// a value `x` goes to bin `k` = the number of thresholds strictly below `x`, so bin `k` holds
/// `t[k-1] < x <= t[k]`. A split "bin <= k" is therefore the raw-unit test "x <= t[k]".
/// NaN goes to `missingBin` (255), whatever `maxBins` is. (Internal: a fitted model keeps only the raw
/// thresholds its splits use, so the mapper is never saved.)
struct BinMapper: Equatable, Sendable {
    /// The bin of missing values (NaN), for every feature.
    static let missingBin: UInt8 = 255
    /// Rows used to find thresholds; larger inputs are subsampled (as scikit-learn does, 2e5).
    static let subsampleSize = 200_000

    /// Bin thresholds per feature, ascending and distinct (raw units).
    let thresholds: [[Double]]

    /// Number of non-missing bins of each feature (thresholds + 1).
    var binCounts: [Int] { thresholds.map { $0.count + 1 } }

    init(thresholds: [[Double]]) {
        precondition(thresholds.allSatisfy { $0.count < Int(Self.missingBin) && $0 == $0.sorted() },
                     "BinMapper: at most 254 ascending thresholds per feature")
        self.thresholds = thresholds
    }

    /// Finds up to `maxBins` (2...255) bins per column of `x` from the distinct values when there are few
    /// enough, or else from quantiles. Rows beyond `subsampleSize` are subsampled with `seed`.
    static func fit(_ x: Matrix, maxBins: Int, seed: UInt64) -> BinMapper {
        fitTransform(FeatureColumns(x), maxBins: maxBins, seed: seed).mapper
    }

    /// `fit` and `transform` of the same features in one pass over the columns: each column is made
    /// once (one per task, so at most one column per thread besides the bins), its thresholds found
    /// and its values binned.
    static func fitTransform(_ x: FeatureColumns, maxBins: Int, seed: UInt64) -> (mapper: BinMapper, binned: BinnedMatrix) {
        precondition((2...255).contains(maxBins), "BinMapper.fit: maxBins must be in 2...255")
        let n = x.rows, m = x.count
        var sample: [Int]? = nil
        if n > subsampleSize {
            var rows = Array(0..<n)
            var rng = SeededRandom(seed: seed)
            rng.shuffle(&rows)
            sample = Array(rows.prefix(subsampleSize)).sorted()
        }
        var t = [[Double]](repeating: [], count: m)
        var bins = [UInt8](repeating: 0, count: n * m)
        t.withUnsafeMutableBufferPointer { thresholdsOut in
            bins.withUnsafeMutableBufferPointer { binsOut in
                let (tOut, bOut) = (thresholdsOut, binsOut)
                // One column per task: each column's thresholds depend on that column only.
                Parallel.perform(iterations: m) { j in
                    let column = x.column(j)
                    let found = thresholds(of: sample.map { $0.map { column[$0] } } ?? column, maxBins: maxBins)
                    tOut[j] = found
                    if let base = bOut.baseAddress { bin(column, thresholds: found, into: base + j * n) }   // nil: no rows
                }
            }
        }
        return (BinMapper(thresholds: t), BinnedMatrix(rows: n, columns: m, bins: bins))
    }

    /// Thresholds of one column: midpoints between consecutive distinct values when there are at most
    /// `maxBins` of them, else the `maxBins - 1` inner quantiles (numpy "midpoint" percentile method), deduplicated.
    static func thresholds(of column: [Double], maxBins: Int) -> [Double] {
        let sorted = radixSorted(column.filter { !$0.isNaN })
        guard !sorted.isEmpty else { return [] }
        var distinct = [sorted[0]]
        for v in sorted.dropFirst() where v != distinct[distinct.count - 1] { distinct.append(v) }
        var out = [Double]()
        if distinct.count <= maxBins {
            for k in 1..<max(distinct.count, 1) { out.append(midpoint(distinct[k - 1], distinct[k])) }
            return out
        }
        let n = sorted.count
        for q in 1..<maxBins {
            // numpy percentile, method="midpoint": average of the values at floor and ceil of q/maxBins * (n-1).
            let position = Double(q) / Double(maxBins) * Double(n - 1)
            let lo = Int(position.rounded(.down)), hi = Int(position.rounded(.up))
            let value = midpoint(sorted[lo], sorted[min(hi, n - 1)])
            if out.isEmpty || value > out[out.count - 1] { out.append(value) }
        }
        // A threshold at the column maximum would leave the last bin empty: drop it.
        while let last = out.last, last >= sorted[n - 1] { out.removeLast() }
        return out
    }

    /// The values in ascending order (no NaN): an LSD radix sort on order-preserving integer keys
    /// (flip all bits of negatives, the sign bit of the rest), 11 bits per pass. Several times faster
    /// than a comparison sort on the 200,000-value columns binning sees; equal doubles stay equal
    /// (only -0 sorts before +0, which compare equal anyway).
    static func radixSorted(_ values: [Double]) -> [Double] {
        var keys = values.map { v -> UInt64 in
            let b = v.bitPattern
            return b >> 63 == 1 ? ~b : b | (1 << 63)
        }
        var buffer = keys
        var counts = [Int](repeating: 0, count: 2048)
        for shift in stride(from: 0, to: 64, by: 11) {
            for b in 0..<2048 { counts[b] = 0 }
            for k in keys { counts[Int((k >> UInt64(shift)) & 2047)] += 1 }
            if counts.contains(keys.count) { continue }          // every key has this digit: nothing to do
            var total = 0
            for b in 0..<2048 { (counts[b], total) = (total, total + counts[b]) }
            for k in keys {
                let d = Int((k >> UInt64(shift)) & 2047)
                buffer[counts[d]] = k
                counts[d] += 1
            }
            swap(&keys, &buffer)
        }
        return keys.map { k in Double(bitPattern: k >> 63 == 1 ? k & ~(1 << 63) : ~k) }
    }

    /// (a + b) / 2 without overflow for huge magnitudes.
    private static func midpoint(_ a: Double, _ b: Double) -> Double { a / 2 + b / 2 }

    /// Bin of one value of `feature`: NaN -> `missingBin`, else the number of thresholds below `x`.
    func bin(_ x: Double, feature: Int) -> UInt8 {
        if x.isNaN { return Self.missingBin }
        let t = thresholds[feature]
        var lo = 0, hi = t.count                    // invariant: t[..<lo] < x, t[hi...] >= x
        while lo < hi {
            let mid = (lo + hi) / 2
            if t[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return UInt8(lo)
    }

    /// Bins every value of `x`, column-major. `x` must have as many columns as the mapper has features.
    func transform(_ x: Matrix) -> BinnedMatrix {
        precondition(x.columns == thresholds.count, "BinMapper.transform: column count differs from the fit")
        let n = x.rows, m = x.columns
        var bins = [UInt8](repeating: 0, count: n * m)
        bins.withUnsafeMutableBufferPointer { buffer in
            let out = buffer
            Parallel.perform(iterations: m) { j in     // one column per task
                if let base = out.baseAddress { Self.bin(x.column(j), thresholds: thresholds[j], into: base + j * n) }   // nil: no rows
            }
        }
        return BinnedMatrix(rows: n, columns: m, bins: bins)
    }

    /// The bins of one column's values (`column.count` of them written from `out` on).
    static func bin(_ column: [Double], thresholds: [Double], into out: UnsafeMutablePointer<UInt8>) {
        // Thresholds padded with +infinity to 255 entries, so that a branch-free binary search of
        // fixed depth (8 halvings of 256) counts the thresholds below x.
        var padded = [Double](repeating: .infinity, count: 256)
        for (k, t) in thresholds.enumerated() { padded[k] = t }
        padded.withUnsafeBufferPointer { t in
            column.withUnsafeBufferPointer { v in
                for i in 0..<v.count {
                    let x = v[i]
                    var lo = 0                            // invariant: t[..<lo] < x
                    var step = 128
                    while step > 0 {
                        lo &+= t[lo &+ step &- 1] < x ? step : 0
                        step >>= 1
                    }
                    out[i] = x.isNaN ? missingBin : UInt8(truncatingIfNeeded: lo)
                }
            }
        }
    }
}
