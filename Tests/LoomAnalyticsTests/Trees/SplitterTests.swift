import Testing
@testable import LoomAnalytics

@Suite struct SplitterTests {
    /// A one-feature histogram with 4 bins (g, h, count) and an optional missing bin.
    func histogram(_ bins: [(Double, Double, Int)], missing: (Double, Double, Int)? = nil) -> (Histogram, HistogramBin) {
        var h = Histogram(features: 1)
        for (b, v) in bins.enumerated() { h.bins[b] = HistogramBin(sumGradients: v.0, sumHessians: v.1, count: v.2) }
        if let m = missing { h.bins[255] = HistogramBin(sumGradients: m.0, sumHessians: m.1, count: m.2) }
        return (h, h.totals())
    }

    let fourBins: [(Double, Double, Int)] = [(-2, 1, 2), (-1, 1, 2), (1, 1, 2), (2, 1, 2)]

    // By hand, lambda = 1, G = 0, H = 4: split after bin 0: 1/2 (4/2 + 4/4 - 0) = 1.5;
    // after bin 1: 1/2 (9/3 + 9/3) = 3; after bin 2: 1.5. Best: bin 1, gain 3.
    @Test func handComputedSplit() throws {
        let (h, total) = histogram(fourBins)
        let s = try #require(Splitter(l2: 1, minSamplesLeaf: 1, minHessian: 0)
            .bestSplit(histogram: h, binCounts: [4], total: total))
        #expect(s.feature == 0 && s.bin == 1)
        #expect(abs(s.gain - 3) < 1e-12)   // a few exact-ish float operations on small integers
        #expect(s.left == HistogramBin(sumGradients: -3, sumHessians: 2, count: 4))
        #expect(s.right == HistogramBin(sumGradients: 3, sumHessians: 2, count: 4))
        #expect(s.missingGoesLeft)         // no missing values: they follow the larger side (a tie goes left)
    }

    // Missing bin (g -4, h 2, n 2): G = -4, H = 6, parent score 16/7. Missing left after bin 1:
    // L = (-7, 4), R = (3, 2): 1/2 (49/5 + 9/3 - 16/7) = 5.2571..., the best of the seven candidates
    // (missing right at best 1.5238 for "non-missing | missing").
    @Test func missingValuesGoToTheBetterSide() throws {
        let (h, total) = histogram(fourBins, missing: (-4, 2, 2))
        let s = try #require(Splitter(l2: 1, minSamplesLeaf: 1, minHessian: 0)
            .bestSplit(histogram: h, binCounts: [4], total: total))
        #expect(s.bin == 1 && s.missingGoesLeft)
        #expect(abs(s.gain - 0.5 * (49.0 / 5 + 3 - 16.0 / 7)) < 1e-12)
        #expect(s.left.count == 6 && s.right.count == 4)
    }

    // minSamplesLeaf = 5 of 8 samples: no side can hold 5, so no split.
    @Test func minSamplesLeafForbidsSplits() {
        let (h, total) = histogram(fourBins)
        #expect(Splitter(l2: 1, minSamplesLeaf: 5, minHessian: 0).bestSplit(histogram: h, binCounts: [4], total: total) == nil)
        // minSamplesLeaf = 4 leaves only the middle split.
        let s = Splitter(l2: 1, minSamplesLeaf: 4, minHessian: 0).bestSplit(histogram: h, binCounts: [4], total: total)
        #expect(s?.bin == 1)
    }

    // min hessian 2.5: each side needs hessian >= 2.5 of 4, impossible.
    @Test func minHessianForbidsSplits() {
        let (h, total) = histogram(fourBins)
        #expect(Splitter(l2: 0, minSamplesLeaf: 1, minHessian: 2.5).bestSplit(histogram: h, binCounts: [4], total: total) == nil)
    }

    // Pure gradients of one sign in every bin with lambda = 0 give no positive gain only if the
    // gradient/hessian ratio is constant: every leaf value is then the same.
    @Test func noGainNoSplit() {
        let (h, total) = histogram([(1, 1, 5), (2, 2, 5), (3, 3, 5)])
        #expect(Splitter(l2: 0, minSamplesLeaf: 1, minHessian: 0).bestSplit(histogram: h, binCounts: [3], total: total) == nil)
    }

    // A forest's choice among per-feature candidates: the best of the first `count` features visited; when
    // none of them splits, the first later feature that does (even if a still later one would gain more).
    @Test func forestPickVisitsFeaturesInTheDrawnOrder() {
        func c(_ feature: Int, _ gain: Double) -> SplitCandidate {
            SplitCandidate(feature: feature, bin: 0, missingGoesLeft: false, gain: gain, left: HistogramBin(), right: HistogramBin())
        }
        let candidates: [SplitCandidate?] = [nil, c(1, 2), c(2, 5), nil]
        #expect(Splitter.pick(candidates, order: [0, 3, 1, 2], count: 2)?.feature == 1)
        #expect(Splitter.pick(candidates, order: [1, 2, 0, 3], count: 2)?.feature == 2)
        #expect(Splitter.pick(candidates, order: [1, 2, 0, 3], count: 1)?.feature == 1)
        #expect(Splitter.pick([nil, nil], order: [1, 0], count: 1) == nil)
    }
}
