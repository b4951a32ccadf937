import Foundation
import Testing
@testable import LoomAnalytics

/// `ABTest` on simulated experiments with a seeded generator (results are fixed for the seed;
/// the tolerances say how far a correct implementation strays for almost any seed, so that the
/// bounds test the method rather than one lucky draw).
///
/// Every check counts events among `runs` independent experiments: a count with success
/// probability q has standard deviation sqrt(runs q (1 - q)). The bounds are 4 of those either
/// side (a correct method falls outside with probability 6e-5 per check); a method that is off
/// in the way bugs make it (a one-sided p-value, a standard error off by sqrt 2, the t quantile
/// read at the wrong level) moves the count by far more than that.
@Suite struct ABTestSimulationTests {
    static let runs = 2000

    /// Within 4 binomial standard deviations of runs * q.
    func withinBinomial(_ count: Int, _ q: Double, _ what: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let n = Double(Self.runs), sd = (n * q * (1 - q)).squareRoot()
        #expect(abs(Double(count) - n * q) <= 4 * sd, "\(what): \(count) of \(Self.runs), expected \(n * q) +- \(4 * sd)", sourceLocation: sourceLocation)
    }

    /// One experiment: `n` units per arm, a 0/1 metric (rates p0, p1) and a skewed spend
    /// (Gamma(2) with means m0, m1), and a pre-period covariate correlated with spend.
    func experiment(_ rng: inout SeededRandom, n: Int, p: (Double, Double), mean: (Double, Double)) -> ExperimentTable {
        var variants: [String] = [], converted: [Double] = [], spend: [Double] = [], pre: [Double] = []
        for (v, (rate, m)) in [("control", (p.0, mean.0)), ("treatment", (p.1, mean.1))] {
            for _ in 0..<n {
                variants.append(v)
                converted.append(rng.bernoulli(rate) ? 1 : 0)
                // spend = m * w * e with a user level w ~ Gamma(2, 1/2) that the pre-period shares.
                let w = rng.gamma(shape: 2, scale: 0.5)
                spend.append(m * w * rng.gamma(shape: 4, scale: 0.25))
                pre.append(mean.0 * w * rng.gamma(shape: 4, scale: 0.25))
            }
        }
        return ExperimentTable(variants: variants, metrics: [
            ABTest.Metric(name: "converted", values: converted),
            ABTest.Metric(name: "spend", values: spend),
            ABTest.Metric(name: "spend_cuped", values: spend, covariate: ("pre", pre)),
        ])
    }

    /// No effect: each test rejects at about alpha (0.05 and 0.01), and the p-values of the
    /// tests of continuous metrics are uniform (each decile holds about a tenth of them). The
    /// z-test's p-values are not checked by decile: with 400 units per arm the difference of
    /// counts moves in steps of about 0.09 standard errors, so its p-values come in lumps (decile
    /// 8 holds only differences of +-2, about 7% of runs, decile 7 differences of +-3 and +-4).
    @Test func falsePositiveRateIsAlphaUnderNoEffect() throws {
        var rng = SeededRandom(seed: 2026)
        var rejected = [0, 0, 0], rejected01 = [0, 0, 0], deciles = [[Int]](repeating: [Int](repeating: 0, count: 10), count: 3)
        for _ in 0..<Self.runs {
            let r = try ABTest.analyse(experiment(&rng, n: 400, p: (0.2, 0.2), mean: (30, 30)), config: ABTest.Config(control: "control"), file: "sim")
            for (k, row) in r.rows.enumerated() {
                if row.pValue < 0.05 { rejected[k] += 1 }
                if row.pValue < 0.01 { rejected01[k] += 1 }
                deciles[k][min(9, Int(row.pValue * 10))] += 1
            }
        }
        for (k, name) in ["two-proportion z", "Welch t", "CUPED Welch t"].enumerated() {
            withinBinomial(rejected[k], 0.05, "\(name) rejections at alpha 0.05")
            withinBinomial(rejected01[k], 0.01, "\(name) rejections at alpha 0.01")
            if k > 0 { for d in 0..<10 { withinBinomial(deciles[k][d], 0.1, "\(name) p-values in decile \(d)") } }
        }
    }

    /// A known effect: the intervals of the difference and of the relative lift cover the truth
    /// about 95% of the time, and the share of rejections is the power `Power.achieved` predicts.
    @Test func intervalsCoverAKnownEffect() throws {
        var rng = SeededRandom(seed: 7)
        let p = (0.10, 0.12), m = (30.0, 33.0)
        let truth = [(p.1 - p.0, p.1 / p.0 - 1), (m.1 - m.0, m.1 / m.0 - 1), (m.1 - m.0, m.1 / m.0 - 1)]
        var covered = [0, 0, 0], liftCovered = [0, 0, 0], rejected = [0, 0, 0]
        var predictedPower = [0.0, 0, 0], reduction = 0.0
        let n = 1500
        for _ in 0..<Self.runs {
            let r = try ABTest.analyse(experiment(&rng, n: n, p: p, mean: m), config: ABTest.Config(control: "control"), file: "sim")
            for (k, row) in r.rows.enumerated() {
                if row.diffLow <= truth[k].0 && truth[k].0 <= row.diffHigh { covered[k] += 1 }
                let lift = try #require(row.lift)
                if lift.low <= truth[k].1 && truth[k].1 <= lift.high { liftCovered[k] += 1 }
                if row.pValue < 0.05 { rejected[k] += 1 }
            }
            reduction += r.rows[2].varianceReduction / Double(Self.runs)
        }
        // The power at the true effect, from the true standard errors: binomial for the rate;
        // for spend, var(m w e) = m^2 (E w^2 E e^2 - 1) = m^2 (1.5 * 1.25 - 1) = 0.875 m^2.
        let seRate = (p.0 * (1 - p.0) / Double(n) + p.1 * (1 - p.1) / Double(n)).squareRoot()
        let seSpend = (0.875 * (m.0 * m.0 + m.1 * m.1) / Double(n)).squareRoot()
        predictedPower[0] = Power.achieved(effect: p.1 - p.0, standardError: seRate, alpha: 0.05)
        predictedPower[1] = Power.achieved(effect: m.1 - m.0, standardError: seSpend, alpha: 0.05)
        // CUPED: corr(spend, pre) = var(w) / (E w^2 E e^2 - 1) = 0.5 / 0.875 (with equal scales),
        // so the residual variance is (1 - rho^2) of it.
        let rho2 = (0.5 / 0.875) * (0.5 / 0.875)
        predictedPower[2] = Power.achieved(effect: m.1 - m.0, standardError: seSpend * (1 - rho2).squareRoot(), alpha: 0.05)
        for (k, name) in ["two-proportion z", "Welch t", "CUPED Welch t"].enumerated() {
            withinBinomial(covered[k], 0.95, "\(name) difference interval coverage")
            withinBinomial(liftCovered[k], 0.95, "\(name) delta-method lift interval coverage")
            withinBinomial(rejected[k], predictedPower[k], "\(name) rejections against power \(predictedPower[k])")
        }
        // Pooled over arms, theta (about 0.6) sits between the arms' own slopes (0.571 and 0.629),
        // which costs under 0.2% of the reduction; the mean over the runs has a standard deviation
        // of about 3e-4. A wrong theta (say, var(Y) in place of var(X)) misses by far more than 0.02.
        #expect(abs(reduction - rho2) < 0.02, "mean variance reduction \(reduction), expected about \(rho2)")
    }
}
