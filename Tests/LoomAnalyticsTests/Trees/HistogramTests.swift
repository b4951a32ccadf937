import Testing
@testable import LoomAnalytics

@Suite struct HistogramTests {
    /// Random binned data: 3 features, 300 rows, bins 0..<6 plus a few missing.
    func sample() -> (BinnedMatrix, [SIMD2<Double>]) {
        var rng = SeededRandom(seed: 11)
        let rows = 300, features = 3
        let bins = (0..<(rows * features)).map { _ in rng.uniform() < 0.05 ? BinMapper.missingBin : UInt8(rng.int(below: 6)) }
        let g = (0..<rows).map { _ in SIMD2(rng.uniform() * 2 - 1, rng.uniform() * 0.25) }
        return (BinnedMatrix(rows: rows, columns: features, bins: bins), g)
    }

    func build(_ binned: BinnedMatrix, _ g: [SIMD2<Double>], _ idx: [Int32]?, parallel: Bool? = nil,
               gatherChunk: Int = Histogram.gatherChunk) -> Histogram {
        var h = Histogram(features: binned.columns)
        var scratch = [SIMD2<Double>](repeating: .zero, count: binned.rows)
        g.withUnsafeBufferPointer { gp in
            scratch.withUnsafeMutableBufferPointer { s in
                if let idx {
                    idx.withUnsafeBufferPointer { h.build(binned: binned, indices: $0, gradients: gp, ordered: s, parallel: parallel, gatherChunk: gatherChunk) }
                } else {
                    h.build(binned: binned, indices: nil, gradients: gp, ordered: s, parallel: parallel)
                }
            }
        }
        return h
    }

    // Direct sums by hand for one bin of one feature.
    @Test func binsHoldTheirSamples() {
        let (binned, g) = sample()
        let h = build(binned, g, nil)
        for f in 0..<3 {
            for b in [0, 3, 255] {
                let rows = (0..<300).filter { binned.bins[f * 300 + $0] == UInt8(b) }
                let bin = h.bins[f * Histogram.stride + b]
                #expect(bin.count == rows.count)
                #expect(bin.sumGradients == rows.reduce(0) { $0 + g[$1].x })   // same order of addition: exact
                #expect(bin.sumHessians == rows.reduce(0) { $0 + g[$1].y })
            }
        }
    }

    // Parent minus smaller child equals the sibling built directly. Counts are exact; sums differ only by
    // rounding of ~300 additions of terms of size <= 1 (error <= 300 * 2^-52 ~ 7e-14), so 1e-12 is generous.
    @Test func subtractionEqualsDirectHistogram() {
        let (binned, g) = sample()
        let left = (0..<300).filter { $0 % 3 == 0 || $0 % 7 == 0 }.map(Int32.init)
        let right = (0..<300).filter { !($0 % 3 == 0 || $0 % 7 == 0) }.map(Int32.init)
        var derived = build(binned, g, nil)
        derived.subtract(build(binned, g, left))
        let direct = build(binned, g, right)
        for (a, b) in zip(derived.bins, direct.bins) {
            #expect(a.count == b.count)
            #expect(abs(a.sumGradients - b.sumGradients) < 1e-12)
            #expect(abs(a.sumHessians - b.sumHessians) < 1e-12)
        }
    }

    // Threads never change a histogram: each feature is summed by one thread in sample order
    // (gathering in chunks of 7 rows is only a copy).
    @Test func parallelEqualsSerialBitForBit() {
        let (binned, g) = sample()
        let idx = (0..<300).filter { $0 % 2 == 1 }.map(Int32.init)
        #expect(build(binned, g, idx, parallel: true, gatherChunk: 7) == build(binned, g, idx, parallel: false))
        #expect(build(binned, g, nil, parallel: true) == build(binned, g, nil, parallel: false))
    }

    @Test func totalsCoverEveryFeature() {
        let (binned, g) = sample()
        let h = build(binned, g, nil)
        for f in 0..<3 { #expect(h.totals(feature: f).count == 300) }
    }
}
