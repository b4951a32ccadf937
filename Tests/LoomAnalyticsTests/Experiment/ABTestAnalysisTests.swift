import Foundation
import Testing
@testable import LoomAnalytics

/// `ABTest.analyse` as a whole: ordering, classification of metrics, the family-wise adjustment,
/// the sample-ratio check, and every bad input as an error that says what was expected.
@Suite struct ABTestAnalysisTests {
    /// Three variants given in an order of their own: b, control, a.
    func threeArms() -> ExperimentTable {
        var variants: [String] = [], clicked: [Double] = [], amount: [Double] = []
        for (v, n, ones) in [("b", 60, 21), ("control", 50, 10), ("a", 40, 12)] {
            for i in 0..<n {
                variants.append(v)
                clicked.append(i < ones ? 1 : 0)
                amount.append(Double(i % 7) + (v == "a" ? 1.5 : 0))
            }
        }
        return ExperimentTable(variants: variants, metrics: [ABTest.Metric(name: "clicked", values: clicked), ABTest.Metric(name: "amount", values: amount)])
    }

    @Test func rowsAreMetricsThenVariantsControlFirst() throws {
        let r = try ABTest.analyse(threeArms(), config: ABTest.Config(control: "control"), file: "t.csv")
        #expect(r.variants == ["control", "a", "b"])
        #expect(r.rows.map { "\($0.metric) \($0.variant) \($0.test)" } == ["clicked a two_proportion_z", "clicked b two_proportion_z",
                                                                           "amount a welch_t", "amount b welch_t"])
        let a = r.rows[0]
        #expect(a.n == 40 && a.controlN == 50 && a.value == 12.0 / 40 && a.controlValue == 10.0 / 50)
        // Holm over the family of four rows, as HolmAdjustment gives it.
        #expect(r.rows.map(\.pValueHolm) == HolmAdjustment.adjust(r.rows.map(\.pValue)))
        #expect(r.rows.allSatisfy { $0.pValueHolm >= $0.pValue })
        // The omnibus chi-squared of clicked over the three arms (as a table control, a, b).
        #expect(r.omnibus.map(\.metric) == ["clicked"])
        #expect(r.omnibus[0].test == ChiSquareTest.independence([[10, 40], [12, 28], [21, 39]]))
        // Equal shares designed: counts 50, 40, 60 give chi2 = (0 + 100 + 100) / 50 = 4, df 2.
        #expect(r.sampleRatio.observed == [50, 40, 60] && r.sampleRatio.test.statistic == 4 && r.sampleRatio.test.df == 2)
        #expect(abs(r.sampleRatio.test.pValue - exp(-2)) < 1e-14 && !r.sampleRatio.mismatch)
        // amount is a + 1.5 on the same cycle of 0..6: every difference is about 1.5.
        #expect(abs(r.rows[2].diff - (r.rows[2].value - r.rows[2].controlValue)) < 1e-12)
    }

    @Test func aDesignedSplitAndABrokenOne() throws {
        let t = ExperimentTable(variants: Array(repeating: "control", count: 600) + Array(repeating: "new", count: 400),
                                metrics: [ABTest.Metric(name: "x", values: (0..<1000).map { Double($0 % 3) })])
        var c = ABTest.Config(control: "control")
        c.expectedSplit = ["control": 3, "new": 2]
        #expect(try ABTest.analyse(t, config: c, file: "t.csv").sampleRatio.test.statistic == 0)
        c.expectedSplit = ["control": 1, "new": 1]
        // (100^2 + 100^2) / 500 = 40: p ~ 2.5e-10, a mismatch.
        let s = try ABTest.analyse(t, config: c, file: "t.csv").sampleRatio
        #expect(s.test.statistic == 40 && s.mismatch && s.expectedShares == [0.5, 0.5])
    }

    @Test func cupedRowsNameTheirCovariate() throws {
        let x = (0..<40).map { Double($0 % 10) }
        let y = x.enumerated().map { i, v in 2 * v + Double(i % 3) + (i >= 20 ? 1 : 0) }
        let t = ExperimentTable(variants: (0..<40).map { $0 < 20 ? "control" : "t" }, metrics: [ABTest.Metric(name: "y", values: y, covariate: ("x", x))])
        let row = try #require(try ABTest.analyse(t, config: ABTest.Config(control: "control"), file: "t.csv").rows.first)
        #expect(row.test == "cuped_welch_t" && row.covariate == "x" && row.varianceReduction > 0.9)
        // Both arms have the same x, so the adjusted difference is the raw one: 1 + mean(i%3 over 20..39) - mean(i%3 over 0..19).
        let raw = y[20...].reduce(0, +) / 20 - y[..<20].reduce(0, +) / 20
        #expect(abs(row.diff - raw) < 1e-12)
    }

    /// A control with no conversions: the difference and its test stand (the pooled rate is not
    /// 0), the relative lift is undefined and left out (empty in abtest.csv), never NaN.
    @Test func aControlOfZeroHasNoRelativeLift() throws {
        let t = ExperimentTable(variants: Array(repeating: "control", count: 50) + Array(repeating: "b", count: 50),
                                metrics: [ABTest.Metric(name: "m", values: Array(repeating: 0, count: 50) + (0..<50).map { $0 < 5 ? 1 : 0 })])
        let rows = try ABTest.analyse(t, config: ABTest.Config(control: "control"), file: "t.csv").rows
        let row = try #require(rows.first)
        #expect(row.lift == nil && row.diff == 0.1 && row.pValue > 0 && row.pValue < 0.05)
        #expect([row.diffLow, row.diffHigh, row.statistic, row.power, row.minimumDetectableEffect].allSatisfy { $0.isFinite })
    }

    func fails(_ t: ExperimentTable, _ expected: String, config c: ABTest.Config = ABTest.Config(control: "control"),
               sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(throws: (any Error).self, sourceLocation: sourceLocation) {
            do { _ = try ABTest.analyse(t, config: c, file: "in/e.csv") } catch {
                #expect("\(error)" == expected, sourceLocation: sourceLocation)
                throw error
            }
        }
    }

    @Test func badExperimentsAreErrorsThatSayWhatWasExpected() {
        let m = { (v: [Double]) in [ABTest.Metric(name: "m", values: v)] }
        fails(ExperimentTable(variants: ["a", "a", "b", "b"], metrics: m([1, 2, 3, 4])),
              "in/e.csv: no row has the control variant 'control' (param 'control'): expected one of the variants in the data: 'a', 'b'")
        fails(ExperimentTable(variants: ["control", "control"], metrics: m([1, 2])),
              "in/e.csv: every row is in the control variant 'control': expected at least one treatment variant")
        fails(ExperimentTable(variants: ["control", "control", "b"], metrics: m([1, 2, 3])),
              "in/e.csv: variant 'b' has 1 row: expected at least 2 rows per variant (a variance needs two)")
        fails(ExperimentTable(variants: ["control", "control", "b", "b"], metrics: m([2, 2, 5, 5])),
              "in/e.csv: metric 'm' has zero variance in both variant 'b' (every value 5) and control 'control' (every value 2): expected values that vary within at least one of the two variants")
        fails(ExperimentTable(variants: ["control", "control", "b", "b"], metrics: m([0, 0, 1, 1])),
              "in/e.csv: metric 'm' has zero variance in both variant 'b' (every value 1) and control 'control' (every value 0): expected values that vary within at least one of the two variants")
        fails(ExperimentTable(variants: ["control", "control", "b", "b"], metrics: [ABTest.Metric(name: "m", values: [1, 2, 3, 4], covariate: ("pre", [7, 7, 7, 7]))]),
              "in/e.csv: covariate 'pre' of metric 'm' has the same value in every row: expected a pre-period value that varies (CUPED regresses the metric on it)")
        var c = ABTest.Config(control: "control")
        c.expectedSplit = ["control": 1, "c": 1]
        fails(ExperimentTable(variants: ["control", "control", "b", "b"], metrics: m([1, 2, 3, 4])),
              "in/e.csv: param 'expected_split' names 'c', 'control'; the data's variant 'b' missing; no rows for 'c': expected one share per variant of the data: 'control', 'b'", config: c)
        c = ABTest.Config(control: "control")
        c.alpha = 1
        fails(ExperimentTable(variants: ["control", "control", "b", "b"], metrics: m([1, 2, 3, 4])),
              "parameter 'alpha' is 1.0, expected strictly between 0 and 1", config: c)
    }

    /// Cells: an empty or non-numeric metric value and an empty variant are errors at their line
    /// and column; a missing column lists the columns there are.
    @Test func badCellsAreLocated() throws {
        func read(_ text: String, covariates: [String: String] = [:]) throws -> ExperimentTable {
            try ExperimentTable.read(try CSV.rows(Array(text.utf8), file: "in/e.csv"), variant: "variant", metrics: ["m"], covariates: covariates)
        }
        func error(_ text: String, covariates: [String: String] = [:]) -> String {
            do { _ = try read(text, covariates: covariates); return "no error" } catch { return "\(error)" }
        }
        #expect(error("variant,x\ncontrol,1\n") == "in/e.csv:1:1: error: expected a column 'm' (param 'metrics'), found the columns variant, x")
        #expect(error("group,m\ncontrol,1\n") == "in/e.csv:1:1: error: expected a column 'variant' (param 'variant'), found the columns group, m")
        #expect(error("variant,m\ncontrol,1\nb,\n") == "in/e.csv:3:3: error: field 'm': expected a finite number (metric 'm'), found an empty field")
        #expect(error("variant,m\ncontrol,1\nb,lots\n") == "in/e.csv:3:3: error: field 'm': expected a finite number (metric 'm'), found 'lots'")
        #expect(error("variant,m\ncontrol,nan\n") == "in/e.csv:2:9: error: field 'm': expected a finite number (metric 'm'), found 'nan'")
        #expect(error("variant,m\n,1\n") == "in/e.csv:2:1: error: field 'variant': expected a variant name, found an empty field")
        #expect(error("variant,m,pre\ncontrol,1,x\n", covariates: ["m": "pre"])
                == "in/e.csv:2:11: error: field 'pre': expected a finite number (covariate of metric 'm'), found 'x'")
        let t = try read("variant,m,pre\ncontrol,1,2\nb,0,3\n", covariates: ["m": "pre"])
        #expect(t.variants == ["control", "b"] && t.metrics[0].values == [1, 0] && t.metrics[0].covariate?.values == [2, 3])
    }
}
