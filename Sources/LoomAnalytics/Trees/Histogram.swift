import Foundation

/// Sums of gradients and hessians (one SIMD pair, so that a sample updates both with one add) and the
/// sample count of one bin of one feature.
struct HistogramBin: Equatable, Sendable {
    /// (sum of gradients, sum of hessians).
    var sums: SIMD2<Double> = .zero
    var count: Int = 0

    var sumGradients: Double { sums.x }
    var sumHessians: Double { sums.y }

    init(sums: SIMD2<Double> = .zero, count: Int = 0) {
        self.sums = sums
        self.count = count
    }

    init(sumGradients: Double, sumHessians: Double, count: Int) {
        self.init(sums: SIMD2(sumGradients, sumHessians), count: count)
    }
}

/// Gradient histograms of one tree node over every feature: `bins[feature * Histogram.stride + bin]`,
/// after scikit-learn's `_hist_gradient_boosting/histogram.pyx`. Every feature gets 256 slots so that bin
/// `BinMapper.missingBin` (255) has a fixed place.
///
/// Determinism: each feature's histogram is summed by one thread in sample order, so the result does
/// not depend on how many threads run.
struct Histogram: Equatable, Sendable {
    static let stride = 256
    /// Below this many bin updates (samples x features) a node's histogram is built on one thread:
    /// the dispatch costs more than it saves. Results do not depend on it.
    static let parallelThreshold = 32_768
    /// Rows per task when gathering a node's gradients.
    static let gatherChunk = 16_384

    var bins: [HistogramBin]

    init(features: Int) {
        bins = [HistogramBin](repeating: HistogramBin(), count: features * Self.stride)
    }

    /// Builds the histogram of the samples `indices` (all rows in order when nil) from binned columns.
    /// `gradients[i]` is (gradient, hessian) of row `i`; `ordered` is scratch of at least `indices.count`
    /// into which the node's pairs are first gathered contiguously (as scikit-learn does). `parallel`
    /// overrides the size rule and `gatherChunk` the rows per gathering task (for tests; neither changes the result).
    mutating func build(
        binned: BinnedMatrix, indices: UnsafeBufferPointer<Int32>?,
        gradients: UnsafeBufferPointer<SIMD2<Double>>, ordered: UnsafeMutableBufferPointer<SIMD2<Double>>,
        parallel: Bool? = nil, gatherChunk: Int = Histogram.gatherChunk
    ) {
        let count = indices?.count ?? binned.rows
        var g = gradients
        let features = binned.columns, rows = binned.rows
        let parallel = parallel ?? (count * features >= Self.parallelThreshold)
        if let indices {
            // A pure copy, so splitting it into chunks cannot change any result.
            let chunks = parallel ? (count + gatherChunk - 1) / gatherChunk : 1
            let size = parallel ? gatherChunk : count
            Parallel.perform(iterations: chunks) { c in
                for k in (c * size)..<min(count, (c + 1) * size) { ordered[k] = gradients[Int(indices[k])] }
            }
            g = UnsafeBufferPointer(rebasing: ordered[0..<count])
        }
        // Features go in pairs so that a sample's index and gradients are loaded once for two updates.
        let pairs = (features + 1) / 2
        bins.withUnsafeMutableBufferPointer { buffer in
            let out = buffer
            binned.bins.withUnsafeBufferPointer { all in
                guard let base = all.baseAddress, let outBase = out.baseAddress else { return }
                let run = { (pair: Int) in
                    let f = 2 * pair
                    let second = f + 1 < features
                    Self.accumulate(
                        columns: (base + f * rows, base + (second ? f + 1 : f) * rows),
                        indices: indices, gradients: g,
                        into: (outBase + f * Self.stride, second ? outBase + (f + 1) * Self.stride : nil))
                }
                if parallel {
                    Parallel.perform(iterations: pairs, run)
                } else {
                    for p in 0..<pairs { run(p) }
                }
            }
        }
    }

    /// One or two features: zero their 256 bins, then add each sample's gradient pair to its bin.
    /// `gradients[k]` belongs to sample `indices[k]` (or row `k` when `indices` is nil).
    @inline(__always)
    static func accumulate(
        columns: (UnsafePointer<UInt8>, UnsafePointer<UInt8>), indices: UnsafeBufferPointer<Int32>?,
        gradients: UnsafeBufferPointer<SIMD2<Double>>,
        into hist: (UnsafeMutablePointer<HistogramBin>, UnsafeMutablePointer<HistogramBin>?)
    ) {
        guard let gp = gradients.baseAddress else { return }
        let (c0, c1) = columns, h0 = hist.0
        let n = gradients.count
        h0.update(repeating: HistogramBin(), count: stride)
        if let h1 = hist.1 {
            h1.update(repeating: HistogramBin(), count: stride)
            if let ip = indices?.baseAddress {
                for k in 0..<n {
                    let i = Int(ip[k]), v = gp[k]
                    let b0 = Int(c0[i]), b1 = Int(c1[i])
                    h0[b0].sums += v; h0[b0].count &+= 1
                    h1[b1].sums += v; h1[b1].count &+= 1
                }
            } else {
                for k in 0..<n {
                    let v = gp[k]
                    let b0 = Int(c0[k]), b1 = Int(c1[k])
                    h0[b0].sums += v; h0[b0].count &+= 1
                    h1[b1].sums += v; h1[b1].count &+= 1
                }
            }
        } else if let ip = indices?.baseAddress {
            for k in 0..<n {
                let b0 = Int(c0[Int(ip[k])])
                h0[b0].sums += gp[k]; h0[b0].count &+= 1
            }
        } else {
            for k in 0..<n {
                let b0 = Int(c0[k])
                h0[b0].sums += gp[k]; h0[b0].count &+= 1
            }
        }
    }

    /// Turns the parent's histogram into the larger child's: `self -= child` bin by bin, where `child` is
    /// the smaller child built from its samples (the subtraction trick of LightGBM, Ke et al. 2017):
    /// only the smaller child of each split is ever summed from samples.
    mutating func subtract(_ child: Histogram) {
        precondition(child.bins.count == bins.count, "Histogram.subtract: sizes differ")
        bins.withUnsafeMutableBufferPointer { p in
            child.bins.withUnsafeBufferPointer { c in
                for i in 0..<p.count {
                    p[i].sums -= c[i].sums
                    p[i].count -= c[i].count
                }
            }
        }
    }

    /// Total gradient, hessian and count of the node (summed over one feature's bins, which all hold every sample).
    func totals(feature: Int = 0) -> HistogramBin {
        var t = HistogramBin()
        for b in (feature * Self.stride)..<((feature + 1) * Self.stride) {
            t.sums += bins[b].sums
            t.count += bins[b].count
        }
        return t
    }
}
