import Foundation

/// Column scaling before clustering: an optional log1p per column (for skewed, non-negative features
/// such as spend or counts), then standardisation to mean 0 and population standard deviation 1
/// (or, for a column left unscaled, mean 0 and standard deviation 1 recorded: values as they are).
/// `invert` maps centres back to the original units, for reporting.
public struct FeatureScaling: Codable, Equatable, Sendable {
    /// Whether column j is transformed by log1p before standardising.
    public var log1p: [Bool]
    /// Column means after the optional log1p.
    public var means: [Double]
    /// Column population standard deviations after the optional log1p, or 1 for a constant column
    /// (as scikit-learn's StandardScaler, so a constant column maps to 0 rather than NaN).
    public var stds: [Double]

    public init(log1p: [Bool], means: [Double], stds: [Double]) {
        self.log1p = log1p
        self.means = means
        self.stds = stds
    }

    /// Fits the scaling to `x`; `log1pColumns` are the indices of the columns to transform by log1p.
    ///
    /// Throws `.tooFewRows` for a matrix without rows, `.invalidParameter` for a column index out of
    /// range, and `.invalidInput` for a non-finite value or a log1p column value <= -1 (naming the column
    /// index and row).
    /// `unscaledColumns` are left unstandardised (mean 0 and std 1 recorded), after their log1p if any.
    public static func fit(_ x: Matrix, log1pColumns: [Int] = [], unscaledColumns: [Int] = []) throws -> FeatureScaling {
        guard x.rows >= 1 else { throw AnalyticsError.tooFewRows(what: "feature scaling input", rows: x.rows, needed: 1) }
        func flags(_ columns: [Int], _ name: String) throws -> [Bool] {
            var flags = [Bool](repeating: false, count: x.columns)
            for j in columns {
                guard j >= 0, j < x.columns else {
                    throw AnalyticsError.invalidParameter(name: name, value: "\(j)", expected: "column indices in 0..<\(x.columns)")
                }
                flags[j] = true
            }
            return flags
        }
        let logFlags = try flags(log1pColumns, "log1pColumns"), unscaled = try flags(unscaledColumns, "unscaledColumns")
        let logged = try transform(x, log1p: logFlags)
        var means = [Double](repeating: 0, count: x.columns), stds = [Double](repeating: 1, count: x.columns)
        let moments = logged.columnMeansAndVariances()
        for j in 0..<x.columns where !unscaled[j] {
            let variance = moments.variances[j]
            means[j] = moments.means[j]
            stds[j] = variance > 0 ? variance.squareRoot() : 1
        }
        return FeatureScaling(log1p: logFlags, means: means, stds: stds)
    }

    /// Applies the fitted scaling. Throws like `fit` for bad values; a column count different from the
    /// fitted one throws `.invalidInput`.
    public func apply(_ x: Matrix) throws -> Matrix {
        guard x.columns == means.count else {
            throw AnalyticsError.invalidInput(what: "feature scaling input has \(x.columns) columns", expected: "\(means.count) columns as fitted")
        }
        var out = try Self.transform(x, log1p: log1p)
        for i in 0..<x.rows {
            for j in 0..<x.columns { out[i, j] = (out[i, j] - means[j]) / stds[j] }
        }
        return out
    }

    /// Maps rows in scaled units (for example cluster centres) back to the original units:
    /// value * std + mean, then expm1 for log1p columns. `centres` must have the fitted column count.
    public func invert(_ centres: Matrix) -> Matrix {
        precondition(centres.columns == means.count, "invert: \(centres.columns) columns, fitted \(means.count)")
        var out = centres
        for i in 0..<centres.rows {
            for j in 0..<centres.columns {
                let v = centres[i, j] * stds[j] + means[j]
                out[i, j] = log1p[j] ? Foundation.expm1(v) : v
            }
        }
        return out
    }

    /// Checks every value and applies log1p to the flagged columns.
    static func transform(_ x: Matrix, log1p flags: [Bool]) throws -> Matrix {
        var out = x
        for i in 0..<x.rows {
            for j in 0..<x.columns {
                let v = x[i, j]
                guard v.isFinite else {
                    throw AnalyticsError.invalidInput(what: "feature column \(j), row \(i) is \(v)", expected: "finite numbers")
                }
                guard flags[j] else { continue }
                guard v > -1 else {
                    throw AnalyticsError.invalidInput(what: "feature column \(j), row \(i) is \(v), log1p needs values > -1",
                                                      expected: "values > -1 in log1p columns")
                }
                out[i, j] = Foundation.log1p(v)
            }
        }
        return out
    }
}
