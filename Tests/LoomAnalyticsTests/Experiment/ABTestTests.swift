import Foundation
import Testing
@testable import LoomAnalytics

/// The tests of `ABTest`'s parts against statsmodels 0.15.0 and scipy 1.17.1 (each value's call
/// beside it, printed with repr(float(...))), and hand-computed cases. The tolerance 1e-10 is
/// relative: both sides evaluate the same closed forms, and only our t and normal quantiles,
/// accurate to ~1e-14, differ from scipy's.
@Suite struct ABTestPartsTests {
    func close(_ a: Double, _ b: Double, _ rel: Double = 1e-10, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(abs(a - b) <= rel * max(abs(b), 1e-300), "\(a) vs \(b)", sourceLocation: sourceLocation)
    }

    @Test func twoProportionZ() throws {
        // proportions_ztest([130, 100], [1000, 1000]) and
        // confint_proportions_2indep(130, 1000, 100, 1000, method="wald", compare="diff", alpha=0.05)
        let c = try #require(TwoProportionTest.compare(successes: 130, n: 1000, controlSuccesses: 100, controlN: 1000, alpha: 0.05))
        close(c.statistic, 2.102740605622114)
        close(c.pValue, 0.03548845046647471)
        close(c.diffLow, 0.0020679344393763587, 1e-9)   // a difference of two 0.03-sized numbers: 1e-9 relative is 1e-12 absolute
        close(c.diffHigh, 0.057932065560623636)
        close(c.diff, 0.03)
        // proportions_ztest([48, 61], [1210, 1190]);
        // confint_proportions_2indep(48, 1210, 61, 1190, method="wald", compare="diff", alpha=0.10)
        let d = try #require(TwoProportionTest.compare(successes: 48, n: 1210, controlSuccesses: 61, controlN: 1190, alpha: 0.10))
        close(d.statistic, -1.3635466418116513)
        close(d.pValue, 0.17271029532724247)
        close(d.diffLow, -0.02558220917607293)
        close(d.diffHigh, 0.002400043747918206, 1e-9)
        // Hand: 3 of 4 against 1 of 4: pooled rate 1/2, pooled se sqrt(1/4 * 1/2) = sqrt(1/8), z = 0.5 / sqrt(1/8) = sqrt 2.
        let h = try #require(TwoProportionTest.compare(successes: 3, n: 4, controlSuccesses: 1, controlN: 4, alpha: 0.05))
        close(h.statistic, 2.0.squareRoot())
        // Unpooled se: sqrt(2 * (3/4 * 1/4) / 4) = sqrt(3/32).
        close(h.diffStandardError, (3.0 / 32).squareRoot())
        // All zero in both groups: no test.
        #expect(TwoProportionTest.compare(successes: 0, n: 10, controlSuccesses: 0, controlN: 12, alpha: 0.05) == nil)
    }

    @Test func welch() throws {
        let a = [12.1, 9.8, 14.3, 11.0, 10.4, 13.9, 12.7, 8.6, 15.2, 11.8]
        let b = [10.2, 9.1, 11.4, 8.7, 10.9, 9.6, 12.0, 8.2, 10.5, 9.9, 11.1, 7.8]
        // r = stats.ttest_ind(a, b, equal_var=False); r.statistic, r.pvalue, r.df, r.confidence_interval(0.95)
        let c = try #require(WelchTest.compare(GroupSummary(a), control: GroupSummary(b), alpha: 0.05))
        close(c.statistic, 2.6557770232444318)
        close(c.pValue, 0.01832645354462515)
        close(c.df, 14.568430306452244)
        close(c.diffLow, 0.3965672422417066)
        close(c.diffHigh, 3.6634327577582955)
        // r.confidence_interval(0.99)
        let c99 = try #require(WelchTest.compare(GroupSummary(a), control: GroupSummary(b), alpha: 0.01))
        close(c99.diffLow, -0.23188516043660412)
        close(c99.diffHigh, 4.291885160436607)
        // Hand: [1, 3] against [0, 0, 0, 0]: mean 2, variance 2, se = sqrt(2/2) = 1, t = 2, df = 1
        // (all the variance is in the two-row group).
        let h = try #require(WelchTest.compare(GroupSummary([1, 3]), control: GroupSummary([0, 0, 0, 0]), alpha: 0.05))
        close(h.statistic, 2)
        close(h.df, 1)
        close(h.pValue, 1 - 2 * atan(2) / .pi)   // t with 1 df is Cauchy: P(|T| >= 2) = 1 - 2 atan(2) / pi
    }

    @Test func holm() {
        // multipletests([0.01, 0.04, 0.03, 0.005], method="holm")[1]
        #expect(HolmAdjustment.adjust([0.01, 0.04, 0.03, 0.005]).map { ($0 * 1e12).rounded() / 1e12 } == [0.03, 0.06, 0.06, 0.02])
        // multipletests([0.2, 0.2, 0.01, 0.5, 0.04], method="holm")[1]: 0.6000000000000001 x3, 0.05, 0.16
        let h = HolmAdjustment.adjust([0.2, 0.2, 0.01, 0.5, 0.04])
        for (x, y) in zip(h, [0.6000000000000001, 0.6000000000000001, 0.05, 0.6000000000000001, 0.16]) { close(x, y, 1e-15) }
        #expect(HolmAdjustment.adjust([0.3]) == [0.3])
        #expect(HolmAdjustment.adjust([]) == [])
    }

    @Test func chiSquare() throws {
        // stats.chisquare([5050, 4950])
        let g = ChiSquareTest.goodnessOfFit(observed: [5050, 4950], shares: [1, 1])
        close(g.statistic, 1.0)
        close(g.pValue, 0.31731050786291115)
        // stats.chisquare([480, 520, 1000], f_exp=[500, 500, 1000])
        let g3 = ChiSquareTest.goodnessOfFit(observed: [480, 520, 1000], shares: [0.25, 0.25, 0.5])
        close(g3.statistic, 1.6)
        close(g3.pValue, 0.4493289641172217)
        #expect(g3.df == 2)
        // stats.chi2_contingency([[30, 70], [45, 55], [38, 62]], correction=False): 4.79863707349392, dof 2
        let t = try #require(ChiSquareTest.independence([[30, 70], [45, 55], [38, 62]]))
        close(t.statistic, 4.79863707349392)
        close(t.pValue, 0.09077979531010934)
        #expect(t.df == 2)
        #expect(ChiSquareTest.independence([[0, 10], [0, 12]]) == nil)
    }

    @Test func powerAndMinimumDetectableEffect() {
        let se = (0.13 * 0.87 / 1000 + 0.1 * 0.9 / 1000).squareRoot()
        close(se, 0.014251315728731857)
        // NormalIndPower().power(effect_size=0.03 / sd, nobs1=1000, alpha=0.05, ratio=1.0) with
        // sd = se / sqrt(1/1000 + 1/1000), so that the test's standard error is se.
        close(Power.achieved(effect: 0.03, standardError: se, alpha: 0.05), 0.557709951927767)
        // NormalIndPower().solve_power(nobs1=1000, alpha=0.05, power=0.8, ratio=1.0) * sd. statsmodels
        // solves with both tails; the formula drops the far one, Phi(-2.8 - 1.96) ~ 1e-6 of power,
        // which moves the effect by ~1e-6 relative: hence 1e-5.
        close(Power.minimumDetectableEffect(standardError: se, alpha: 0.05, power: 0.8), 0.03992616249950358, 1e-5)
        // Hand: at an effect of exactly (z_{0.975} + z_{0.8}) se the power is 0.8 (+ the far tail).
        let mde = Power.minimumDetectableEffect(standardError: 1, alpha: 0.05, power: 0.8)
        #expect(abs(Power.achieved(effect: mde, standardError: 1, alpha: 0.05) - 0.8) < 1e-5)
        // No effect: the power is alpha.
        close(Power.achieved(effect: 0, standardError: 1, alpha: 0.05), 0.05)
    }

    @Test func relativeLiftByTheDeltaMethod() throws {
        // Hand: value 0.13 (se 0.01), control 0.10 (se 0.01): lift 0.3,
        // se = sqrt(0.01^2 / 0.1^2 + 0.13^2 * 0.01^2 / 0.1^4) = sqrt(0.01 + 0.0169) = sqrt(0.0269).
        let c = Comparison(n: 1, controlN: 1, value: 0.13, controlValue: 0.10, standardError: 0.01, controlStandardError: 0.01,
                           diff: 0.03, diffLow: 0, diffHigh: 0, statistic: 0, df: .infinity, pValue: 1, test: "")
        let l = try #require(RelativeLift.delta(c, alpha: 0.05))
        close(l.lift, 0.3)
        close(l.standardError, 0.0269.squareRoot())
        close(l.high - l.lift, 1.959963984540054 * 0.0269.squareRoot())
        var zero = c
        zero.controlValue = 0
        #expect(RelativeLift.delta(zero, alpha: 0.05) == nil)
    }

    @Test func cuped() throws {
        // Hand: y = 2x + e with e orthogonal to x: theta = 2 exactly, and y - 2(x - mean x)
        // leaves e + 2 mean x.
        let x = [1.0, 2, 3, 4], e = [1.0, -1, -1, 1]
        let y = zip(x, e).map { 2 * $0 + $1 }
        let c = try #require(CUPED.fit(metric: y, covariate: x))
        close(c.theta, 2)
        #expect(c.adjust(metric: y, covariate: x) == e.map { $0 + 5 })
        // Sums of squares: Sxx = 5, See = 4, Sxe = 0, so Syy = 4 Sxx + See = 24, of which theta^2 Sxx = 20 is removed.
        close(c.varianceReduction, 20.0 / 24)
        #expect(CUPED.fit(metric: y, covariate: [3, 3, 3, 3]) == nil)
    }
}
