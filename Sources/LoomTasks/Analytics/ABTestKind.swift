import Foundation
import LoomAnalytics
import LoomCore

/// `abtest`: an A/B(/n) test of a table with one row per unit (user or session): a variant
/// column and metric columns (see `ABTest` for the statistics).
///
/// Writes (format version 1):
/// - `abtest.csv`, one row per (metric, treatment variant), metrics in param order, variants
///   control first then by name: `metric, variant, n, control_n, value, control_value, diff,
///   diff_ci_low, diff_ci_high, relative_lift, lift_ci_low, lift_ci_high, p_value, p_value_holm,
///   test, statistic, df, power, mde, covariate, variance_reduction`. `value` is the rate of a
///   proportion or the mean (CUPED-adjusted when the metric has a covariate); the relative lift
///   and its interval are empty when the control's value is 0; `df` is `inf` for a z-test;
///   `covariate` is empty without CUPED.
/// - `abtest.json`: `format` ("loom-abtest 1"), `alpha`, `power`, `variants`, `sample_ratio`
///   (observed counts, expected shares, chi-squared statistic, df, p-value, mismatch) and
///   `omnibus` (the chi-squared test of each proportion over more than two variants).
/// - metrics: `units`, `variants`, `srm.chi2`, `srm.p_value`, `srm.mismatch` (1 or 0), and per row
///   `METRIC.VARIANT.diff`, `.diff_ci_low`, `.diff_ci_high`, `.relative_lift`, `.lift_ci_low`,
///   `.lift_ci_high`, `.p_value`, `.p_value_holm`, `.power`, `.mde`.
public enum ABTestKind: TaskKind {
    public struct Params: Decodable, Sendable {
        public var input: String?
        public var file: String
        public var variant: String
        public var control: String
        public var metrics: [String]
        public var alpha: Double
        public var power: Double
        public var covariates: [String: String]
        public var expectedSplit: [String: Double]
        public var srmAlpha: Double
        enum CodingKeys: String, CodingKey {
            case input, file, variant, control, metrics, alpha, power, covariates, expectedSplit = "expected_split", srmAlpha = "srm_alpha"
        }
    }

    public static let name = "abtest"
    public static let version = 1
    public static let summary = "A/B(/n) test of METRICS by VARIANT against CONTROL: two-proportion z (0/1 metrics) or Welch t (others), CUPED, delta-method lift intervals, Holm p-values, power and MDE, sample-ratio check -> abtest.csv, abtest.json."
    public static let params = [
        ParamSpec.soleInput("the needed task with the table"),
        ParamSpec("file", .string, "experiment.csv", "the table in INPUT: one row per unit"),
        ParamSpec("variant", .string, "variant", "column with each unit's variant"),
        ParamSpec("control", .string, "control", "the control variant's value; every other value is a treatment compared with it"),
        ParamSpec("metrics", .strings, .required, "numeric columns to compare; a column of only 0 and 1 is a proportion (two-proportion z-test), any other a mean (Welch's t-test)"),
        ParamSpec("alpha", .float, 0.05, "significance level: intervals are 1 - alpha, p-values compared with it", bounds: .strictlyBetween(0, 1)),
        ParamSpec("power", .float, 0.8, "power at which the minimum detectable effect (mde) is computed", bounds: .strictlyBetween(0, 1)),
        ParamSpec("covariates", .map, .value(.map([:])), "CUPED: metric -> column with the unit's pre-period value of it (e.g. {spend: pre_spend}); such a metric is compared by Welch's t on Y - theta (X - mean X)"),
        ParamSpec("expected_split", .map, .value(.map([:])), "designed share of units per variant for the sample-ratio check, e.g. {control: 0.5, treatment: 0.5} (weights; empty: equal shares)"),
        ParamSpec("srm_alpha", .float, 0.001, "the sample-ratio check flags a mismatch below this p-value", bounds: .strictlyBetween(0, 1)),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        var out: [ParamProblem] = []
        if p.metrics.isEmpty { out.append(ParamProblem(param: "metrics", "param 'metrics' must name at least one column")) }
        out += ArtifactFiles.columnNameProblems(p.metrics, param: "metrics", file: "abtest.csv", written: [])
        if p.metrics.contains(p.variant) { out.append(ParamProblem(param: "metrics", "param 'metrics' names the variant column '\(p.variant)'")) }
        for k in p.covariates.keys.sorted() where !p.metrics.contains(k) {
            out.append(ParamProblem(param: "covariates", "param 'covariates' names '\(k)', which is not in 'metrics' (\(p.metrics.joined(separator: ", ")))",
                                    notes: Suggestion.notes(for: k, in: p.metrics)))
        }
        for k in p.covariates.keys.sorted() where p.covariates[k] == k || p.covariates[k] == p.variant {
            out.append(ParamProblem(param: "covariates", "param 'covariates' gives metric '\(k)' the covariate '\(p.covariates[k]!)': expected a pre-period column other than the metric and the variant"))
        }
        for k in p.expectedSplit.keys.sorted() where !(p.expectedSplit[k]! > 0 && p.expectedSplit[k]!.isFinite) {
            out.append(ParamProblem(param: "expected_split", "param 'expected_split' gives variant '\(k)' the share \(p.expectedSplit[k]!): expected a positive number"))
        }
        if !p.expectedSplit.isEmpty && p.expectedSplit[p.control] == nil {
            out.append(ParamProblem(param: "expected_split", "param 'expected_split' has no share for the control '\(p.control)'"))
        }
        return out
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        let input = try ArtifactFiles.soleInput(context, p.input, kind: name)
        let path = try ArtifactFiles.path(context, input: input, file: p.file)
        guard let bytes = FileManager.default.contents(atPath: path) else { throw KindError("cannot read \(path)") }
        let file = "\(input)/\(p.file)"
        let rows = try CSV.rows([UInt8](bytes), file: file)
        let data = try ExperimentTable.read(rows, variant: p.variant, metrics: p.metrics, covariates: p.covariates)
        var config = ABTest.Config(control: p.control)
        config.alpha = p.alpha
        config.power = p.power
        config.srmAlpha = p.srmAlpha
        config.expectedSplit = p.expectedSplit.isEmpty ? nil : p.expectedSplit
        let result = try ABTest.analyse(data, config: config, file: file)
        try ArtifactFiles.write(table(result.rows), context, "abtest.csv")
        try ArtifactFiles.writeJSON(Summary(result, config), context, "abtest.json")
        let srm = result.sampleRatio
        if srm.mismatch {
            context.log("sample ratio mismatch: units per variant \(zip(srm.variants, srm.observed).map { "\($0) \($1)" }.joined(separator: ", ")), chi-squared p = \(CSV.format(srm.test.pValue)) < \(CSV.format(p.srmAlpha)): the comparisons are suspect")
        }
        var m: [String: Double] = ["units": Double(data.variants.count), "variants": Double(result.variants.count),
                                   "srm.chi2": srm.test.statistic, "srm.p_value": srm.test.pValue, "srm.mismatch": srm.mismatch ? 1 : 0]
        for r in result.rows {
            let k = "\(r.metric).\(r.variant)."
            for (field, v) in [("diff", r.diff), ("diff_ci_low", r.diffLow), ("diff_ci_high", r.diffHigh), ("p_value", r.pValue), ("p_value_holm", r.pValueHolm),
                               ("power", r.power), ("mde", r.minimumDetectableEffect)] { m[k + field] = v }
            if let l = r.lift { m[k + "relative_lift"] = l.lift; m[k + "lift_ci_low"] = l.low; m[k + "lift_ci_high"] = l.high }
        }
        try ArtifactFiles.writeMetrics(m, context)
    }

    /// The columns of abtest.csv (see the type's comment).
    public static let columns = ["metric", "variant", "n", "control_n", "value", "control_value", "diff", "diff_ci_low", "diff_ci_high",
                                 "relative_lift", "lift_ci_low", "lift_ci_high", "p_value", "p_value_holm", "test", "statistic", "df",
                                 "power", "mde", "covariate", "variance_reduction"]

    static func table(_ rows: [ABTest.Row]) -> Table {
        func num(_ f: (ABTest.Row) -> Double) -> Column { .number(rows.map(f)) }
        let columns: [Column] = [
            .text(rows.map(\.metric)), .text(rows.map(\.variant)), num { Double($0.n) }, num { Double($0.controlN) },
            num(\.value), num(\.controlValue), num(\.diff), num(\.diffLow), num(\.diffHigh),
            num { $0.lift?.lift ?? .nan }, num { $0.lift?.low ?? .nan }, num { $0.lift?.high ?? .nan },
            num(\.pValue), num(\.pValueHolm), .text(rows.map(\.test)), num(\.statistic), num(\.df),
            num(\.power), num(\.minimumDetectableEffect), .text(rows.map { $0.covariate ?? "" }), num(\.varianceReduction),
        ]
        return Table(Array(zip(Self.columns, columns)))
    }

    /// abtest.json, format version 1.
    struct Summary: Codable {
        var format = "loom-abtest 1"
        var alpha: Double
        var power: Double
        var variants: [String]
        var sampleRatio: SampleRatio
        var omnibus: [Omnibus]
        struct SampleRatio: Codable {
            var variants: [String]; var observed: [Int]; var expectedShares: [Double]
            var chi2: Double; var df: Int; var pValue: Double; var mismatch: Bool
            enum CodingKeys: String, CodingKey { case variants, observed, expectedShares = "expected_shares", chi2, df, pValue = "p_value", mismatch }
        }
        struct Omnibus: Codable {
            var metric: String; var test = "chi_square_independence"; var chi2: Double; var df: Int; var pValue: Double
            enum CodingKeys: String, CodingKey { case metric, test, chi2, df, pValue = "p_value" }
        }
        enum CodingKeys: String, CodingKey { case format, alpha, power, variants, sampleRatio = "sample_ratio", omnibus }

        init(_ r: ABTest.Result, _ c: ABTest.Config) {
            alpha = c.alpha
            power = c.power
            variants = r.variants
            let s = r.sampleRatio
            sampleRatio = SampleRatio(variants: s.variants, observed: s.observed, expectedShares: s.expectedShares, chi2: s.test.statistic,
                                      df: s.test.df, pValue: s.test.pValue, mismatch: s.mismatch)
            omnibus = r.omnibus.map { Omnibus(metric: $0.metric, chi2: $0.test.statistic, df: $0.test.df, pValue: $0.test.pValue) }
        }
    }
}
