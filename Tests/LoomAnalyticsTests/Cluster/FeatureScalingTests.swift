import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct FeatureScalingTests {
    let x = Matrix(rowArrays: [[0, 10, 5], [1, 20, 5], [3, 60, 5], [99, 30, 5]])

    @Test func standardisesWithPopulationStd() throws {
        let s = try FeatureScaling.fit(x)
        let z = try s.apply(x)
        for j in 0..<2 {
            let c = z.column(j)
            let mean = c.reduce(0, +) / 4
            let variance = c.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 4
            #expect(abs(mean) < 1e-15)           // a few roundings of values of order 1
            #expect(abs(variance - 1) < 1e-14)
        }
        #expect(s.stds[2] == 1 && z.column(2) == [0, 0, 0, 0])   // constant column maps to 0
        #expect(s.means[1] == 30 && s.stds[1] == (1400 / 4.0).squareRoot())   // deviations -20, -10, 30, 0
    }

    @Test func roundTripWithLog1p() throws {
        let s = try FeatureScaling.fit(x, log1pColumns: [0])
        #expect(s.log1p == [true, false, false])
        let logs: [Double] = [0, 1, 3, 99].map { log1p($0) }
        #expect(abs(s.means[0] - logs.reduce(0, +) / 4) < 1e-15)
        let back = s.invert(try s.apply(x))
        for i in 0..<x.rows {
            // log1p then expm1 of values up to 100 loses a few ulps of 100.
            for j in 0..<x.columns { #expect(abs(back[i, j] - x[i, j]) < 1e-12 * max(1, abs(x[i, j]))) }
        }
        let json = try JSONEncoder().encode(s)
        #expect(try JSONDecoder().decode(FeatureScaling.self, from: json) == s)
    }

    @Test func rejectsBadValues() {
        let negative = Matrix(rowArrays: [[0.5], [-1]])
        #expect(throws: AnalyticsError.invalidInput(what: "feature column 0, row 1 is -1.0, log1p needs values > -1",
                                                    expected: "values > -1 in log1p columns")) {
            try FeatureScaling.fit(negative, log1pColumns: [0])
        }
        #expect(throws: AnalyticsError.invalidInput(what: "feature column 1, row 0 is inf", expected: "finite numbers")) {
            try FeatureScaling.fit(Matrix(rowArrays: [[1, .infinity]]))
        }
        #expect(throws: AnalyticsError.self) { try FeatureScaling.fit(x, log1pColumns: [3]) }
    }

    /// An unscaled column keeps its values (after its log1p, if any): mean 0 and std 1 recorded.
    @Test func unscaledColumnsKeepTheirValues() throws {
        let x = Matrix(rowArrays: [[1, 0], [3, 1], [5, 3]])
        let s = try FeatureScaling.fit(x, log1pColumns: [1], unscaledColumns: [0, 1])
        #expect(s.means == [0, 0] && s.stds == [1, 1])
        #expect(try s.apply(x).values == [1, 0, 3, Foundation.log1p(1), 5, Foundation.log1p(3)])
        // expm1(log1p(v)) is v to a rounding or two.
        #expect(zip(s.invert(try s.apply(x)).values, [1, 0, 3, 1, 5, 3]).allSatisfy { abs($0 - $1) < 1e-14 })
    }
}
