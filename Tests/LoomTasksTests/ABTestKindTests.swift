import Foundation
import LoomAnalytics
import LoomCore
import Testing
@testable import LoomTasks

@Suite struct ABTestKindTests {
    /// 40 units alternating control, new; both arms see the same pre-period values and the same
    /// noise (both depend on i / 2), and amount is pre + noise, + 0.5 in 'new'.
    static let table = "variant,clicked,amount,pre\n" + (0..<40).map { i in
        let k = i / 2, treated = i % 2 == 1
        let clicked = i % 5 == 0 || (treated && i % 3 == 0) ? 1 : 0
        return "\(treated ? "new" : "control"),\(clicked),\(Double(k % 7) + 0.1 * Double(k % 3) + (treated ? 0.5 : 0)),\(k % 7)"
    }.joined(separator: "\n") + "\n"

    @Test func writesTheTableJsonAndMetrics() throws {
        let s = try KindSandbox()
        try s.artifact("data", file: "experiment.csv", Self.table)
        try s.run("ab", "abtest", ["metrics": .list([.string("clicked"), .string("amount")]), "covariates": .map(["amount": .string("pre")])], needs: ["data"])
        let t = try s.table("ab", "abtest.csv")
        #expect(t.names == ABTestKind.columns)
        #expect(try t.texts("metric") == ["clicked", "amount"] && t.texts("variant") == ["new", "new"])
        #expect(try t.texts("test") == ["two_proportion_z", "cuped_welch_t"] && t.texts("covariate") == ["", "pre"])
        #expect(try t.texts("df")[0] == "inf")
        // The arms have the same pre-period values, so CUPED leaves the difference at 0.5 exactly
        // (up to rounding) and takes most of the spread away: a tight interval.
        let diff = try t.numbers("diff")[1], low = try t.numbers("diff_ci_low")[1], high = try t.numbers("diff_ci_high")[1]
        #expect(abs(diff - 0.5) < 1e-9 && high - low < 0.2)
        let m = try s.metrics("ab")
        #expect(m["units"] == 40 && m["variants"] == 2 && m["srm.chi2"] == 0 && m["srm.mismatch"] == 0)
        #expect(m["amount.new.diff"] == diff && m["clicked.new.p_value_holm"] != nil && m["clicked.new.relative_lift"] != nil)
        let json = try String(contentsOfFile: s.artifacts["ab"]! + "/abtest.json", encoding: .utf8)
        #expect(json.contains("\"format\" : \"loom-abtest 1\"") && json.contains("\"sample_ratio\""))
        // No number in the table is NaN (an empty field).
        for (name, column) in zip(t.names, t.columns) { #expect(column.numbers?.allSatisfy { !$0.isNaN } ?? true, "\(name)") }
    }

    @Test func badInputsNameTheFileAndWhatWasExpected() throws {
        let s = try KindSandbox()
        try s.artifact("data", file: "experiment.csv", Self.table)
        func run(_ params: [String: ParamValue]) throws { try s.run("ab", "abtest", params, needs: ["data"]) }
        let metrics: ParamValue = .list([.string("clicked")])
        expectFailure(["data/experiment.csv:1:1: error: expected a column 'clickd' (param 'metrics'), found the columns variant, clicked, amount, pre"]) {
            try run(["metrics": .list([.string("clickd")])])
        }
        expectFailure(["data/experiment.csv: no row has the control variant 'old' (param 'control')", "'control', 'new'"]) {
            try run(["metrics": metrics, "control": .string("old")])
        }
        try s.artifact("cells", file: "experiment.csv", "variant,m\ncontrol,1\ncontrol,2\nnew,x\nnew,3\n")
        expectFailure(["cells/experiment.csv:4:5: error: field 'm': expected a finite number (metric 'm'), found 'x'"]) {
            try s.run("ab", "abtest", ["metrics": .list([.string("m")])], needs: ["cells"])
        }
        try s.artifact("one", file: "experiment.csv", "variant,m\ncontrol,1\ncontrol,2\nnew,3\n")
        expectFailure(["one/experiment.csv: variant 'new' has 1 row: expected at least 2 rows per variant"]) {
            try s.run("ab", "abtest", ["metrics": .list([.string("m")])], needs: ["one"])
        }
        // Params are checked when the DAG is loaded.
        let check = BuiltinKinds.registry["abtest"]!.check
        #expect(check(["metrics": metrics, "alpha": .float(1.5)]).map(\.message) == ["param 'alpha' must be strictly between 0 and 1, got 1.5"])
        #expect(check(["metrics": metrics, "alpha": .float(0)]).map(\.message) == ["param 'alpha' must be strictly between 0 and 1, got 0.0"])
        #expect(check(["metrics": .list([])]).map(\.message) == ["param 'metrics' must name at least one column"])
        #expect(check(["metrics": metrics, "covariates": .map(["clickd": .string("pre")])]).map(\.message)
                == ["param 'covariates' names 'clickd', which is not in 'metrics' (clicked)"])
        #expect(check(["metrics": metrics, "expected_split": .map(["control": .float(1), "new": .float(-1)])]).map(\.message)
                == ["param 'expected_split' gives variant 'new' the share -1.0: expected a positive number"])
        #expect(check(["metrics": metrics, "expected_split": .map(["control": .string("half")])]).first?.message.hasPrefix("param 'expected_split.control' has the wrong type") == true)
    }
}
