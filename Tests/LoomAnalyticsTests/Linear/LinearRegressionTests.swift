import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct LinearRegressionTests {
    /// 20 rows: x = (i, i^2 mod 7, 3i mod 5), y = 2 + 0.5 x1 - 1.25 x2 + 0.75 x3 + ((37 i mod 11) - 5) / 10.
    static func data() -> (Matrix, [Double]) {
        let rows: [[Double]] = (0..<20).map { (i: Int) -> [Double] in [Double(i), Double((i * i) % 7), Double((3 * i) % 5)] }
        let y: [Double] = (0..<20).map { (i: Int) -> Double in
            let r = rows[i]
            let linear: Double = 2 + 0.5 * r[0] - 1.25 * r[1] + 0.75 * r[2]
            return linear + Double((i * 37) % 11 - 5) / 10
        }
        return (Matrix(rowArrays: rows), y)
    }

    // numpy 2.4.6: np.linalg.lstsq([1 | X], y) on the same rows (script Tests/Fixtures/reference/linear_regression.py).
    // Both solve a well-conditioned 4x4 system (standardised here, QR/SVD
    // there): 1e-10 allows for the different roundings of the two methods and nothing more.
    @Test func leastSquaresMatchesNumpy() throws {
        let (x, y) = Self.data()
        let m = try LinearRegression.fit(x: x, y: y, featureNames: ["a", "b", "c"])
        let expected = [1.7165254737007614, 0.5084260751631414, -1.1625098278166517, 0.7620359796367641]
        #expect(abs(m.intercept - expected[0]) < 1e-10)
        for j in 0..<3 { #expect(abs(m.coefficients[j] - expected[j + 1]) < 1e-10, "coefficient \(j)") }
        // Least squares: the residuals are orthogonal to every column and sum to zero.
        let r = zip(y, try m.predict(x)).map { $0 - $1 }
        #expect(abs(r.reduce(0, +)) < 1e-10)
        for j in 0..<3 { #expect(abs((0..<20).reduce(0) { $0 + r[$1] * x[$1, j] }) < 1e-9) }
    }

    // scikit-learn 1.9.1: Ridge(alpha = n l2 = 20 x 0.05 = 1) on StandardScaler-ed features gives standardised
    // coefficients [2.775666138663306, -1.5580435243252573, 1.0545108055029735], intercept 5.6875 (mean y);
    // in original units (divided by the population sd) the values below. Same tolerance as above.
    @Test func ridgeMatchesScikitLearn() throws {
        let (x, y) = Self.data()
        let m = try LinearRegression.fit(x: x, y: y, featureNames: ["a", "b", "c"], config: .init(l2: 0.05))
        let expected = [0.48136155618109416, -1.0888489343352963, 0.745651741405641]
        for j in 0..<3 { #expect(abs(m.coefficients[j] - expected[j]) < 1e-10, "coefficient \(j)") }
        // At the means of the features the prediction is the mean target 5.6875.
        let atMeans = try m.predict(Matrix(rowArrays: [m.featureMeans]))[0]
        #expect(abs(atMeans - 5.6875) < 1e-12)
    }

    // Hand-computed: y = 1 + 2x exactly on x = 0, 1, 2, 3: intercept 1, slope 2, zero training error.
    @Test func exactLineIsRecovered() throws {
        let m = try LinearRegression.fit(x: Matrix(rowArrays: [[0], [1], [2], [3]]), y: [1, 3, 5, 7], featureNames: ["x"])
        #expect(abs(m.intercept - 1) < 1e-14 && abs(m.coefficients[0] - 2) < 1e-14)
        #expect(m.trainingMeanSquaredError < 1e-28)
    }

    @Test func badInputThrows() {
        let x = Matrix(rowArrays: [[1, 2], [2, 4], [3, 6]])
        // The second column is twice the first: singular without a penalty, fine with one.
        #expect(throws: AnalyticsError.invalidInput(what: "the features are collinear: 'b' is a linear combination of 'a' (the least-squares equations are singular)",
                                                    expected: "l2 > 0, or features that are not linear combinations of each other")) {
            try LinearRegression.fit(x: x, y: [1, 2, 4], featureNames: ["a", "b"])
        }
        #expect(throws: Never.self) { try LinearRegression.fit(x: x, y: [1, 2, 4], featureNames: ["a", "b"], config: .init(l2: 0.1)) }
        #expect(throws: AnalyticsError.self) { try LinearRegression.fit(x: x, y: [1, .nan, 4], featureNames: ["a", "b"]) }
        #expect(throws: AnalyticsError.self) { try LinearRegression.fit(x: Matrix(rowArrays: [[1], [1]]), y: [1, 2], featureNames: ["a"]) }
        #expect(throws: AnalyticsError.self) { try LinearRegression.fit(x: x, y: [1, 2, 4], featureNames: ["a", "b"], config: .init(l2: -1)) }
    }
}

@Suite struct RegressionMetricsTests {
    // Hand-computed: errors 1, -1, 0, 2: MSE 6/4, MAE 4/4; y mean 2.5, SS_tot 5, R^2 = 1 - 6/5.
    @Test func handComputed() throws {
        let r = try RegressionMetrics.evaluate(targets: [1, 2, 3, 4], predictions: [0, 3, 3, 2])
        #expect(abs(r.rootMeanSquaredError - 1.5.squareRoot()) < 1e-15)
        #expect(r.meanAbsoluteError == 1)
        #expect(abs(r.r2! - (1 - 6.0 / 5)) < 1e-15)
        #expect(try RegressionMetrics.evaluate(targets: [2, 2], predictions: [1, 2]).r2 == nil)
        #expect(throws: AnalyticsError.self) { try RegressionMetrics.evaluate(targets: [1], predictions: [.nan]) }
    }

    // 25 rows predicted 24, 23, ..., 0 (target twice the prediction): sorted ascending, tenths floor(25 k / 10)
    // hold 2, 3, 2, 3, 2, 3, 2, 3, 2, 3 rows; the first holds predictions 0, 1 (mean 0.5, target 1).
    @Test func decilesHandComputed() throws {
        let p = (0..<25).map { Double(24 - $0) }
        let d = try RegressionMetrics.deciles(targets: p.map { 2 * $0 }, predictions: p)
        #expect(d.map(\.rows) == [2, 3, 2, 3, 2, 3, 2, 3, 2, 3])
        #expect(d[0] == RegressionDecile(decile: 1, rows: 2, meanPredicted: 0.5, meanActual: 1))
        #expect(d[9] == RegressionDecile(decile: 10, rows: 3, meanPredicted: 23, meanActual: 46))
        #expect(try RegressionMetrics.deciles(targets: [1, 2, 3], predictions: [3, 2, 1]).map(\.rows) == [1, 1, 1])
    }
}
