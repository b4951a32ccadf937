import Foundation

/// The standard normal distribution.
public enum Normal {
    /// Phi(x), through the complementary error function (accurate in both tails).
    public static func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// 1 - Phi(x), without cancellation for large x.
    public static func survival(_ x: Double) -> Double { 0.5 * erfc(x / 2.0.squareRoot()) }

    public static func pdf(_ x: Double) -> Double { exp(-0.5 * x * x) / (2 * Double.pi).squareRoot() }

    /// Phi^-1(p) for p in (0, 1): Abramowitz & Stegun 26.2.23 (error < 4.5e-4) as the start, then
    /// Halley steps on Phi (cubic convergence: three steps reach double precision).
    public static func quantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "normal quantile needs p in (0, 1)")
        if p > 0.5 { return -quantile(1 - p) }
        if p == 0.5 { return 0 }
        let t = (-2 * log(p)).squareRoot()
        var x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t))
        for _ in 0..<3 {
            // Halley on f(x) = Phi(x) - p: f' = pdf, f'' = -x pdf.
            let e = cdf(x) - p
            let u = e / pdf(x)
            x -= u / (1 + x * u / 2)
        }
        return x
    }
}
