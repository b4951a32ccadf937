import Foundation

/// Student's t distribution with `df` degrees of freedom (df > 0, not necessarily whole: Welch's
/// test gives fractional ones).
public struct StudentT: Sendable {
    public var df: Double
    public init(df: Double) {
        precondition(df > 0, "Student's t needs df > 0")
        self.df = df
    }

    /// P(|T| >= |t|): I_{df/(df+t^2)}(df/2, 1/2) (Abramowitz & Stegun 26.7.1 with 26.5.27),
    /// computed directly so that small p-values keep their digits.
    public func twoSidedTail(_ t: Double) -> Double {
        guard t.isFinite else { return t.isNaN ? .nan : 0 }
        return SpecialFunctions.regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5)
    }

    /// P(T <= t).
    public func cdf(_ t: Double) -> Double {
        let tail = twoSidedTail(t) / 2
        return t > 0 ? 1 - tail : tail
    }

    public func pdf(_ t: Double) -> Double {
        exp(lgamma((df + 1) / 2) - lgamma(df / 2) - 0.5 * log(df * Double.pi) - (df + 1) / 2 * log1p(t * t / df))
    }

    /// The t with P(T <= t) = p, p in (0, 1). Newton on the upper tail, which is convex and
    /// decreasing for t > 0, so the iterates approach the root from one side after the first
    /// step; the start is the normal quantile with Cornish-Fisher terms (A&S 26.7.5).
    public func quantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "t quantile needs p in (0, 1)")
        if p < 0.5 { return -quantile(1 - p) }
        if p == 0.5 { return 0 }
        let upper = 1 - p
        let z = Normal.quantile(p)
        var t = z + (z * z * z + z) / (4 * df) + (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * df * df)
        if !(t > 0) || !t.isFinite { t = z }
        for _ in 0..<200 {
            let f = twoSidedTail(t) / 2 - upper
            let step = f / pdf(t)
            var next = t + step
            if next <= 0 { next = t / 2 }   // keep to t > 0, where the tail is convex
            if abs(next - t) <= 1e-14 * max(1, abs(t)) { return next }
            t = next
        }
        return t
    }
}
