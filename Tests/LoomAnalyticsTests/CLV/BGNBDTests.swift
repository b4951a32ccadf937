import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct BGNBDTests {
    // FHL 2005: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4. Each estimate must
    // round to the printed digits: a tolerance of half a unit in the last printed place.
    @Test func cdnowPublishedFit() throws {
        let f = try cdnowFeatures()
        let m = try BGNBD.fit(frequency: f.rows.map { Double($0.frequency) }, recency: f.rows.map(\.recency), age: f.rows.map(\.age))
        #expect(abs(m.r - 0.243) < 0.0005)
        #expect(abs(m.alpha - 4.414) < 0.0005)
        #expect(abs(m.a - 0.793) < 0.0005)
        #expect(abs(m.b - 2.426) < 0.0005)
        #expect(abs(m.logLikelihood + 9582.4) < 0.05)
        for x in [0.0, 1, 2, 7] {
            let pa = m.probabilityAlive(x: x, tx: x > 0 ? 20 : 0, T: 38)
            #expect(pa >= 0 && pa <= 1)
        }
        // Eq. 10 with x = 0 and T = 0 is a new customer: it must equal eq. 7 (both use 2F1).
        for t in [1.0, 39, 78] {
            #expect(abs(m.conditionalExpectedTransactions(t: t, x: 0, tx: 0, T: 0) - m.expectedTransactions(newCustomerOver: t)) < 1e-12)
        }
    }

    // Fader & Hardie 2013 note: p = 6.25, q = 3.74, v = 15.44, on the 946 repeat customers; half a
    // unit of the last printed digit.
    @Test func cdnowGammaGamma() throws {
        let f = try cdnowFeatures()
        let g = try GammaGamma.fit(frequency: f.rows.map { Double($0.frequency) }, meanSpend: f.rows.map(\.monetary))
        #expect(g.customers == 946)
        #expect(abs(g.p - 6.25) < 0.005)
        #expect(abs(g.q - 3.74) < 0.005)
        #expect(abs(g.v - 15.44) < 0.005)
    }

    // Recovery: 4,000 simulated customers over 52 weeks; each estimate within 3 of its standard
    // errors of the truth (fails by chance with probability ~0.3% per parameter).
    @Test func recoversSimulatedParameters() throws {
        let sim = BGNBDSimulator(r: 0.5, alpha: 6, a: 0.8, b: 2.5, p: 6, q: 4, v: 15)
        var x: [Double] = [], tx: [Double] = [], T: [Double] = [], zbar: [Double] = []
        for i in 0..<4000 {
            let weeks = 26 + Double(i % 27)   // staggered acquisition: T from 26 to 52 weeks
            let c = sim.customer(seed: 11, index: UInt64(i), weeks: weeks)
            x.append(Double(c.times.count - 1))
            tx.append(c.times.last!)
            T.append(weeks)
            zbar.append(c.times.count > 1 ? c.spends.dropFirst().reduce(0, +) / Double(c.times.count - 1) : 0)
        }
        let m = try BGNBD.fit(frequency: x, recency: tx, age: T)
        for (est, truth, name) in [(m.r, 0.5, "r"), (m.alpha, 6.0, "alpha"), (m.a, 0.8, "a"), (m.b, 2.5, "b")] {
            let se = try #require(m.standardErrors[name])
            #expect(abs(est - truth) < 3 * se, "\(name): \(est) vs \(truth) (se \(se))")
        }
        let g = try GammaGamma.fit(frequency: x, meanSpend: zbar)
        for (est, truth, name) in [(g.p, 6.0, "p"), (g.q, 4.0, "q"), (g.v, 15.0, "v")] {
            let se = try #require(g.standardErrors[name])
            #expect(abs(est - truth) < 3 * se, "\(name): \(est) vs \(truth) (se \(se))")
        }
    }

    @Test func invariantsAndClv() {
        let m = BGNBDModel(r: 0.243, alpha: 4.414, a: 0.793, b: 2.426, logLikelihood: 0, standardErrors: [:], iterations: 0, customers: 0)
        #expect(m.probabilityAlive(x: 0, tx: 0, T: 30) == 1)
        var previous = 0.0
        for t in [1.0, 5, 20, 52, 104] {
            let e = m.conditionalExpectedTransactions(t: t, x: 3, tx: 20, T: 30)
            #expect(e > previous)
            previous = e
        }
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z.
        #expect(abs(Hypergeometric.f21(1, 1, 2, 0.5) - (-log(0.5) / 0.5)) < 1e-13)
        let g = GammaGammaModel(p: 6.25, q: 3.74, v: 15.44, logLikelihood: 0, standardErrors: [:], iterations: 0, customers: 0)
        #expect(abs(g.conditionalExpectedSpend(x: 0, zbar: 0) - 6.25 * 15.44 / 2.74) < 1e-12)
        let clv0 = CLV.value(bgnbd: m, spend: g, x: 3, tx: 20, T: 30, zbar: 40, horizon: 12, periodWeeks: 4, discountRate: 0)
        let spend = g.conditionalExpectedSpend(x: 3, zbar: 40)
        #expect(abs(clv0 - spend * m.conditionalExpectedTransactions(t: 48, x: 3, tx: 20, T: 30)) < 1e-9, "undiscounted CLV = spend x E[Y(48)]")
        #expect(CLV.value(bgnbd: m, spend: g, x: 3, tx: 20, T: 30, zbar: 40, horizon: 12, periodWeeks: 4, discountRate: 0.01) < clv0)
    }
}

@Suite struct BGNBDLikelihoodTests {
    // The fit's tabulated likelihood and the closed form per customer must agree: the log-likelihood
    // the fit reports equals the sum of `logLikelihood` at its estimates (relative 1e-12: the two
    // differ only in summation order and lgamma versus sums of logs).
    @Test func tabulatedEqualsClosedForm() throws {
        let f = try cdnowFeatures()
        let x = f.rows.map { Double($0.frequency) }, tx = f.rows.map(\.recency), T = f.rows.map(\.age)
        let m = try BGNBD.fit(frequency: x, recency: tx, age: T)
        var direct = 0.0
        for i in x.indices { direct += BGNBD.logLikelihood(r: m.r, alpha: m.alpha, a: m.a, b: m.b, x: x[i], tx: tx[i], T: T[i]) }
        #expect(abs(direct - m.logLikelihood) < 1e-12 * abs(direct))
    }
}
