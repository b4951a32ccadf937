import Foundation

/// The best split of one node: samples with `bin <= bin` go left, missing values (bin 255) go left iff
/// `missingGoesLeft`, with the gradient sums of both sides.
struct SplitCandidate: Equatable, Sendable {
    var feature: Int
    var bin: Int
    var missingGoesLeft: Bool
    var gain: Double
    var left: HistogramBin
    var right: HistogramBin

    /// Whether a sample in bin `b` goes to the left child.
    @inline(__always)
    func goesLeft(_ b: UInt8) -> Bool {
        b == BinMapper.missingBin ? missingGoesLeft : Int(b) <= bin
    }
}

/// Finds the best split of a node from its histogram, after scikit-learn's `splitting.pyx`, with the
/// second-order gain of XGBoost (Chen & Guestrin 2016, eq. 7, gamma = 0):
///
///     gain = 1/2 [ G_L^2 / (H_L + lambda) + G_R^2 / (H_R + lambda) - G^2 / (H + lambda) ]
///
/// A side must hold at least `minSamplesLeaf` samples and `minHessian` hessian. Missing values are tried on
/// both sides and go where the gain is larger; a node without missing values sends them to the larger side.
struct Splitter: Sendable {
    var l2: Double
    var minSamplesLeaf: Int
    var minHessian: Double

    /// `score(G, H) = G^2 / (H + lambda)`: twice the loss reduction of the optimal leaf value
    /// `-G / (H + lambda)` (Chen & Guestrin 2016, eqs. 5-6).
    @inline(__always)
    func score(_ g: Double, _ h: Double) -> Double { g * g / (h + l2) }

    /// The best split over all features with a positive gain, or nil. Features are tried in order and a
    /// later one wins only with a strictly larger gain, so ties go to the lower feature and bin.
    func bestSplit(histogram: Histogram, binCounts: [Int], total: HistogramBin) -> SplitCandidate? {
        var best: SplitCandidate?
        histogram.bins.withUnsafeBufferPointer { all in
            for f in 0..<binCounts.count {
                let hist = UnsafeBufferPointer(rebasing: all[(f * Histogram.stride)..<((f + 1) * Histogram.stride)])
                if let c = bestSplit(feature: f, hist: hist, binCount: binCounts[f], total: total),
                   c.gain > (best?.gain ?? 0) {
                    best = c
                }
            }
        }
        return best
    }

    /// The best splits of several nodes at once (`nil` where none has a positive gain). Every (node, feature)
    /// pair is one task; each node's candidates are then compared in feature order exactly as in
    /// `bestSplit(histogram:binCounts:total:)`, so the answer never depends on the thread count.
    func bestSplits(_ nodes: [(histogram: Histogram, total: HistogramBin)], binCounts: [Int]) -> [SplitCandidate?] {
        candidates(nodes, binCounts: binCounts).map { perFeature in
            var best: SplitCandidate?
            for c in perFeature { if let c, c.gain > (best?.gain ?? 0) { best = c } }
            return best
        }
    }

    /// Every feature's best split of each node (`[node][feature]`, nil where the feature has no
    /// positive-gain split). Every (node, feature) pair is one task writing its own slot.
    func candidates(_ nodes: [(histogram: Histogram, total: HistogramBin)], binCounts: [Int]) -> [[SplitCandidate?]] {
        let features = binCounts.count
        var perFeature = [SplitCandidate?](repeating: nil, count: nodes.count * features)
        perFeature.withUnsafeMutableBufferPointer { buffer in
            let out = buffer
            Parallel.perform(iterations: nodes.count * features) { task in
                let (n, f) = task.quotientAndRemainder(dividingBy: features)
                nodes[n].histogram.bins.withUnsafeBufferPointer { all in
                    let hist = UnsafeBufferPointer(rebasing: all[(f * Histogram.stride)..<((f + 1) * Histogram.stride)])
                    out[task] = bestSplit(feature: f, hist: hist, binCount: binCounts[f], total: nodes[n].total)
                }
            }
        }
        return (0..<nodes.count).map { n in Array(perFeature[(n * features)..<((n + 1) * features)]) }
    }

    /// A random forest's choice among one node's per-feature candidates (Breiman 2001; the rule of
    /// scikit-learn's `BestSplitter` with `max_features`): the features are visited in `order` (a
    /// random permutation) and the best split among the first `count` is taken; if none of those
    /// has a split, the visit goes on to the first later feature that has one. Ties go to the
    /// feature visited first.
    static func pick(_ candidates: [SplitCandidate?], order: [Int], count: Int) -> SplitCandidate? {
        var best: SplitCandidate?
        for (k, f) in order.enumerated() {
            if k >= count && best != nil { break }
            if let c = candidates[f], c.gain > (best?.gain ?? 0) { best = c }
        }
        return best
    }

    /// The best split of one feature. Scans the bins left to right with missing values on the right,
    /// then (if the node has any) again with them on the left.
    func bestSplit(feature: Int, hist: UnsafeBufferPointer<HistogramBin>, binCount: Int,
                   total: HistogramBin) -> SplitCandidate? {
        let missing = hist[Int(BinMapper.missingBin)]
        let parentScore = score(total.sumGradients, total.sumHessians)
        var best: SplitCandidate?
        for pass in 0..<(missing.count > 0 ? 2 : 1) {
            let missingLeft = pass == 1
            var left = missingLeft ? missing : HistogramBin()
            // Missing on the right may also split "every non-missing bin | missing" (b = binCount - 1).
            let lastBin = missingLeft || missing.count == 0 ? binCount - 2 : binCount - 1
            guard lastBin >= 0 else { continue }
            for b in 0...lastBin {
                left.sums += hist[b].sums
                left.count += hist[b].count
                let rightCount = total.count - left.count
                if left.count < minSamplesLeaf { continue }
                if rightCount < minSamplesLeaf { break }
                let right = HistogramBin(sums: total.sums - left.sums, count: rightCount)
                if left.sumHessians < minHessian || right.sumHessians < minHessian { continue }
                // A side without curvature (possible with minHessian = lambda = 0) has no finite leaf value.
                if left.sumHessians + l2 <= 0 || right.sumHessians + l2 <= 0 { continue }
                let gain = 0.5 * (score(left.sumGradients, left.sumHessians)
                                  + score(right.sumGradients, right.sumHessians) - parentScore)
                if gain > (best?.gain ?? 0) {
                    let goesLeft = missing.count > 0 ? missingLeft : left.count >= rightCount
                    best = SplitCandidate(feature: feature, bin: b, missingGoesLeft: goesLeft, gain: gain,
                                          left: left, right: right)
                }
            }
        }
        return best
    }
}
