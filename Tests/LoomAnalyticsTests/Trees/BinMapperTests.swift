import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct BinMapperTests {
    // Few distinct values: thresholds are the midpoints between consecutive distinct values.
    @Test func distinctValuesGiveMidpoints() {
        let x = Matrix(rowArrays: [[3], [1], [2], [.nan], [2], [5]])
        let mapper = BinMapper.fit(x, maxBins: 255, seed: 0)
        #expect(mapper.thresholds == [[1.5, 2.5, 4]])
        #expect(mapper.binCounts == [4])
        let binned = mapper.transform(x)
        #expect(binned.bins == [2, 0, 1, BinMapper.missingBin, 1, 3])
    }

    // A value equal to a threshold goes to the lower bin (bin k holds t[k-1] < x <= t[k]).
    @Test func thresholdValueGoesLeft() {
        let mapper = BinMapper(thresholds: [[1.5, 2.5, 4]])
        #expect(mapper.bin(1.5, feature: 0) == 0)
        #expect(mapper.bin(1.5000001, feature: 0) == 1)
        #expect(mapper.bin(-.infinity, feature: 0) == 0)
        #expect(mapper.bin(.infinity, feature: 0) == 3)
        #expect(mapper.bin(.nan, feature: 0) == BinMapper.missingBin)
    }

    // Many distinct values: numpy's percentile(method="midpoint") of 0...999 at 25/50/75% is the
    // midpoint of the values at floor and ceil of q * 999: 249.5, 499.5, 749.5; each bin gets 250 values.
    @Test func quantileThresholds() {
        let x = Matrix(rows: 1000, columns: 1, values: (0..<1000).map { Double($0) })
        let mapper = BinMapper.fit(x, maxBins: 4, seed: 0)
        #expect(mapper.thresholds == [[249.5, 499.5, 749.5]])
        let bins = mapper.transform(x).bins
        for b in 0..<4 { #expect(bins.filter { $0 == UInt8(b) }.count == 250) }
    }

    // Heavy ties: with 90 zeros among 100 values every inner quantile (positions 19.8, 39.6, 59.4, 79.2)
    // is 0, so the repeated thresholds collapse to one (as in scikit-learn); a constant column has one bin.
    @Test func tiesAndConstantColumns() {
        let values = (0..<100).map { $0 < 90 ? 0.0 : Double($0) }     // 90 zeros, then 90...99
        let x = Matrix(rows: 100, columns: 2, values: zip(values, [Double](repeating: 7, count: 100)).flatMap { [$0, $1] })
        let mapper = BinMapper.fit(x, maxBins: 5, seed: 0)
        #expect(mapper.thresholds[1] == [])
        #expect(mapper.thresholds[0] == [0])
        #expect(mapper.transform(x).bins[100..<200].allSatisfy { $0 == 0 })
    }

    // Column-major layout: bins[feature * rows + row].
    @Test func columnMajorLayout() {
        let x = Matrix(rowArrays: [[0, 10], [1, 11], [2, 12]])
        let binned = BinMapper.fit(x, maxBins: 255, seed: 0).transform(x)
        #expect(binned.bins == [0, 1, 2, 0, 1, 2])
    }

    // The radix sort agrees with the standard sort on signs, zeros, infinities, subnormals and ties.
    @Test func radixSortMatchesSort() {
        var rng = SeededRandom(seed: 3)
        var v = (0..<5000).map { _ in (rng.uniform() - 0.5) * pow(10, Double(rng.int(below: 40)) - 20) }
        v += [0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .greatestFiniteMagnitude, 1, 1, 1]
        let r = BinMapper.radixSorted(v)
        #expect(r.elementsEqual(v.sorted(), by: ==))     // == : -0 and +0 are equal
    }
}
