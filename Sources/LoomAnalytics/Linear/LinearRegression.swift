import Foundation

/// Linear least squares with an optional ridge penalty, solved by the normal equations on
/// standardised features (Hastie, Tibshirani & Friedman, "The Elements of Statistical Learning",
/// 2nd ed., eqs. 3.6 and 3.44).
///
/// Objective (minimised), with z = (x - mean) / sd (population sd) and b0 the unpenalised intercept:
///
///     J(b0, b) = (1/n) sum_i (y_i - b0 - b . z_i)^2  +  l2 * sum_j b_j^2
///
/// (the same convention as `LogisticRegression`: a mean loss plus l2 times the squared coefficients).
/// The z are centred, so b0 = mean(y) and b solves (Z'Z + n l2 I) b = Z'(y - mean(y)).
/// scikit-learn's `Ridge(alpha)` on `StandardScaler`-ed features minimises ||y - Z b - b0||^2 + alpha |b|^2,
/// the same minimiser when alpha = n l2; l2 = 0 is ordinary least squares (`LinearRegression`, numpy `lstsq`).
public enum LinearRegression {
    /// Hyperparameters of a fit.
    public struct Config: Codable, Equatable, Sendable {
        /// Ridge penalty lambda on the squared standardised coefficients (>= 0; 0 = least squares).
        public var l2: Double

        public init(l2: Double = 0) { self.l2 = l2 }
    }

    /// Fits the model.
    /// - Parameters:
    ///   - x: one row per example, one column per feature (finite values, none constant).
    ///   - y: one finite target per row.
    /// - Throws: `AnalyticsError.tooFewRows`, `.invalidInput` (sizes disagree, a non-finite value, a
    ///   constant feature, features so collinear that the equations are singular with l2 = 0),
    ///   `.invalidParameter` (bad l2).
    public static func fit(x: Matrix, y: [Double], featureNames: [String], config: Config = Config()) throws -> LinearRegressionModel {
        guard config.l2 >= 0, config.l2.isFinite else {
            throw AnalyticsError.invalidParameter(name: "l2", value: "\(config.l2)", expected: "a finite number >= 0")
        }
        guard x.rows > 0 else { throw AnalyticsError.tooFewRows(what: "training data", rows: 0, needed: 1) }
        guard y.count == x.rows else { throw AnalyticsError.invalidInput(what: "targets has \(y.count) values", expected: "one per row (\(x.rows))") }
        guard featureNames.count == x.columns else {
            throw AnalyticsError.invalidInput(what: "\(featureNames.count) feature names", expected: "one per column (\(x.columns))")
        }
        if let i = y.firstIndex(where: { !$0.isFinite }) { throw AnalyticsError.invalidInput(what: "target at row \(i) is \(y[i])", expected: "a finite number") }
        try LogisticRegression.checkFinite(x, featureNames: featureNames)
        let (means, scales) = try LogisticRegression.standardization(x, featureNames: featureNames, standardize: true)
        let n = Double(x.rows), p = x.columns
        let yMean = y.reduce(0, +) / n
        // Normal equations in row order: A = Z'Z + n l2 I, c = Z'(y - mean y).
        var a = [[Double]](repeating: [Double](repeating: 0, count: p), count: p)
        var c = [Double](repeating: 0, count: p)
        var z = [Double](repeating: 0, count: p)
        for i in 0..<x.rows {
            for j in 0..<p { z[j] = (x[i, j] - means[j]) / scales[j] }
            let r = y[i] - yMean
            for j in 0..<p {
                c[j] += z[j] * r
                for k in 0...j { a[j][k] += z[j] * z[k] }
            }
        }
        for j in 0..<p { a[j][j] += n * config.l2; for k in 0..<j { a[k][j] = a[j][k] } }
        guard let b = LogisticRegression.choleskySolve(a, c) else {
            // Name the first column that is a linear combination of the ones before it: the first k whose
            // leading k x k block of Z'Z is singular.
            let k = (1...p).first { k in LogisticRegression.choleskySolve((0..<k).map { Array(a[$0][0..<k]) }, Array(c[0..<k])) == nil } ?? p
            throw AnalyticsError.invalidInput(what: "the features are collinear: '\(featureNames[k - 1])' is a linear combination of "
                                                  + (k > 1 ? (0..<(k - 1)).map { "'\(featureNames[$0])'" }.joined(separator: ", ") : "nothing (constant)")
                                                  + " (the least-squares equations are singular)",
                                              expected: "l2 > 0, or features that are not linear combinations of each other")
        }
        // Back to original units: y = b0 + sum b_j (x_j - m_j) / s_j.
        let coefficients = (0..<p).map { b[$0] / scales[$0] }
        let intercept = yMean - (0..<p).reduce(0) { $0 + coefficients[$1] * means[$1] }
        var model = LinearRegressionModel(featureNames: featureNames, intercept: intercept, coefficients: coefficients,
                                          featureMeans: means, featureScales: scales, config: config, trainingMeanSquaredError: 0)
        let fitted = try model.predict(x)
        model.trainingMeanSquaredError = zip(fitted, y).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / n
        return model
    }
}

/// A fitted linear regression, y = intercept + coefficients . x, in the ORIGINAL units of the
/// features. Codable; saved as readable JSON by the task adapters.
public struct LinearRegressionModel: Codable, Equatable, Sendable {
    public var featureNames: [String]
    public var intercept: Double
    /// The change in y per unit of each feature.
    public var coefficients: [Double]
    /// The means and population standard deviations used for standardisation.
    public var featureMeans: [Double]
    public var featureScales: [Double]
    public var config: LinearRegression.Config
    /// Mean squared error on the training rows.
    public var trainingMeanSquaredError: Double

    /// intercept + coefficients . x for every row of `x` (columns in the order of `featureNames`).
    /// - Throws: `AnalyticsError.invalidInput` if the column count differs or a value is not finite.
    public func predict(_ x: Matrix) throws -> [Double] {
        guard x.columns == coefficients.count else {
            throw AnalyticsError.invalidInput(what: "matrix has \(x.columns) columns", expected: "\(coefficients.count) (\(featureNames.joined(separator: ", ")))")
        }
        try LogisticRegression.checkFinite(x, featureNames: featureNames)
        return (0..<x.rows).map { i in
            var v = intercept
            for j in 0..<x.columns { v += coefficients[j] * x[i, j] }
            return v
        }
    }
}
