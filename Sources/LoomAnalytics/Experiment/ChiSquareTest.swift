import Foundation

/// Pearson's chi-squared tests: goodness of fit (the sample-ratio check: are units split among
/// variants as designed?) and independence in a contingency table (a binary metric across more
/// than two variants). As scipy's `chisquare(f_obs, f_exp)` and `chi2_contingency(correction=False)`.
public enum ChiSquareTest {
    public struct Outcome: Codable, Equatable, Sendable {
        public var statistic: Double
        public var df: Int
        public var pValue: Double
    }

    /// Observed counts against expected shares (any positive weights; normalised here). Needs at
    /// least two categories.
    public static func goodnessOfFit(observed: [Int], shares: [Double]) -> Outcome {
        precondition(observed.count == shares.count && observed.count >= 2 && shares.allSatisfy { $0 > 0 })
        let n = Double(observed.reduce(0, +)), total = shares.reduce(0, +)
        var stat = 0.0
        for (o, s) in zip(observed, shares) {
            let e = n * s / total
            stat += (Double(o) - e) * (Double(o) - e) / e
        }
        let df = observed.count - 1
        return Outcome(statistic: stat, df: df, pValue: ChiSquared(df: Double(df)).survival(stat))
    }

    /// Independence of rows and columns in a table of counts; nil when a row or column sums to 0
    /// (an expected count of 0).
    public static func independence(_ table: [[Double]]) -> Outcome? {
        guard table.count >= 2, let k = table.first?.count, k >= 2, table.allSatisfy({ $0.count == k }) else { return nil }
        let rows = table.map { $0.reduce(0, +) }
        let cols = (0..<k).map { j in table.reduce(0) { $0 + $1[j] } }
        let n = rows.reduce(0, +)
        guard rows.allSatisfy({ $0 > 0 }), cols.allSatisfy({ $0 > 0 }) else { return nil }
        var stat = 0.0
        for i in table.indices {
            for j in 0..<k {
                let e = rows[i] * cols[j] / n
                stat += (table[i][j] - e) * (table[i][j] - e) / e
            }
        }
        let df = (table.count - 1) * (k - 1)
        return Outcome(statistic: stat, df: df, pValue: ChiSquared(df: Double(df)).survival(stat))
    }
}
