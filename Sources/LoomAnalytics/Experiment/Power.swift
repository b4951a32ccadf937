import Foundation

/// Power and minimum detectable effect of a two-sided test of a difference at level alpha whose
/// estimate has standard error `se`, by the normal approximation (for Welch's test too: at the
/// sample sizes where power matters t and normal agree to a few parts in a thousand).
public enum Power {
    /// P(reject | true difference `effect`) = Phi(|effect|/se - z) + Phi(-|effect|/se - z),
    /// z = z_{1-alpha/2} (both tails, as statsmodels' `NormalIndPower`).
    public static func achieved(effect: Double, standardError se: Double, alpha: Double) -> Double {
        let z = Normal.quantile(1 - alpha / 2), k = abs(effect) / se
        return Normal.cdf(k - z) + Normal.cdf(-k - z)
    }

    /// The smallest |difference| detected with probability `power`: (z_{1-alpha/2} + z_power) * se
    /// (the usual sample-size formula solved for the effect; it neglects the far tail, below
    /// alpha/2 of the power).
    public static func minimumDetectableEffect(standardError se: Double, alpha: Double, power: Double) -> Double {
        (Normal.quantile(1 - alpha / 2) + Normal.quantile(power)) * se
    }
}
