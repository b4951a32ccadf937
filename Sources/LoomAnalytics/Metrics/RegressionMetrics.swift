import Foundation

/// How well a regression's predictions match the targets.
public struct RegressionReport: Codable, Equatable, Sendable {
    public var rows: Int
    /// sqrt(mean (y - p)^2), mean |y - p|.
    public var rootMeanSquaredError, meanAbsoluteError: Double
    /// Coefficient of determination 1 - SS_res / SS_tot (scikit-learn's `r2_score`); nil when the
    /// targets are constant (SS_tot = 0).
    public var r2: Double?
}

/// RMSE, MAE and R^2 of predictions against targets.
public enum RegressionMetrics {
    /// - Throws: `AnalyticsError.tooFewRows` if empty, `.invalidInput` on a length mismatch or a non-finite value.
    public static func evaluate(targets y: [Double], predictions p: [Double]) throws -> RegressionReport {
        guard !y.isEmpty else { throw AnalyticsError.tooFewRows(what: "predictions", rows: 0, needed: 1) }
        guard y.count == p.count else { throw AnalyticsError.invalidInput(what: "\(p.count) predictions for \(y.count) targets", expected: "one per target") }
        if let i = (y + p).firstIndex(where: { !$0.isFinite }) {
            throw AnalyticsError.invalidInput(what: "\(i < y.count ? "target" : "prediction") \(i % y.count) is \((y + p)[i])", expected: "a finite number")
        }
        let n = Double(y.count)
        let mean = y.reduce(0, +) / n
        var squares = 0.0, absolute = 0.0, total = 0.0
        for (t, q) in zip(y, p) {
            squares += (t - q) * (t - q)
            absolute += abs(t - q)
            total += (t - mean) * (t - mean)
        }
        return RegressionReport(rows: y.count, rootMeanSquaredError: (squares / n).squareRoot(), meanAbsoluteError: absolute / n,
                                r2: total > 0 ? 1 - squares / total : nil)
    }
}
