import Foundation

/// L2-regularised logistic regression solved by Newton's method (iteratively reweighted least
/// squares) with a backtracking line search.
///
/// Objective (minimised), with z the features after optional standardisation
/// (z = (x - mean) / sd, sd the population standard deviation, dividing by n) and b0 the intercept:
///
///     J(b0, b) = (1/n) sum_i [ log(1 + exp(eta_i)) - y_i eta_i ]  +  l2 * sum_j b_j^2,   eta_i = b0 + b . z_i
///
/// that is the MEAN log loss plus l2 times the sum of squared coefficients; the intercept is not
/// penalised. scikit-learn's `LogisticRegression(C=...)` minimises C * sum(log loss) + ||b||^2 / 2,
/// which is the same minimiser when C = 1 / (2 n l2) (on the same, e.g. `StandardScaler`-ed, features).
public enum LogisticRegression {
    /// Hyperparameters of a fit.
    public struct Config: Codable, Equatable, Sendable {
        /// Penalty weight lambda on the sum of squared coefficients (>= 0; 0 is the plain MLE).
        public var l2: Double
        /// Converged when the largest gradient component of J is <= tolerance, or when the Newton
        /// decrement's predicted decrease g'H^-1g / 2 is <= tolerance^2 (no measurable progress left).
        public var tolerance: Double
        /// Newton iterations allowed before throwing `didNotConverge`.
        public var maxIterations: Int
        /// Fit on standardised features (the penalty then treats features alike whatever their units).
        public var standardize: Bool

        public init(l2: Double = 1e-4, tolerance: Double = 1e-10, maxIterations: Int = 100, standardize: Bool = true) {
            self.l2 = l2
            self.tolerance = tolerance
            self.maxIterations = maxIterations
            self.standardize = standardize
        }
    }

    /// Fits the model.
    /// - Parameters:
    ///   - x: one row per example, one column per feature (finite values).
    ///   - y: 0 or 1 per row.
    ///   - featureNames: one name per column (used in errors and saved in the model).
    /// - Throws: `AnalyticsError.tooFewRows` (no rows), `.invalidInput` (sizes disagree, label not
    ///   0/1, non-finite feature, constant feature with `standardize`, singular Hessian),
    ///   `.singleClass`, `.invalidParameter` (bad config), `.didNotConverge`.
    public static func fit(x: Matrix, y: [Double], featureNames: [String], config: Config = Config()) throws -> LogisticRegressionModel {
        try validate(x: x, y: y, featureNames: featureNames, config: config)
        let (means, scales) = try standardization(x, featureNames: featureNames, standardize: config.standardize)
        let z = designMatrix(x, means: means, scales: scales)
        let fit = try newton(z: z, y: y, config: config)
        if config.l2 == 0 { try checkNotSeparated(z: z, y: y, theta: fit.theta) }
        return model(fit: fit, z: z, y: y, means: means, scales: scales, featureNames: featureNames, config: config)
    }

    /// With l2 = 0 and classes that a linear score separates, J has no minimum: the loss only tends to
    /// 0 as coefficients grow, and Newton stops at a tiny gradient far out. If the fitted score puts
    /// every positive above every negative the data are separable (Albert & Anderson 1984).
    static func checkNotSeparated(z: Matrix, y: [Double], theta: [Double]) throws {
        var lowestPositive = Double.infinity, highestNegative = -Double.infinity
        for i in 0..<z.rows {
            let eta = linear(z, i, theta)
            if y[i] == 1 { lowestPositive = min(lowestPositive, eta) } else { highestNegative = max(highestNegative, eta) }
        }
        if lowestPositive > highestNegative {
            throw AnalyticsError.invalidInput(what: "the features separate the classes completely, so the unpenalised fit has no finite solution",
                                              expected: "l2 > 0, or features that do not separate the labels")
        }
    }

    static func sigmoid(_ eta: Double) -> Double {
        eta >= 0 ? 1 / (1 + exp(-eta)) : exp(eta) / (1 + exp(eta))
    }

    /// log(1 + exp(eta)) without overflow.
    static func softplus(_ eta: Double) -> Double {
        eta > 0 ? eta + log1p(exp(-eta)) : log1p(exp(eta))
    }

    static func checkFinite(_ x: Matrix, featureNames: [String]) throws {
        if let k = x.values.firstIndex(where: { !$0.isFinite }) {
            let (i, j) = (k / x.columns, k % x.columns)
            throw AnalyticsError.invalidInput(what: "feature '\(featureNames[j])' (column \(j)) at row \(i) is \(x.values[k])",
                                              expected: "a finite number")
        }
    }

    static func validate(x: Matrix, y: [Double], featureNames: [String], config: Config) throws {
        guard config.l2 >= 0, config.l2.isFinite else {
            throw AnalyticsError.invalidParameter(name: "l2", value: "\(config.l2)", expected: "a finite number >= 0")
        }
        guard config.tolerance > 0, config.tolerance.isFinite else {
            throw AnalyticsError.invalidParameter(name: "tolerance", value: "\(config.tolerance)", expected: "a finite number > 0")
        }
        guard config.maxIterations >= 1 else {
            throw AnalyticsError.invalidParameter(name: "maxIterations", value: "\(config.maxIterations)", expected: "at least 1")
        }
        guard x.rows > 0 else { throw AnalyticsError.tooFewRows(what: "training data", rows: 0, needed: 1) }
        guard y.count == x.rows else {
            throw AnalyticsError.invalidInput(what: "labels has \(y.count) values", expected: "one per row (\(x.rows))")
        }
        guard featureNames.count == x.columns else {
            throw AnalyticsError.invalidInput(what: "\(featureNames.count) feature names", expected: "one per column (\(x.columns))")
        }
        if let i = y.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw AnalyticsError.invalidInput(what: "label at row \(i) is \(y[i])", expected: "0 or 1")
        }
        let positives = y.filter { $0 == 1 }.count
        if positives == 0 || positives == y.count {
            throw AnalyticsError.singleClass(column: "label", value: positives == 0 ? "0" : "1")
        }
        try checkFinite(x, featureNames: featureNames)
    }

    /// The columns that standardisation refuses as constant (population standard deviation 0, as
    /// `fit` computes it), so that a caller can leave them out first.
    public static func constantColumns(_ x: Matrix) -> [Int] {
        let variances = x.columnMeansAndVariances().variances
        return (0..<x.columns).filter { variances[$0].squareRoot() == 0 }
    }

    /// `constantColumns` of features given one column at a time (each column's variance is the bits
    /// `columnMeansAndVariances` computes for it in a matrix: the same sums in the same row order).
    public static func constantColumns(_ x: FeatureColumns) -> [Int] {
        (0..<x.count).filter { j in
            let c = x.column(j)
            return !constantColumns(Matrix(rows: c.count, columns: 1, values: c)).isEmpty
        }
    }

    /// Column means and population standard deviations (or 0 and 1 without standardisation).
    static func standardization(_ x: Matrix, featureNames: [String], standardize: Bool) throws -> ([Double], [Double]) {
        guard standardize else { return (Array(repeating: 0, count: x.columns), Array(repeating: 1, count: x.columns)) }
        var means: [Double] = [], scales: [Double] = []
        let moments = x.columnMeansAndVariances()
        for j in 0..<x.columns {
            let (m, sd) = (moments.means[j], moments.variances[j].squareRoot())
            guard sd > 0 else {
                throw AnalyticsError.invalidInput(what: "feature '\(featureNames[j])' (column \(j)) is constant (\(m))",
                                                  expected: "a feature that varies (constant columns cannot be standardised; drop it)")
            }
            means.append(m); scales.append(sd)
        }
        return (means, scales)
    }

    /// [1, z_1, ..., z_p] per row: the intercept column first.
    static func designMatrix(_ x: Matrix, means: [Double], scales: [Double]) -> Matrix {
        var z = Matrix(rows: x.rows, columns: x.columns + 1)
        for i in 0..<x.rows {
            z[i, 0] = 1
            for j in 0..<x.columns { z[i, j + 1] = (x[i, j] - means[j]) / scales[j] }
        }
        return z
    }
}
