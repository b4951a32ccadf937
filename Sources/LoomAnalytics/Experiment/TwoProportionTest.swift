import Foundation

/// The two-proportion z-test of a binary metric: the p-value from the pooled standard error
/// (the rates are equal under the null hypothesis), the interval of the difference from the
/// unpooled one (Wald). As statsmodels' `proportions_ztest` (prop_var=False) and
/// `confint_proportions_2indep(method="wald")`.
public enum TwoProportionTest {
    /// `successes` of `n` in the treatment against `controlSuccesses` of `controlN`; n >= 1 each.
    /// Returns nil when both standard errors are zero (each group is all 0 or all 1): no test.
    public static func compare(successes: Int, n: Int, controlSuccesses: Int, controlN: Int, alpha: Double) -> Comparison? {
        precondition(n > 0 && controlN > 0 && alpha > 0 && alpha < 1)
        let p1 = Double(successes) / Double(n), p0 = Double(controlSuccesses) / Double(controlN)
        let se1 = (p1 * (1 - p1) / Double(n)).squareRoot(), se0 = (p0 * (1 - p0) / Double(controlN)).squareRoot()
        let unpooled = (se1 * se1 + se0 * se0).squareRoot()
        let pooledRate = Double(successes + controlSuccesses) / Double(n + controlN)
        let pooled = (pooledRate * (1 - pooledRate) * (1 / Double(n) + 1 / Double(controlN))).squareRoot()
        guard unpooled > 0, pooled > 0 else { return nil }
        let diff = p1 - p0
        let z = diff / pooled
        let critical = Normal.quantile(1 - alpha / 2)
        return Comparison(n: n, controlN: controlN, value: p1, controlValue: p0, standardError: se1, controlStandardError: se0,
                          diff: diff, diffLow: diff - critical * unpooled, diffHigh: diff + critical * unpooled,
                          statistic: z, df: .infinity, pValue: min(1, 2 * Normal.survival(abs(z))), test: "two_proportion_z")
    }
}
