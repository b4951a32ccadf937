import Foundation
import Testing
import LoomCore
@testable import LoomCLI

@Suite struct RerunOverridesTests {
    func past(_ params: [String: ParamValue]) -> RunRecord {
        RunRecord(id: RunID("20261203-010203-004-ab"), dagPath: "dags/t.yaml", dagName: "t", dagDigest: Digest(of: "x"),
                  params: params, jobs: 1, startedAt: Date(timeIntervalSince1970: 0), status: .succeeded, tasks: [])
    }

    /// Only values that differ from the DAG's now become -P texts, and each reads back as the past
    /// value (strings unquoted, a comma kept: rerun never sweeps).
    @Test func pastValuesThatDifferReadBackExactly() {
        let old: [String: ParamValue] = ["k": .int(5), "day": .string("2020-06-30, noon"), "r": .float(0.5), "xs": .list([.string("a b"), .int(1)]),
                                         "same": .bool(true), "m": .map(["a": .null])]
        let now: [String: ParamValue] = ["k": .int(4), "day": .string("x"), "r": .float(1), "xs": .list([]), "same": .bool(true), "m": .map([:])]
        let plan = Rerun.overrides(past: past(old), current: now, given: [])
        #expect(plan.warnings.isEmpty)
        #expect(plan.overrides.map(\.name) == ["day", "k", "m", "r", "xs"])
        for o in plan.overrides { #expect(ParamValue.parse(o.value, like: now[o.name]!) == old[o.name], "\(o)") }
    }

    @Test func givenParamsLostAddedAndRetyped() {
        let plan = Rerun.overrides(past: past(["k": .int(5), "gone": .int(1), "t": .string("abc")]),
                                   current: ["k": .int(4), "new": .int(2), "t": .int(3)], given: ["k"])
        #expect(plan.overrides.isEmpty)
        #expect(plan.warnings == [
            "param 'gone' (1 in run 20261203-010203-004-ab) is no longer in the DAG; left out",
            "param 't' was \"abc\" in run 20261203-010203-004-ab, but the DAG now has a int (3); using the DAG's value",
            "param 'new' is new since run 20261203-010203-004-ab; using its value in the DAG, 2",
        ])
    }
}

@Suite struct RunTableTests {
    func run(_ n: Int, params: [String: ParamValue], metrics: [String: Double]) -> RunSummary {
        var r = RunRecord(id: RunID("20261203-010203-00\(n)-ab"), dagPath: "dags/t.yaml", dagName: "t", dagDigest: Digest(of: "x"),
                          params: params, jobs: 1, startedAt: Date(timeIntervalSince1970: 0), status: .succeeded, tasks: [])
        var t = TaskReport(name: "m", kind: "shell", status: .ran)
        t.metrics = metrics
        r.tasks = [t]
        return RunSummary(r)
    }

    @Test func sortByMetricOrParamWithMissingLast() throws {
        let runs = [run(1, params: ["k": .int(10)], metrics: ["auc": 0.5]), run(2, params: ["k": .int(9)], metrics: [:]),
                    run(3, params: ["k": .int(2)], metrics: ["auc": 0.7]), run(4, params: ["k": .float(2.5)], metrics: ["auc": 0.5])]
        let ids = { (rs: [RunSummary]) in rs.map { String($0.id.value.dropFirst(18).prefix(1)) } }
        #expect(ids(try RunTable.sorted(runs, by: "m.auc", descending: true)) == ["3", "1", "4", "2"])
        #expect(ids(try RunTable.sorted(runs, by: "m.auc", descending: false)) == ["1", "4", "3", "2"])
        #expect(ids(try RunTable.sorted(runs, by: "k", descending: false)) == ["3", "4", "2", "1"], "numbers by value, not text")
        #expect(throws: CLIExit.self) { try RunTable.sorted(runs, by: "m.acu", descending: false) }
    }

    @Test func experimentColumnsAreWhatDiffers() {
        let runs = [run(1, params: ["k": .int(1), "n": .int(5)], metrics: ["auc": 0.5, "rows": 3]),
                    run(2, params: ["k": .int(2), "n": .int(5)], metrics: ["auc": 0.6, "rows": 3])]
        let t = RunTable(runs: runs, params: nil, metrics: nil, experiment: true)
        #expect(t.paramColumns == ["k"] && t.metricColumns == ["m.auc"])
        #expect(t.rows[0] == ["ID", "STATUS", "DAG", "STARTED", "k", "m.auc", "NAME"])
        #expect(RunTable(runs: [runs[0]], params: nil, metrics: nil, experiment: true).paramColumns == ["k", "n"], "one run: every param")
        var committed = runs
        committed[1].commit = String(repeating: "a1", count: 20)
        let rows = RunTable(runs: committed, params: nil, metrics: nil, experiment: true).rows
        #expect(rows.map { $0[4] } == ["COMMIT", "-", "a1a1a1a1"])
    }
}
