import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct DecisionTreeTests {
    /// x0 <= 0.5 (NaN left) -> 1.0; else x1 <= 2 (NaN right) -> 2.0, else 3.0.
    let tree = DecisionTree(nodes: [
        .init(feature: 0, threshold: 0.5, bin: 1, missingGoesLeft: true, left: 1, right: 2, value: 0, gain: 4, samples: 10),
        .leaf(value: 1, samples: 4),
        .init(feature: 1, threshold: 2, bin: 0, missingGoesLeft: false, left: 3, right: 4, value: 0, gain: 1, samples: 6),
        .leaf(value: 2, samples: 3),
        .leaf(value: 3, samples: 3),
    ])

    @Test func rawPredictionsFollowThresholds() {
        let x = Matrix(rowArrays: [[0.5, 9], [.nan, 9], [0.6, 2], [0.6, 2.1], [0.6, .nan], [-.infinity, 0]])
        var scores = [Double](repeating: 10, count: x.rows)
        tree.addPredictions(x, to: &scores)
        #expect(scores == [11, 11, 12, 13, 13, 11])
        #expect(tree.leafCount == 3)
    }

    // Binned rows: bin <= node.bin goes left, the missing bin follows missingGoesLeft.
    @Test func binnedPredictionsFollowBins() {
        let binned = BinnedMatrix(rows: 4, columns: 2, bins: [1, BinMapper.missingBin, 2, 2, /* x1: */ 5, 5, 0, BinMapper.missingBin])
        var scores = [Double](repeating: 0, count: 4)
        tree.addPredictions(binned, to: &scores)
        #expect(scores == [1, 1, 2, 3])
    }

    @Test func jsonRoundTrip() throws {
        let data = try JSONEncoder().encode(tree)
        #expect(try JSONDecoder().decode(DecisionTree.self, from: data) == tree)
    }
}
