import Foundation
import Testing
@testable import LoomAnalytics

/// Reference values from scipy 1.17.1 (numpy 2.4.6), printed with repr(float(...)) by the call
/// named beside each. The implementations are continued fractions and Newton/Halley iterations
/// that converge to about 1e-14 relative; lgamma of arguments near 2e4 carries about 1e-16 * 2e5
/// of absolute error into a log, hence the looser 1e-9 for the large-parameter cases. 1e-11
/// elsewhere leaves room for that and still catches any wrong term, which moves the 4th digit.
@Suite struct DistributionTests {
    func close(_ a: Double, _ b: Double, _ rel: Double = 1e-11, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(abs(a - b) <= rel * abs(b), "\(a) vs \(b)", sourceLocation: sourceLocation)
    }

    @Test func normal() {
        close(Normal.quantile(0.975), 1.959963984540054)     // stats.norm.ppf(0.975)
        close(Normal.quantile(1e-10), -6.361340902404056)    // stats.norm.ppf(1e-10)
        close(Normal.quantile(0.8), 0.8416212335729143)      // stats.norm.ppf(0.8)
        close(Normal.survival(5.5), 1.898956246588768e-08)   // stats.norm.sf(5.5)
        // Hand: Phi(0) = 1/2, and the quantile inverts the CDF across the range.
        #expect(Normal.cdf(0) == 0.5)
        for p in [1e-300, 1e-12, 0.001, 0.3, 0.5, 0.9, 0.999999] { close(Normal.cdf(Normal.quantile(p)), p, 1e-12) }
    }

    @Test func studentT() {
        close(StudentT(df: 10).cdf(2.0), 0.9633059826146299)               // stats.t.cdf(2.0, 10)
        close(StudentT(df: 3.5).twoSidedTail(1.7), 0.17448073295072766)    // 2 * stats.t.sf(1.7, 3.5)
        close(StudentT(df: 40000).twoSidedTail(4.5), 6.814472369475153e-06, 1e-9)   // 2 * stats.t.sf(4.5, 40000)
        close(StudentT(df: 4.3).quantile(0.975), 2.70169489828223)         // stats.t.ppf(0.975, 4.3)
        close(StudentT(df: 1).quantile(0.995), 63.656741162871526)         // stats.t.ppf(0.995, 1)
        close(StudentT(df: 2000).quantile(0.975), 1.9611508260994377, 1e-9)   // stats.t.ppf(0.975, 2000)
        close(StudentT(df: 7.25).quantile(0.025), -2.3481948491053717)     // stats.t.ppf(0.025, 7.25)
        // Welch's df can be as large as the experiment: lgamma near 5e5 costs ~1e-10 of the tail.
        close(StudentT(df: 1e6).twoSidedTail(3), 0.0026998625414218, 1e-8)            // 2 * stats.t.sf(3, 1e6)
        close(StudentT(df: 1e6).quantile(0.975), 1.959966356814107, 1e-9)            // stats.t.ppf(0.975, 1e6)
        close(StudentT(df: 123456.7).twoSidedTail(2.5), 0.012420617364739773, 1e-9)  // 2 * stats.t.sf(2.5, 123456.7)
        // And as small as one group's n - 1 allows, or below 1 with very unequal variances.
        close(StudentT(df: 0.5).quantile(0.995), 4113.964588804174, 1e-9)           // stats.t.ppf(0.995, 0.5)
        close(StudentT(df: 3).twoSidedTail(40), 3.4380680789158506e-05)              // 2 * stats.t.sf(40, 3)
        // Hand: t with 1 df is Cauchy, P(T <= 1) = 1/2 + atan(1)/pi = 3/4; with 2 df,
        // P(T <= t) = 1/2 + t / (2 sqrt(2 + t^2)), so P(T <= 2) = 1/2 + 1/sqrt(6).
        close(StudentT(df: 1).cdf(1), 0.75)
        close(StudentT(df: 2).cdf(2), 0.5 + 1 / 6.0.squareRoot())
    }

    @Test func incompleteBeta() {
        close(SpecialFunctions.regularizedIncompleteBeta(0.3, 2.5, 3.5), 0.29675298929566646)   // special.betainc(2.5, 3.5, 0.3)
        close(SpecialFunctions.regularizedIncompleteBeta(0.9999, 20000, 0.5), 0.04549621445155724, 1e-9)   // special.betainc(20000, 0.5, 0.9999)
        // Hand: I_x(1, 1) = x; I_x(a, 1) = x^a.
        close(SpecialFunctions.regularizedIncompleteBeta(0.37, 1, 1), 0.37)
        close(SpecialFunctions.regularizedIncompleteBeta(0.6, 3, 1), 0.216)
    }

    @Test func chiSquared() {
        close(ChiSquared(df: 1).survival(3.84), 0.05004352124870519)    // stats.chi2.sf(3.84, 1)
        close(ChiSquared(df: 3).survival(10.2), 0.01694037352253388)    // stats.chi2.sf(10.2, 3)
        close(ChiSquared(df: 200).survival(250), 0.009379131668826098, 1e-9)   // stats.chi2.sf(250, 200)
        close(ChiSquared(df: 4).survival(0.5), 0.9735009788392561)      // stats.chi2.sf(0.5, 4)
        close(ChiSquared(df: 4900).survival(5000), 0.1562274137489366, 1e-9)   // stats.chi2.sf(5000, 4900)
        // Hand: with 2 df the survival is exp(-x/2).
        close(ChiSquared(df: 2).survival(3), exp(-1.5))
    }
}
