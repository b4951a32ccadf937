import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct ThresholdChoiceTests {
    // Scores 0.9 (1), 0.8 (0), 0.7 (1), 0.4 (1), 0.2 (0); 3 positives. F1 at thresholds, by hand:
    // 0.9: TP 1 FP 0 FN 2 -> 2/5; 0.8: 1, 1, 2 -> 2/6; 0.7: 2, 1, 1 -> 4/6; 0.4: 3, 1, 0 -> 6/7; 0.2: 3, 2, 0 -> 6/8.
    @Test func handComputed() throws {
        let c = try ThresholdChoice.maximizingF1(labels: [1, 0, 1, 1, 0], scores: [0.9, 0.8, 0.7, 0.4, 0.2])
        #expect(c.threshold == 0.4 && abs(c.f1 - 6.0 / 7) < 1e-15)
        // Equal F1 at two thresholds: 0.9 gives TP 1, FP 0, FN 1 -> 2/3 and 0.3 gives TP 2, FP 2, FN 0 -> 4/6 (the
        // same double); the higher threshold wins.
        let tie = try ThresholdChoice.maximizingF1(labels: [1, 0, 0, 1], scores: [0.9, 0.6, 0.5, 0.3])
        #expect(tie.threshold == 0.9 && tie.f1 == 2.0 / 3)
    }
}

@Suite struct PermutationImportanceTests {
    // A "model" that reads only column 0: shuffling column 1 changes nothing (importance exactly 0), and
    // shuffling column 0 destroys its ranking (AUC 1 -> about 0.5).
    @Test func unusedFeatureHasNoImportance() throws {
        var rng = SeededRandom(seed: 3)
        let n = 400
        let x = Matrix(rows: n, columns: 2, values: (0..<(2 * n)).map { _ in rng.uniform() })
        let y = (0..<n).map { x[$0, 0] > 0.5 ? 1.0 : 0.0 }
        let auc = { (m: Matrix) throws -> Double in try ClassifierMetrics.evaluate(labels: y, scores: (0..<n).map { m[$0, 0] }).rocAUC }
        let imp = try PermutationImportance.compute(x: x, repeats: 4, seed: 1, score: auc)
        #expect(imp[1].mean == 0 && imp[1].sd == 0)
        // A shuffled column is independent of y: AUC 0.5 +- ~0.03 (sd of a 400-row AUC), so the drop is 0.5 +- 0.1.
        #expect(abs(imp[0].mean - 0.5) < 0.1)
        let again = try PermutationImportance.compute(x: x, repeats: 4, seed: 1, score: auc)
        #expect(again.map(\.mean) == imp.map(\.mean))
    }
}
