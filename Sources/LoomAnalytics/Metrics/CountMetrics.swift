import Foundation

/// How well predicted counts or amounts (for example CLV's expected purchases in a holdout period)
/// match what happened, overall and by group (for example by calibration-period frequency).
public struct CountReport: Codable, Equatable, Sendable {
    public var rows: Int
    /// Sums over rows.
    public var totalPredicted, totalActual: Double
    /// Mean absolute error and root mean squared error.
    public var meanAbsoluteError, rootMeanSquaredError: Double
    /// Pearson correlation of predicted and actual; nil when either is constant.
    public var pearsonCorrelation: Double?
    /// One row per non-empty group, in order 0, 1, ..., 6, 7+; nil when no groups were given.
    public var byGroup: [CountGroup]?
}

/// Predicted and actual means for the rows whose group value g has min(floor(g), 7) == `group`.
public struct CountGroup: Codable, Equatable, Sendable {
    /// "0", "1", ..., "6" or "7+".
    public var label: String
    /// 0...7 (7 stands for 7 and more).
    public var group: Int
    public var count: Int
    public var meanPredicted, meanActual: Double
}

/// Regression metrics for counts and amounts.
public enum CountMetrics {
    /// Groups at or above this value are pooled into one "7+" group.
    public static let pooledGroup = 7

    /// Totals, MAE, RMSE, Pearson correlation and (if `groups` is given) the by-group table.
    /// - Parameters:
    ///   - predicted: one finite prediction per row.
    ///   - actual: one finite observed value per row.
    ///   - groups: optional non-negative group value per row (a frequency; fractions are floored).
    /// - Throws: `AnalyticsError.tooFewRows` if empty, `.invalidInput` on a length mismatch, a
    ///   non-finite value, or a negative or non-finite group.
    public static func evaluate(predicted: [Double], actual: [Double], groups: [Double]? = nil) throws -> CountReport {
        try validate(predicted: predicted, actual: actual, groups: groups)
        let n = Double(predicted.count)
        var abs = 0.0, sq = 0.0
        for (p, a) in zip(predicted, actual) { abs += Swift.abs(p - a); sq += (p - a) * (p - a) }
        return CountReport(rows: predicted.count, totalPredicted: predicted.reduce(0, +), totalActual: actual.reduce(0, +),
                           meanAbsoluteError: abs / n, rootMeanSquaredError: (sq / n).squareRoot(),
                           pearsonCorrelation: pearson(predicted, actual),
                           byGroup: groups.map { byGroup(predicted: predicted, actual: actual, groups: $0) })
    }

    static func validate(predicted: [Double], actual: [Double], groups: [Double]?) throws {
        guard !predicted.isEmpty else { throw AnalyticsError.tooFewRows(what: "predicted", rows: 0, needed: 1) }
        guard actual.count == predicted.count else {
            throw AnalyticsError.invalidInput(what: "actual has \(actual.count) values", expected: "one per prediction (\(predicted.count))")
        }
        if let g = groups, g.count != predicted.count {
            throw AnalyticsError.invalidInput(what: "groups has \(g.count) values", expected: "one per prediction (\(predicted.count))")
        }
        for (name, values) in [("predicted", predicted), ("actual", actual)] {
            if let i = values.firstIndex(where: { !$0.isFinite }) {
                throw AnalyticsError.invalidInput(what: "\(name) at row \(i) is \(values[i])", expected: "a finite number")
            }
        }
        if let g = groups, let i = g.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
            throw AnalyticsError.invalidInput(what: "group at row \(i) is \(g[i])", expected: "a finite number >= 0")
        }
    }

    /// Pearson's r from centred sums; nil if either side has zero variance.
    static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) { sxy += (a - mx) * (b - my); sxx += (a - mx) * (a - mx); syy += (b - my) * (b - my) }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }

    static func byGroup(predicted: [Double], actual: [Double], groups: [Double]) -> [CountGroup] {
        var count = [Int](repeating: 0, count: pooledGroup + 1)
        var sumP = [Double](repeating: 0, count: pooledGroup + 1), sumA = sumP
        for i in groups.indices {
            let g = min(Int(min(groups[i], Double(pooledGroup)).rounded(.down)), pooledGroup)
            count[g] += 1; sumP[g] += predicted[i]; sumA[g] += actual[i]
        }
        return (0...pooledGroup).filter { count[$0] > 0 }.map { g in
            CountGroup(label: g == pooledGroup ? "\(g)+" : "\(g)", group: g, count: count[g],
                       meanPredicted: sumP[g] / Double(count[g]), meanActual: sumA[g] / Double(count[g]))
        }
    }
}
