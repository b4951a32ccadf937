import Foundation

/// Welch's unequal-variances t-test of a difference in means (Welch 1947), with the
/// Welch-Satterthwaite degrees of freedom; the interval is diff +- t_{df, 1-alpha/2} * se.
/// As scipy's `ttest_ind(a, b, equal_var=False)` and its `confidence_interval`.
public enum WelchTest {
    /// Each group needs n >= 2. Returns nil when both variances are zero: no test.
    public static func compare(_ treatment: GroupSummary, control: GroupSummary, alpha: Double, test: String = "welch_t") -> Comparison? {
        precondition(treatment.n > 1 && control.n > 1 && alpha > 0 && alpha < 1)
        let v1 = treatment.variance / Double(treatment.n), v0 = control.variance / Double(control.n)
        let se = (v1 + v0).squareRoot()
        guard se > 0, se.isFinite else { return nil }
        // Welch-Satterthwaite: (v1 + v0)^2 / (v1^2/(n1-1) + v0^2/(n0-1)).
        let df = (v1 + v0) * (v1 + v0) / (v1 * v1 / Double(treatment.n - 1) + v0 * v0 / Double(control.n - 1))
        let diff = treatment.mean - control.mean
        let t = diff / se
        let dist = StudentT(df: df)
        let critical = dist.quantile(1 - alpha / 2)
        return Comparison(n: treatment.n, controlN: control.n, value: treatment.mean, controlValue: control.mean,
                          standardError: v1.squareRoot(), controlStandardError: v0.squareRoot(),
                          diff: diff, diffLow: diff - critical * se, diffHigh: diff + critical * se,
                          statistic: t, df: df, pValue: min(1, dist.twoSidedTail(t)), test: test)
    }
}
