import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct ExperimentGeneratorTests {
    func config(users: Int = 40_000) -> ExperimentGenerator.Config {
        var c = ExperimentGenerator.Config()
        c.users = users
        c.seed = 5
        return c
    }

    /// The realised rates match the closed-form truth: each mean is within 4 of its standard
    /// errors of the truth (a correct generator strays further for 6e-5 of seeds; a wrong
    /// formula, say lambda's mean for P(converted), is off by tens of standard errors).
    @Test func realisedRatesMatchTheTruth() throws {
        let (t, truth) = try ExperimentGenerator(config()).generate()
        #expect(t.names == ExperimentGenerator.columns && t.rowCount == 40_000)
        let variants = try t.texts("variant"), converted = try t.numbers("converted"), spend = try t.numbers("spend")
        for v in truth.variants {
            let rows = variants.indices.filter { variants[$0] == v.name }
            #expect(rows.count == v.users)
            for (values, mean) in [(rows.map { converted[$0] }, v.conversion), (rows.map { spend[$0] }, v.spendPerUser)] {
                let g = GroupSummary(values)
                #expect(abs(g.mean - mean) < 4 * (g.variance / Double(g.n)).squareRoot(), "\(v.name): \(g.mean) vs \(mean)")
            }
        }
        // Hand: with rate 0.3 and shape 0.5, P(converted) = 1 - 1.6^-0.5.
        #expect(abs(truth.variants[0].conversion - (1 - 1 / 1.6.squareRoot())) < 1e-15)
        #expect(truth.variants[1].spendLift == 0.33 * 42 / (0.3 * 40) - 1)
    }

    /// A broken split moves the counts away from the designed shares; the split as designed
    /// leaves them within 4 binomial standard deviations.
    @Test func brokenSplit() throws {
        var c = config(users: 10_000)
        let fair = try ExperimentGenerator(c).generate().1.variants[0].users
        #expect(abs(Double(fair) - 5000) < 4 * 50)
        c.assignedSplit = [0.55, 0.45]
        let (_, truth) = try ExperimentGenerator(c).generate()
        #expect(abs(Double(truth.variants[0].users) - 5500) < 4 * 50)
        #expect(truth.variants[0].designedShare == 0.5 && truth.variants[0].assignedShare == 0.55)
    }

    @Test func sameSeedSameTable() throws {
        #expect(try ExperimentGenerator(config(users: 500)).generate().0 == ExperimentGenerator(config(users: 500)).generate().0)
        var other = config(users: 500)
        other.seed = 6
        #expect(try ExperimentGenerator(other).generate().0 != ExperimentGenerator(config(users: 500)).generate().0)
    }

    @Test func badConfigsNameTheParam() {
        var c = config()
        c.purchaseRate = [0.3]
        #expect(throws: AnalyticsError.invalidParameter(name: "experiment_purchase_rate", value: "1 values", expected: "one per variant (2: control, treatment)")) {
            try ExperimentGenerator(c)
        }
        c = config()
        c.variants = ["control", "control"]
        #expect(throws: AnalyticsError.invalidParameter(name: "experiment_variants", value: "control, control", expected: "at least two distinct, non-empty names, the control first")) {
            try ExperimentGenerator(c)
        }
    }
}
