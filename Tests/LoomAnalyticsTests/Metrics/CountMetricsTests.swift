import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct CountMetricsTests {
    // predicted [1, 2, 3], actual [1, 3, 5]: errors 0, 1, 2 -> MAE 1, RMSE sqrt(5/3);
    // centred (-1, 0, 1) and (-2, 0, 2) are proportional -> r = 1. Tolerance: a few roundings.
    @Test func handComputed() throws {
        let r = try CountMetrics.evaluate(predicted: [1, 2, 3], actual: [1, 3, 5], groups: [0, 1, 9])
        #expect(r.totalPredicted == 6 && r.totalActual == 9)
        #expect(abs(r.meanAbsoluteError - 1) < 1e-12)
        #expect(abs(r.rootMeanSquaredError - (5.0 / 3).squareRoot()) < 1e-12)
        #expect(abs(try #require(r.pearsonCorrelation) - 1) < 1e-12)
        let groups = try #require(r.byGroup)
        #expect(groups.map(\.label) == ["0", "1", "7+"])
        #expect(groups[2].meanPredicted == 3 && groups[2].meanActual == 5)
    }

    @Test func groupsPoolSevenAndMoreAndOmitEmpty() throws {
        let r = try CountMetrics.evaluate(predicted: [1, 2, 3, 4], actual: [0, 0, 0, 8], groups: [7, 12, 2, 2])
        let g = try #require(r.byGroup)
        #expect(g.map(\.group) == [2, 7] && g.map(\.count) == [2, 2])
        #expect(g[0].meanPredicted == 3.5 && g[0].meanActual == 4 && g[1].meanPredicted == 1.5)
        #expect(try CountMetrics.evaluate(predicted: [1, 1], actual: [0, 2]).pearsonCorrelation == nil)
        #expect(try CountMetrics.evaluate(predicted: [1, 1], actual: [0, 2]).byGroup == nil)
    }

    @Test func badInputThrows() {
        #expect(throws: AnalyticsError.self) { try CountMetrics.evaluate(predicted: [], actual: []) }
        #expect(throws: AnalyticsError.self) { try CountMetrics.evaluate(predicted: [1], actual: [1, 2]) }
        #expect(throws: AnalyticsError.self) { try CountMetrics.evaluate(predicted: [1], actual: [.infinity]) }
        #expect(throws: AnalyticsError.self) { try CountMetrics.evaluate(predicted: [1], actual: [1], groups: [-1]) }
    }
}
