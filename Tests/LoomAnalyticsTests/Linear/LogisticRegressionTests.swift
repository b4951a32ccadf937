import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct LogisticRegressionTests {
    /// Rows of a 2x2 table: x = 0 has 30 ones and 70 zeros, x = 1 has 60 ones and 40 zeros.
    static func table() -> (Matrix, [Double]) {
        var x: [Double] = [], y: [Double] = []
        for (xv, ones, zeros) in [(0.0, 30, 70), (1.0, 60, 40)] {
            for k in 0..<(ones + zeros) { x.append(xv); y.append(k < ones ? 1 : 0) }
        }
        return (Matrix(rows: x.count, columns: 1, values: x), y)
    }

    // The unpenalised MLE with one binary feature is saturated: intercept = log(30/70), coefficient =
    // the log odds ratio log(60 * 70 / (40 * 30)), standard errors sqrt(1/a + 1/b + ...) (Woolf 1955).
    // Tolerance 1e-9: Newton stops at a gradient of 1e-10 and the Hessian here is O(0.2).
    @Test(arguments: [false, true]) func logOddsRatioFromTwoByTwoTable(standardize: Bool) throws {
        let (x, y) = Self.table()
        let m = try LogisticRegression.fit(x: x, y: y, featureNames: ["x"], config: .init(l2: 0, standardize: standardize))
        #expect(abs(m.intercept - log(30.0 / 70)) < 1e-9)
        #expect(abs(m.coefficients[0] - log(60.0 * 70 / (40 * 30))) < 1e-9)
        #expect(abs(m.interceptStandardError - (1.0 / 30 + 1.0 / 70).squareRoot()) < 1e-9)
        #expect(abs(m.coefficientStandardErrors[0] - (1.0 / 30 + 1.0 / 70 + 1.0 / 60 + 1.0 / 40).squareRoot()) < 1e-9)
        #expect(m.converged && abs(m.objective - m.trainingLogLoss) == 0)
    }

    // scikit-learn 1.9.1, this exact script (Tests/.../Linear data below printed by it):
    //   import numpy as np
    //   from sklearn.linear_model import LogisticRegression
    //   from sklearn.preprocessing import StandardScaler
    //   rng = np.random.default_rng(3)
    //   n = 40
    //   X = np.round(np.column_stack([rng.normal(2, 1.5, n), rng.uniform(0, 10, n)]), 2)
    //   eta = -1 + 0.8 * (X[:, 0] - 2) - 0.3 * (X[:, 1] - 5)
    //   y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(int)
    //   l2 = 0.01
    //   sc = StandardScaler().fit(X)
    //   m = LogisticRegression(C=1 / (2 * n * l2), tol=1e-12, max_iter=10000, solver="newton-cholesky").fit(sc.transform(X), y)
    //   b = m.coef_[0] / sc.scale_
    //   b0 = m.intercept_[0] - np.sum(m.coef_[0] * sc.mean_ / sc.scale_)
    //   -> b0 = -0.6390025525440814, b = [0.7358678733574197, -0.3824756577480376]
    // Tolerance 1e-10: both solvers stop at gradients of 1e-10 to 1e-12 on an O(0.1) Hessian (observed 2e-12).
    @Test func matchesScikitLearnWithPenalty() throws {
        let x1: [Double] = [5.06, -1.83, 2.63, 1.15, 1.32, 1.68, -1.03, 1.65, 0.7, 6.98, 2.34, 1.47, 1.58, 1.0, 0.42, 1.41, 2.72, 1.64, 3.44, 1.7, 2.04, 4.32, 2.82, 1.24, 1.73, 2.81, 4.9, 1.6, 1.63, 3.5, 0.67, 1.56, 3.32, 2.87, 2.14, 3.01, -2.24, 3.53, 0.56, -0.5]
        let x2: [Double] = [6.58, 6.83, 8.2, 4.29, 7.59, 8.78, 1.02, 8.5, 3.94, 4.8, 1.46, 6.98, 2.92, 8.71, 2.75, 5.62, 4.0, 6.13, 1.97, 1.8, 7.47, 7.52, 5.67, 9.21, 2.06, 8.51, 1.69, 9.64, 6.24, 6.07, 9.71, 7.87, 7.9, 0.54, 3.69, 0.85, 1.94, 2.14, 8.59, 1.27]
        let y: [Double] = [1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 0, 0]
        let x = Matrix(rowArrays: zip(x1, x2).map { [$0, $1] })
        let m = try LogisticRegression.fit(x: x, y: y, featureNames: ["x1", "x2"], config: .init(l2: 0.01))
        #expect(abs(m.intercept - -0.6390025525440814) < 1e-10)
        #expect(abs(m.coefficients[0] - 0.7358678733574197) < 1e-10)
        #expect(abs(m.coefficients[1] - -0.3824756577480376) < 1e-10)
    }

    static func simulated(n: Int, seed: UInt64) -> (Matrix, [Double]) {
        var rng = SeededRandom(seed: seed)
        var rows: [[Double]] = [], y: [Double] = []
        for _ in 0..<n {
            let r = [rng.normal(), 10 * rng.uniform(), rng.bernoulli(0.3) ? 1 : 0]
            let eta = -1 + 0.8 * r[0] - 0.3 * r[1] + 1.2 * r[2]
            rows.append(r)
            y.append(rng.bernoulli(LogisticRegression.sigmoid(eta)) ? 1 : 0)
        }
        return (Matrix(rowArrays: rows), y)
    }

    // The MLE is asymptotically normal with the reported standard errors: every parameter within
    // 3 standard errors of the truth (seeded, so this is a fixed check, not a flaky one).
    @Test func recoversSimulatedCoefficients() throws {
        let (x, y) = Self.simulated(n: 4000, seed: 11)
        let m = try LogisticRegression.fit(x: x, y: y, featureNames: ["a", "b", "c"], config: .init(l2: 0))
        #expect(abs(m.intercept - -1) < 3 * m.interceptStandardError)
        for (j, truth) in [0.8, -0.3, 1.2].enumerated() {
            #expect(abs(m.coefficients[j] - truth) < 3 * m.coefficientStandardErrors[j])
        }
        #expect(m.coefficientStandardErrors.allSatisfy { $0 > 0 && $0 < 0.2 })
    }

    // Gradient of J at the solution, recomputed from the saved model: 0 up to the tolerance 1e-10
    // plus rounding of a mean over 500 rows (1e-9 leaves margin for both).
    @Test(arguments: [false, true]) func gradientVanishesAtSolution(standardize: Bool) throws {
        let (x, y) = Self.simulated(n: 500, seed: 5)
        let l2 = 0.05
        let m = try LogisticRegression.fit(x: x, y: y, featureNames: ["a", "b", "c"], config: .init(l2: l2, standardize: standardize))
        let p = try m.predictProbability(x)
        let n = Double(x.rows)
        #expect(abs(zip(p, y).reduce(0) { $0 + $1.0 - $1.1 } / n) < 1e-9)
        for j in 0..<3 {
            var g = 0.0
            for i in 0..<x.rows { g += (p[i] - y[i]) * (x[i, j] - m.featureMeans[j]) / m.featureScales[j] }
            let b = m.coefficients[j] * m.featureScales[j]   // coefficient in fitting units
            #expect(abs(g / n + 2 * l2 * b) < 1e-9)
        }
    }

    // The gradient and Hessian are summed per fixed chunk of rows and reduced in chunk order: a fit on
    // several chunks gives the same bits on one thread as on many.
    @Test func sameBitsOnAnyNumberOfThreads() throws {
        let (x, y) = Self.simulated(n: 3 * RowChunks.size + 123, seed: 21)
        func fit() throws -> LogisticRegressionModel {
            try LogisticRegression.fit(x: x, y: y, featureNames: ["a", "b", "c"], config: .init(l2: 1e-3))
        }
        let one = try Parallel.limited(to: 1) { try fit() }
        let two = try Parallel.limited(to: 2) { try fit() }
        let all = try fit()
        for m in [two, all] {
            #expect(m.intercept.bitPattern == one.intercept.bitPattern)
            #expect(m.coefficients.map(\.bitPattern) == one.coefficients.map(\.bitPattern))
            #expect(m.coefficientStandardErrors.map(\.bitPattern) == one.coefficientStandardErrors.map(\.bitPattern))
            #expect(m.objective.bitPattern == one.objective.bitPattern)
        }
    }

    @Test func modelRoundTripsThroughJSON() throws {
        let (x, y) = Self.table()
        let m = try LogisticRegression.fit(x: x, y: y, featureNames: ["x"])
        let back = try JSONDecoder().decode(LogisticRegressionModel.self, from: JSONEncoder().encode(m))
        #expect(back == m)
        #expect(try back.predictProbability(Matrix(rowArrays: [[0], [1]])) == m.predictProbability(Matrix(rowArrays: [[0], [1]])))
    }

    @Test func badInputThrows() {
        let x = Matrix(rowArrays: [[1, 5], [2, 5], [3, 5]])
        #expect(throws: AnalyticsError.invalidInput(what: "feature 'k' (column 1) is constant (5.0)",
                                                    expected: "a feature that varies (constant columns cannot be standardised; drop it)")) {
            try LogisticRegression.fit(x: x, y: [0, 1, 0], featureNames: ["a", "k"])
        }
        #expect(throws: AnalyticsError.singleClass(column: "label", value: "0")) {
            try LogisticRegression.fit(x: x, y: [0, 0, 0], featureNames: ["a", "k"])
        }
        #expect(throws: AnalyticsError.self) { try LogisticRegression.fit(x: x, y: [0, 2, 0], featureNames: ["a", "k"]) }
        #expect(throws: AnalyticsError.self) {
            try LogisticRegression.fit(x: Matrix(rowArrays: [[1], [.nan]]), y: [0, 1], featureNames: ["a"])
        }
        #expect(throws: AnalyticsError.tooFewRows(what: "training data", rows: 0, needed: 1)) {
            try LogisticRegression.fit(x: Matrix(rows: 0, columns: 1), y: [], featureNames: ["a"])
        }
        // Separable classes without a penalty: the MLE does not exist.
        #expect(throws: AnalyticsError.invalidInput(
            what: "the features separate the classes completely, so the unpenalised fit has no finite solution",
            expected: "l2 > 0, or features that do not separate the labels")) {
            try LogisticRegression.fit(x: Matrix(rowArrays: [[1], [2], [3], [4]]), y: [0, 0, 1, 1], featureNames: ["a"],
                                       config: .init(l2: 0))
        }
    }
}
