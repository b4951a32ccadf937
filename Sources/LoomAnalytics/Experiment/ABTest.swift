import Foundation

/// An A/B(/n) test of several metrics: every treatment variant against the control on every
/// metric, with
/// - a metric whose values are all 0 or 1 as a proportion (`TwoProportionTest`), any other as a
///   mean (`WelchTest`); a metric with a covariate is CUPED-adjusted (`CUPED`) and then compared
///   by Welch's test whatever its values;
/// - the relative lift with its delta-method interval (`RelativeLift`);
/// - Holm-adjusted p-values over the whole family of rows (every metric x treatment variant);
/// - the power achieved at the observed difference and the minimum detectable effect at the
///   observed sample size (`Power`);
/// - the sample-ratio-mismatch check: a chi-squared goodness of fit of the units per variant
///   against the designed split;
/// - for a proportion with more than two variants, a chi-squared test of independence of variant
///   and outcome (an omnibus test beside the pairwise ones).
/// Variants are ordered control first, then the others by name, so nothing depends on the order
/// rows or hash tables happen to have.
public enum ABTest {
    public struct Config: Equatable, Sendable {
        public var control: String
        public var alpha = 0.05
        /// The power at which `minimumDetectableEffect` is computed.
        public var power = 0.8
        /// Variant -> designed share (weights, normalised); nil = equal shares.
        public var expectedSplit: [String: Double]?
        /// The sample-ratio check flags a mismatch below this p-value (low: with many units a
        /// small imbalance is real, and the check runs on every experiment).
        public var srmAlpha = 0.001

        public init(control: String) { self.control = control }
    }

    public struct Metric: Sendable {
        public var name: String
        public var values: [Double]
        /// The pre-period column's name and values, for CUPED.
        public var covariate: (name: String, values: [Double])?
        public init(name: String, values: [Double], covariate: (String, [Double])? = nil) {
            self.name = name
            self.values = values
            self.covariate = covariate.map { (name: $0.0, values: $0.1) }
        }
    }

    /// One metric for one treatment variant.
    public struct Row: Equatable, Sendable {
        public var metric: String, variant: String
        public var n: Int, controlN: Int
        public var value: Double, controlValue: Double
        public var diff: Double, diffLow: Double, diffHigh: Double
        /// nil when the control's value is 0.
        public var lift: RelativeLift?
        public var statistic: Double, df: Double
        public var pValue: Double, pValueHolm: Double
        public var test: String
        public var power: Double, minimumDetectableEffect: Double
        public var covariate: String?
        public var varianceReduction: Double
    }

    public struct SampleRatio: Equatable, Sendable {
        public var variants: [String]
        public var observed: [Int]
        /// The designed shares, normalised to sum to 1.
        public var expectedShares: [Double]
        public var test: ChiSquareTest.Outcome
        /// p-value below `Config.srmAlpha`: the split is not what was designed, and every
        /// comparison is suspect (users were lost or moved between variants unevenly).
        public var mismatch: Bool
    }

    public struct Omnibus: Equatable, Sendable {
        public var metric: String
        public var test: ChiSquareTest.Outcome
    }

    public struct Result: Equatable, Sendable {
        public var variants: [String]
        public var rows: [Row]
        public var sampleRatio: SampleRatio
        public var omnibus: [Omnibus]
    }

    /// `file` names the table in errors.
    public static func analyse(_ data: ExperimentTable, config c: Config, file: String) throws -> Result {
        guard c.alpha > 0, c.alpha < 1 else { throw AnalyticsError.invalidParameter(name: "alpha", value: String(c.alpha), expected: "strictly between 0 and 1") }
        guard c.power > 0, c.power < 1 else { throw AnalyticsError.invalidParameter(name: "power", value: String(c.power), expected: "strictly between 0 and 1") }
        let variants = try order(data.variants, control: c.control, file: file)
        var rowsOf: [String: [Int]] = [:]
        for (i, v) in data.variants.enumerated() { rowsOf[v, default: []].append(i) }
        for v in variants where rowsOf[v, default: []].count < 2 {
            throw AnalyticsError.invalidInput(what: "\(file): variant '\(v)' has \(rowsOf[v, default: []].count) row", expected: "at least 2 rows per variant (a variance needs two)")
        }
        let sampleRatio = try self.sampleRatio(variants, counts: variants.map { rowsOf[$0, default: []].count }, config: c, file: file)
        var rows: [Row] = [], omnibus: [Omnibus] = []
        for m in data.metrics {
            let (metricRows, test) = try compare(m, variants: variants, rowsOf: rowsOf, config: c, file: file)
            rows += metricRows
            if let test { omnibus.append(Omnibus(metric: m.name, test: test)) }
        }
        let holm = HolmAdjustment.adjust(rows.map(\.pValue))
        for i in rows.indices { rows[i].pValueHolm = holm[i] }
        return Result(variants: variants, rows: rows, sampleRatio: sampleRatio, omnibus: omnibus)
    }

    /// One metric: each treatment against the control (Holm-adjusted later, over all metrics),
    /// and for a proportion over more than two variants the omnibus chi-squared test.
    static func compare(_ m: Metric, variants: [String], rowsOf: [String: [Int]], config c: Config, file: String) throws -> ([Row], ChiSquareTest.Outcome?) {
        var values = m.values, reduction = 0.0
        let binary = m.covariate == nil && values.allSatisfy { $0 == 0 || $0 == 1 }
        if let cov = m.covariate {
            guard let cuped = CUPED.fit(metric: values, covariate: cov.values) else {
                throw AnalyticsError.invalidInput(what: "\(file): covariate '\(cov.name)' of metric '\(m.name)' has the same value in every row",
                                                  expected: "a pre-period value that varies (CUPED regresses the metric on it)")
            }
            values = cuped.adjust(metric: values, covariate: cov.values)
            reduction = cuped.varianceReduction
        }
        let groups = variants.map { v in rowsOf[v, default: []].map { values[$0] } }
        var rows: [Row] = []
        for k in 1..<variants.count {
            let cmp: Comparison?
            if binary {
                cmp = TwoProportionTest.compare(successes: Int(groups[k].reduce(0, +)), n: groups[k].count,
                                                controlSuccesses: Int(groups[0].reduce(0, +)), controlN: groups[0].count, alpha: c.alpha)
            } else {
                cmp = WelchTest.compare(GroupSummary(groups[k]), control: GroupSummary(groups[0]), alpha: c.alpha,
                                        test: m.covariate == nil ? "welch_t" : "cuped_welch_t")
            }
            guard let cmp else {
                throw AnalyticsError.invalidInput(
                    what: "\(file): metric '\(m.name)' has zero variance in both variant '\(variants[k])' (every value \(CSV.format(groups[k][0]))) and control '\(c.control)' (every value \(CSV.format(groups[0][0])))",
                    expected: "values that vary within at least one of the two variants")
            }
            let se = cmp.diffStandardError
            rows.append(Row(metric: m.name, variant: variants[k], n: cmp.n, controlN: cmp.controlN, value: cmp.value, controlValue: cmp.controlValue,
                            diff: cmp.diff, diffLow: cmp.diffLow, diffHigh: cmp.diffHigh, lift: RelativeLift.delta(cmp, alpha: c.alpha),
                            statistic: cmp.statistic, df: cmp.df, pValue: cmp.pValue, pValueHolm: cmp.pValue, test: cmp.test,
                            power: Power.achieved(effect: cmp.diff, standardError: se, alpha: c.alpha),
                            minimumDetectableEffect: Power.minimumDetectableEffect(standardError: se, alpha: c.alpha, power: c.power),
                            covariate: m.covariate?.name, varianceReduction: reduction))
        }
        guard binary && variants.count > 2 else { return (rows, nil) }
        return (rows, ChiSquareTest.independence(groups.map { g in
            let ones = g.reduce(0, +)
            return [ones, Double(g.count) - ones]
        }))
    }

    /// The distinct variants, control first, then the others by name.
    static func order(_ labels: [String], control: String, file: String) throws -> [String] {
        let distinct = Set(labels)
        guard distinct.contains(control) else {
            let shown = distinct.sorted().prefix(10).map(CSV.quoted).joined(separator: ", ")
            throw AnalyticsError.invalidInput(what: "\(file): no row has the control variant '\(CSV.excerpt(control))' (param 'control')",
                                              expected: "one of the variants in the data: \(shown)\(distinct.count > 10 ? ", ..." : "")")
        }
        guard distinct.count >= 2 else {
            throw AnalyticsError.invalidInput(what: "\(file): every row is in the control variant '\(CSV.excerpt(control))'", expected: "at least one treatment variant")
        }
        return [control] + distinct.subtracting([control]).sorted()
    }

    static func sampleRatio(_ variants: [String], counts: [Int], config c: Config, file: String) throws -> SampleRatio {
        var shares = [Double](repeating: 1, count: variants.count)
        if let split = c.expectedSplit {
            let missing = variants.filter { split[$0] == nil }, extra = split.keys.filter { !variants.contains($0) }.sorted()
            guard missing.isEmpty, extra.isEmpty else {
                throw AnalyticsError.invalidInput(
                    what: "\(file): param 'expected_split' names \(split.keys.sorted().map(CSV.quoted).joined(separator: ", "))"
                        + (missing.isEmpty ? "" : "; the data's variant\(missing.count > 1 ? "s" : "") \(missing.map(CSV.quoted).joined(separator: ", ")) missing")
                        + (extra.isEmpty ? "" : "; no rows for \(extra.map(CSV.quoted).joined(separator: ", "))"),
                    expected: "one share per variant of the data: \(variants.map(CSV.quoted).joined(separator: ", "))")
            }
            shares = variants.map { split[$0]! }
        }
        let total = shares.reduce(0, +)
        let test = ChiSquareTest.goodnessOfFit(observed: counts, shares: shares)
        return SampleRatio(variants: variants, observed: counts, expectedShares: shares.map { $0 / total }, test: test, mismatch: test.pValue < c.srmAlpha)
    }
}
