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

/// The rows of one tenth of the predictions (lowest first): how many, their mean prediction and mean target.
public struct RegressionDecile: Codable, Equatable, Sendable {
    /// 1...10.
    public var decile: Int
    public var rows: Int
    public var meanPredicted, meanActual: Double
}

/// RMSE, MAE and R^2 of predictions against targets.
public enum RegressionMetrics {
    /// Rows sorted by prediction (ties by row order) and cut into ten groups, group k holding sorted rows
    /// floor(k n / 10) ..< floor((k + 1) n / 10); empty groups (fewer than 10 rows) are left out. A
    /// calibrated model has mean target close to mean prediction in every group.
    /// - Throws: as `evaluate`.
    public static func deciles(targets y: [Double], predictions p: [Double]) throws -> [RegressionDecile] {
        _ = try evaluate(targets: y, predictions: p)
        let order = p.indices.sorted { p[$0] < p[$1] || (p[$0] == p[$1] && $0 < $1) }
        let n = order.count
        return (0..<10).compactMap { k in
            let rows = order[(k * n / 10)..<((k + 1) * n / 10)]
            guard !rows.isEmpty else { return nil }
            let c = Double(rows.count)
            return RegressionDecile(decile: k + 1, rows: rows.count, meanPredicted: rows.reduce(0) { $0 + p[$1] } / c,
                                    meanActual: rows.reduce(0) { $0 + y[$1] } / c)
        }
    }

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
