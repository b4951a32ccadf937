import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct ClassifierMetricsTests {
    // Exact binary fractions or a handful of roundings: 1e-12 leaves room only for summation order.
    let tight = 1e-12

    // Ranks 1, 3, 2, 4 (ascending); positives hold ranks 2 and 4: (6 - 3) / (2 * 2) = 0.75.
    @Test func aucHandComputed() throws {
        let r = try ClassifierMetrics.evaluate(labels: [0, 0, 1, 1], scores: [0.1, 0.4, 0.35, 0.8])
        #expect(abs(r.rocAUC - 0.75) < tight)
        // Descending: (P 1, R 1/2), (P 1/2, R 1/2), (P 2/3, R 1), (P 1/2, R 1): AP = 1/2 + 1/2 * 2/3.
        #expect(abs(r.averagePrecision - (0.5 + 1.0 / 3)) < tight)
    }

    // Pairs (pos, neg): 0.5 vs 0.1 wins, 0.5 vs 0.5 ties (1/2), 0.9 wins twice: 3.5 / 4.
    @Test func aucTiesCountOneHalf() throws {
        let r = try ClassifierMetrics.evaluate(labels: [0, 0, 1, 1], scores: [0.1, 0.5, 0.5, 0.9])
        #expect(abs(r.rocAUC - 0.875) < tight)
        let allTied = try ClassifierMetrics.evaluate(labels: [0, 1, 0, 1], scores: [2, 2, 2, 2])
        #expect(allTied.rocAUC == 0.5)
        // One distinct threshold: the ROC curve is the origin and (1, 1).
        #expect(allTied.rocCurve == [ROCPoint(threshold: nil, falsePositiveRate: 0, truePositiveRate: 0),
                                     ROCPoint(threshold: 2, falsePositiveRate: 1, truePositiveRate: 1)])
    }

    // The same rows scored by scikit-learn 1.9.1:
    //   from sklearn.metrics import average_precision_score, roc_auc_score, log_loss
    //   y=[0,1,1,0,1,0,0,1,1,0,0,1]; s=[0.2,0.9,0.6,0.6,0.3,0.1,0.75,0.75,0.5,0.4,0.3,0.95]
    //   average_precision_score(y,s) -> 0.7884920634920634, roc_auc_score -> 0.7916666666666667,
    //   log_loss -> 0.5292392682349861
    // Tolerance 1e-12: the same sums in a possibly different order.
    @Test func matchesScikitLearn() throws {
        let y: [Double] = [0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 0, 1]
        let s = [0.2, 0.9, 0.6, 0.6, 0.3, 0.1, 0.75, 0.75, 0.5, 0.4, 0.3, 0.95]
        let r = try ClassifierMetrics.evaluate(labels: y, scores: s)
        #expect(abs(r.averagePrecision - 0.7884920634920634) < tight)
        #expect(abs(r.rocAUC - 0.7916666666666667) < tight)
        #expect(abs(try #require(r.logLoss) - 0.5292392682349861) < tight)
    }

    // Reversing the order of scores swaps wins and losses; ties stay halves.
    @Test func reversedScoresGiveOneMinusAUC() throws {
        var rng = SeededRandom(seed: 7)
        let y = (0..<200).map { i in Double(i % 3 == 0 ? 1 : 0) }
        let s = (0..<200).map { _ in (rng.uniform() * 20).rounded() / 20 }   // coarse: many ties
        let a = try ClassifierMetrics.evaluate(labels: y, scores: s).rocAUC
        let b = try ClassifierMetrics.evaluate(labels: y, scores: s.map { -$0 }).rocAUC
        #expect(abs(a + b - 1) < tight)
    }

    @Test func logLossAndBrierByHand() throws {
        let r = try ClassifierMetrics.evaluate(labels: [1, 0], scores: [0.8, 0.4])
        #expect(abs(try #require(r.logLoss) - -(log(0.8) + log(0.6)) / 2) < tight)
        #expect(abs(try #require(r.brierScore) - (0.04 + 0.16) / 2) < tight)
        // A certain wrong answer is clipped to -log(1e-15), not infinity.
        let clipped = try ClassifierMetrics.evaluate(labels: [1, 0], scores: [0, 0])
        #expect(abs(try #require(clipped.logLoss) - -log(1e-15) / 2) < 1e-9)
        // Scores outside [0, 1] are margins: no probability metrics.
        let margins = try ClassifierMetrics.evaluate(labels: [1, 0], scores: [2, -1], threshold: 0)
        #expect(margins.logLoss == nil && margins.brierScore == nil && margins.calibration == nil)
    }

    // tp = 2 (0.9, 0.6), fp = 1 (0.7), fn = 1 (0.2), tn = 1 (0.1): P = R = F1 = 2/3, accuracy 3/5.
    @Test func thresholdMetricsByHand() throws {
        let r = try ClassifierMetrics.evaluate(labels: [1, 1, 1, 0, 0], scores: [0.9, 0.6, 0.2, 0.7, 0.1])
        let t = r.atThreshold
        #expect(t.truePositives == 2 && t.falsePositives == 1 && t.falseNegatives == 1 && t.trueNegatives == 1)
        #expect(abs(t.precision - 2.0 / 3) < tight && abs(t.recall - 2.0 / 3) < tight && abs(t.f1 - 2.0 / 3) < tight)
        #expect(abs(t.accuracy - 0.6) < tight)
        // A score equal to the threshold is predicted positive.
        let eq = try ClassifierMetrics.evaluate(labels: [1, 0], scores: [0.5, 0.2]).atThreshold
        #expect(eq.truePositives == 1 && eq.f1 == 1)
    }

    @Test func calibrationBins() throws {
        let r = try ClassifierMetrics.evaluate(labels: [0, 1, 0, 0, 1, 1], scores: [0.05, 0.08, 0.3, 0.35, 1.0, 0.95])
        let bins = try #require(r.calibration)
        #expect(bins.map(\.index) == [0, 3, 9])   // empty bins omitted; p = 1 falls in the last bin
        #expect(bins.map(\.count) == [2, 2, 2])
        #expect(bins.map(\.observedRate) == [0.5, 0, 1])
        #expect(abs(bins[0].meanPredicted - 0.065) < tight && abs(bins[2].meanPredicted - 0.975) < tight)
    }

    @Test func gainsByDecile() throws {
        // 20 rows, 5 positives at the 5 highest scores: the top two deciles (4 rows) hold 4 positives.
        let s = (0..<20).map { Double(20 - $0) }
        let y = (0..<20).map { Double($0 < 5 ? 1 : 0) }
        let g = try ClassifierMetrics.evaluate(labels: y, scores: s, threshold: 10).gains
        #expect(g.count == 10 && g.allSatisfy { $0.rows == 2 })
        #expect(g[1].cumulativePositives == 4 && abs(g[1].lift - (4.0 / 4) / (5.0 / 20)) < tight)
        #expect(g.last?.cumulativeGain == 1 && g.last?.cumulativeRows == 20 && g.last?.lift == 1)
        // Fewer rows than deciles: ceil(d n / 10) still ends at every row.
        let small = try ClassifierMetrics.evaluate(labels: [1, 0, 1], scores: [0.3, 0.3, 0.1]).gains
        #expect(small.last?.cumulativeGain == 1 && small.reduce(0) { $0 + $1.rows } == 3)
        #expect(small[0].positives == 1)   // tie at 0.3 broken by row order: row 0 (positive) first
    }

    @Test func curvesAreThinnedButMetricsUseEveryPoint() throws {
        var rng = SeededRandom(seed: 3)
        let y = (0..<3000).map { Double($0 % 2) }
        let s = y.map { $0 + 2 * rng.normal() }   // 3000 distinct scores
        let full = try ClassifierMetrics.evaluate(labels: y, scores: s, maxCurvePoints: 5000)
        let thin = try ClassifierMetrics.evaluate(labels: y, scores: s, maxCurvePoints: 101)
        #expect(full.rocCurve.count == 3001 && thin.rocCurve.count == 101 && thin.precisionRecallCurve.count == 101)
        #expect(thin.rocCurve.first == full.rocCurve.first && thin.rocCurve.last == full.rocCurve.last)
        #expect(thin.precisionRecallCurve.last == full.precisionRecallCurve.last)
        #expect(thin.rocAUC == full.rocAUC && thin.averagePrecision == full.averagePrecision)
        #expect(ClassifierMetrics.thinned(Array(0..<10), to: 4) == [0, 3, 6, 9])
    }

    @Test func reportIsCodable() throws {
        let r = try ClassifierMetrics.evaluate(labels: [0, 0, 1, 1], scores: [0.1, 0.4, 0.35, 0.8])
        let data = try JSONEncoder().encode(r)
        #expect(try JSONDecoder().decode(ClassifierReport.self, from: data) == r)
    }

    @Test func badInputThrows() {
        #expect(throws: AnalyticsError.tooFewRows(what: "labels", rows: 0, needed: 1)) {
            try ClassifierMetrics.evaluate(labels: [], scores: [])
        }
        #expect(throws: AnalyticsError.self) { try ClassifierMetrics.evaluate(labels: [0, 1], scores: [0.5]) }
        #expect(throws: AnalyticsError.self) { try ClassifierMetrics.evaluate(labels: [0, 2], scores: [0.5, 0.5]) }
        #expect(throws: AnalyticsError.self) { try ClassifierMetrics.evaluate(labels: [0, 1], scores: [.nan, 0.5]) }
        #expect(throws: AnalyticsError.singleClass(column: "label", value: "1")) {
            try ClassifierMetrics.evaluate(labels: [1, 1], scores: [0.5, 0.7])
        }
    }
}
