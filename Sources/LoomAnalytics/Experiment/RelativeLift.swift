import Foundation

/// The relative lift value / controlValue - 1 and its interval by the delta method: for
/// independent groups, Var(m1/m0) ~ Var(m1)/m0^2 + m1^2 Var(m0)/m0^4 (first-order Taylor expansion
/// of the ratio; e.g. Kohavi, Tang & Xu 2020, "Trustworthy Online Controlled Experiments", ch. 18).
/// The interval is lift +- z_{1-alpha/2} * se: the method is asymptotic, so it takes the normal
/// quantile even when the difference used Student's t.
public struct RelativeLift: Equatable, Sendable {
    public var lift: Double, low: Double, high: Double, standardError: Double

    /// nil when the control's value is 0 (no relative change is defined).
    public static func delta(_ c: Comparison, alpha: Double) -> RelativeLift? {
        let m1 = c.value, m0 = c.controlValue
        guard m0 != 0 else { return nil }
        let se = (c.standardError * c.standardError / (m0 * m0) + m1 * m1 * c.controlStandardError * c.controlStandardError / (m0 * m0 * m0 * m0)).squareRoot()
        let lift = m1 / m0 - 1, z = Normal.quantile(1 - alpha / 2)
        return RelativeLift(lift: lift, low: lift - z * se, high: lift + z * se, standardError: se)
    }
}
