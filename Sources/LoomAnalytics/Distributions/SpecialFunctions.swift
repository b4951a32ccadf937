import Foundation

/// Regularised incomplete beta and gamma functions, the CDFs behind Student's t and the
/// chi-squared distribution. Continued fractions evaluated by the modified Lentz method
/// (Press et al., Numerical Recipes 3rd ed., sections 6.2 and 6.4); relative accuracy about 1e-14
/// where the result is not itself below 1e-300.
public enum SpecialFunctions {
    static let epsilon = 1e-15
    static let tiny = 1e-300
    /// Enough for the fractions to converge for parameters up to ~1e8 (they need O(sqrt(max(a, b))) terms).
    static let maxIterations = 100_000

    /// I_x(a, b), the regularised incomplete beta function, for a, b > 0 and x in [0, 1].
    public static func regularizedIncompleteBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        precondition(a > 0 && b > 0, "incomplete beta needs a, b > 0")
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        // NR eq. 6.4.9 front factor x^a (1-x)^b / (a B(a, b)), in logs.
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        // The fraction converges quickly for x < (a + 1) / (a + b + 2); otherwise use
        // I_x(a, b) = 1 - I_{1-x}(b, a).
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * betaFraction(x, a, b) / a
        }
        return 1 - exp(logFront) * betaFraction(1 - x, b, a) / b
    }

    /// The continued fraction of NR eq. 6.4.5 (betacf), by modified Lentz.
    static func betaFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let qab = a + b, qap = a + 1, qam = a - 1
        var c = 1.0, d = 1 - qab * x / qap
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...maxIterations {
            let m = Double(m), m2 = 2 * m
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let del = d * c
            h *= del
            if abs(del - 1) < epsilon { break }
        }
        return h
    }

    /// Q(a, x) = Gamma(a, x) / Gamma(a), the regularised upper incomplete gamma function, for a > 0, x >= 0.
    public static func regularizedUpperIncompleteGamma(_ a: Double, _ x: Double) -> Double {
        precondition(a > 0, "incomplete gamma needs a > 0")
        if x <= 0 { return 1 }
        // NR 6.2: the series for P converges fast below x = a + 1, the fraction for Q above.
        if x < a + 1 { return 1 - lowerSeries(a, x) }
        return upperFraction(a, x)
    }

    /// P(a, x) by its series (NR eq. 6.2.5).
    static func lowerSeries(_ a: Double, _ x: Double) -> Double {
        var ap = a, del = 1 / a, sum = del
        for _ in 0..<maxIterations {
            ap += 1
            del *= x / ap
            sum += del
            if abs(del) < abs(sum) * epsilon { break }
        }
        return sum * exp(-x + a * log(x) - lgamma(a))
    }

    /// Q(a, x) by its continued fraction (NR eq. 6.2.7), modified Lentz.
    static func upperFraction(_ a: Double, _ x: Double) -> Double {
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1...maxIterations {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b; if abs(d) < tiny { d = tiny }
            c = b + an / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let del = d * c
            h *= del
            if abs(del - 1) < epsilon { break }
        }
        return exp(-x + a * log(x) - lgamma(a)) * h
    }
}
