import Foundation

/// A fitted logistic regression, P(y = 1 | x) = 1 / (1 + exp(-(intercept + coefficients . x))),
/// with the intercept and coefficients in the ORIGINAL units of the features (standardisation,
/// if used, is folded back in). Codable; saved as readable JSON by the task adapters.
public struct LogisticRegressionModel: Codable, Equatable, Sendable {
    /// Feature names, in column order of the matrices this model expects.
    public var featureNames: [String]
    public var intercept: Double
    /// One coefficient per feature: the change in log odds per unit of that feature.
    public var coefficients: [Double]
    /// Standard errors of intercept and coefficients (original units): square roots of the diagonal
    /// of the inverse Hessian of the penalised objective scaled to a sum over rows,
    /// X'WX + 2 n l2 D (D the penalty's diagonal in the fitting units). The penalty part is included,
    /// so these are slightly smaller than unpenalised Wald errors; the difference is negligible when
    /// 2 n l2 is small against the diagonal of X'WX (standardised features: against n p(1-p)).
    public var interceptStandardError: Double
    public var coefficientStandardErrors: [Double]
    /// The feature means and scales used for standardisation (means 0, scales 1 when not standardised).
    public var featureMeans: [Double]
    public var featureScales: [Double]
    /// The hyperparameters of the fit.
    public var config: LogisticRegression.Config
    /// Newton iterations taken, whether the convergence test was met (always true for a model
    /// returned by `fit`, which throws otherwise), the final penalised objective and its
    /// unpenalised part (mean log loss on the training rows).
    public var iterations: Int
    public var converged: Bool
    public var objective: Double
    public var trainingLogLoss: Double

    /// Probability of class 1 for every row of `x` (columns in the order of `featureNames`).
    /// - Throws: `AnalyticsError.invalidInput` if the column count differs or a value is not finite.
    public func predictProbability(_ x: Matrix) throws -> [Double] {
        try linearPredictor(x).map(LogisticRegression.sigmoid)
    }

    /// The log odds intercept + coefficients . x for every row of `x`.
    /// - Throws: `AnalyticsError.invalidInput` if the column count differs or a value is not finite.
    public func linearPredictor(_ x: Matrix) throws -> [Double] {
        guard x.columns == coefficients.count else {
            throw AnalyticsError.invalidInput(what: "matrix has \(x.columns) columns",
                                              expected: "\(coefficients.count) (\(featureNames.joined(separator: ", ")))")
        }
        try LogisticRegression.checkFinite(x, featureNames: featureNames)
        return (0..<x.rows).map { i in
            var eta = intercept
            for j in 0..<x.columns { eta += coefficients[j] * x[i, j] }
            return eta
        }
    }
}
