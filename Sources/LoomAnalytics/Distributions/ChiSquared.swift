import Foundation

/// The chi-squared distribution with `df` degrees of freedom.
public struct ChiSquared: Sendable {
    public var df: Double
    public init(df: Double) {
        precondition(df > 0, "chi-squared needs df > 0")
        self.df = df
    }

    /// P(X >= x) = Q(df/2, x/2).
    public func survival(_ x: Double) -> Double { SpecialFunctions.regularizedUpperIncompleteGamma(df / 2, x / 2) }

    public func cdf(_ x: Double) -> Double { 1 - survival(x) }
}
