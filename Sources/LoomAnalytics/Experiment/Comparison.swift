import Foundation

/// One treatment variant against the control on one metric: the estimate, its interval and test,
/// as `TwoProportionTest` or `WelchTest` computes it, before the relative lift, power and the
/// multiple-testing adjustment are added.
public struct Comparison: Equatable, Sendable {
    public var n: Int, controlN: Int
    /// The treatment's and the control's rate (proportions) or mean.
    public var value: Double, controlValue: Double
    /// Standard errors of `value` and `controlValue` (unpooled), for the delta method and power.
    public var standardError: Double, controlStandardError: Double
    /// value - controlValue, and its (1 - alpha) interval.
    public var diff: Double, diffLow: Double, diffHigh: Double
    /// The test statistic (z or t) and its degrees of freedom (infinite for a z-test: the normal
    /// is Student's t with infinitely many).
    public var statistic: Double, df: Double
    /// Two-sided.
    public var pValue: Double
    public var test: String

    /// The standard error of `diff` the interval uses.
    public var diffStandardError: Double { (standardError * standardError + controlStandardError * controlStandardError).squareRoot() }
}
