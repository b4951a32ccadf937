import Foundation
import Testing
import LoomCore

@Suite struct ABTestDagTests {
    /// Rows of a CSV without quoted fields (abtest.csv's names and tests have none), by column name.
    func rows(_ text: String) -> [[String: String]] {
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first else { return [] }
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
    }

    /// dags/abtest.yaml on its generated experiment: every estimated difference is within 4
    /// standard errors of the true one in truth.json (the standard error read off the row's
    /// interval). An unbiased estimator misses by that much with probability 6e-5 per row, so the
    /// bound checks the whole chain (generator, reading, tests, CUPED) rather than the luck of
    /// one seed; a biased CUPED or a mixed-up variant is off by far more.
    @Test func estimatesRecoverTheGeneratedEffects() throws {
        let s = Sandbox()
        s.write("dags/abtest.yaml", try String(contentsOfFile: AnalyticsTests.repo + "/dags/abtest.yaml", encoding: .utf8))
        let r = try s.loom("run", "dags/abtest.yaml", "-q", "-j", "2")
        #expect(r.status == 0, "\(r.stderr)")
        // The same bytes with one task at a time.
        let serial = Sandbox()
        serial.write("dags/abtest.yaml", try String(contentsOfFile: AnalyticsTests.repo + "/dags/abtest.yaml", encoding: .utf8))
        #expect(try serial.loom("run", "dags/abtest.yaml", "-q", "-j", "1").status == 0)
        #expect(serial.artifacts(dag: "abtest") == s.artifacts(dag: "abtest") && s.artifacts(dag: "abtest").count == 3)
        let truthText = try #require(s.read("artifacts/latest/abtest/generate/truth.json"))
        let truth = try #require(try JSONSerialization.jsonObject(with: Data(truthText.utf8)) as? [String: Any])
        let experiment = try #require(truth["experiment"] as? [String: Any])
        let variants = try #require(experiment["variants"] as? [[String: Any]])
        let config = try #require(experiment["config"] as? [String: Any])
        let rates = try #require(config["purchaseRate"] as? [Double])
        var trueDiff: [String: Double] = [:]
        for (k, v) in variants.enumerated() {
            let name = try #require(v["name"] as? String)
            trueDiff["converted " + name] = v["conversionDiff"] as? Double
            trueDiff["spend " + name] = v["spendDiff"] as? Double
            trueDiff["purchases " + name] = rates[k] - rates[0]
        }
        let table = rows(try #require(s.read("artifacts/latest/abtest/abtest/abtest.csv")))
        #expect(table.map { "\($0["metric"]!) \($0["variant"]!) \($0["test"]!)" } == [
            "converted a two_proportion_z", "converted b two_proportion_z", "purchases a cuped_welch_t", "purchases b cuped_welch_t",
            "spend a cuped_welch_t", "spend b cuped_welch_t",
        ])
        for row in table {
            let key = row["metric"]! + " " + row["variant"]!
            let diff = try #require(Double(row["diff"]!)), low = try #require(Double(row["diff_ci_low"]!)), high = try #require(Double(row["diff_ci_high"]!))
            let se = (high - low) / (2 * 1.96)
            let truth = try #require(trueDiff[key])
            #expect(abs(diff - truth) < 4 * se, "\(key): estimated \(diff) [\(low), \(high)], truth \(truth)")
        }
        // 'a' raises conversion by 1.7 points, which 30,000 users detect; 'b' changes none.
        let converted = table.filter { $0["metric"] == "converted" }
        #expect(Double(converted[0]["p_value_holm"]!)! < 0.05)
        let metrics = try #require(try s.lastRun().tasks.first { $0.name == "abtest" }?.metrics)
        #expect(metrics["srm.mismatch"] == 0 && metrics["units"] == 30000)
        let report = try #require(s.read("artifacts/latest/abtest/report/report.html"))
        #expect(report.contains("<h2>A/B test (abtest)</h2>") && report.contains("Relative lift against the control"))
        // Run again: nothing runs. A broken split: the sample-ratio check flags it.
        #expect(try s.loom("run", "dags/abtest.yaml").stdout.contains(": 0 ran, "))
        let broken = try s.loom("run", "dags/abtest.yaml", "-q", "-P", "assigned_split=[0.52, 0.24, 0.24]")
        #expect(broken.status == 0, "\(broken.stderr)")
        #expect(try s.lastRun().tasks.first { $0.name == "abtest" }?.metrics["srm.mismatch"] == 1)
        #expect(s.read("artifacts/latest/abtest/report/report.html")?.contains("<strong>mismatch</strong>") == true)
    }
}

@Suite struct FunnelDagTests {
    /// dags/funnel.yaml at a small size: every generated session starts with views, so the
    /// funnel's first step holds all of them (truth.json's purchase + browse sessions), and with
    /// steps [view, purchase] exactly the purchase sessions reach the end.
    @Test func countsMatchTheGeneratedSessions() throws {
        let s = Sandbox()
        s.write("dags/funnel.yaml", try String(contentsOfFile: AnalyticsTests.repo + "/dags/funnel.yaml", encoding: .utf8))
        let r = try s.loom("run", "dags/funnel.yaml", "-q", "-P", "customers=200")
        #expect(r.status == 0, "\(r.stderr)")
        let truthText = try #require(s.read("artifacts/latest/funnel/generate/truth.json"))
        let truth = try #require(try JSONSerialization.jsonObject(with: Data(truthText.utf8)) as? [String: Any])
        let purchases = try #require(truth["purchaseSessions"] as? Int), browses = try #require(truth["browseSessions"] as? Int)
        let m = try #require(try s.lastRun().tasks.first { $0.name == "funnel" }?.metrics)
        #expect(m["units"] == Double(purchases + browses) && m["reached.view"] == Double(purchases + browses))
        #expect((m["reached.purchase"] ?? 0) > 0 && (m["reached.purchase"] ?? 0) <= Double(purchases))
        let report = try #require(s.read("artifacts/latest/funnel/report/report.html"))
        #expect(report.contains("<h2>Funnel analysis (funnel)</h2>") && report.contains("Conversion from view by day_of_week"))
        #expect(try s.loom("run", "dags/funnel.yaml", "-q", "-P", "customers=200", "-P", "steps=[view, purchase]").status == 0)
        #expect(try s.lastRun().tasks.first { $0.name == "funnel" }?.metrics["reached.purchase"] == Double(purchases))
    }
}

@Suite struct ABTestBadInputTests {
    /// With the real binary: a bad param fails the DAG's load (exit 3) naming the task, the param
    /// and the bound; a bad cell fails the task (exit 1) naming the file, line and column.
    @Test func badParamsAndBadCells() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", #"""
        params: {alpha: 0.05, last: "4"}
        tasks:
          data:
            kind: shell
            cmd: printf 'variant,m\ncontrol,1\ncontrol,2\nnew,3\nnew,%s\n' "{{params.last}}" > $LOOM_OUT/experiment.csv
          ab: {kind: abtest, needs: [data], params: {metrics: [m], control: control, alpha: "{{params.alpha}}"}}
        """#)
        let bad = try s.loom("run", "dags/t.yaml", "-P", "alpha=1.5")
        #expect(bad.status == 3)
        #expect(bad.stderr.contains("param 'alpha' must be strictly between 0 and 1, got 1.5"), "\(bad.stderr)")
        let cell = try s.loom("run", "dags/t.yaml", "-P", "last=lots")
        #expect(cell.status == 1)
        #expect(cell.stderr.contains("data/experiment.csv:5:5: error: field 'm': expected a finite number (metric 'm'), found 'lots'"), "\(cell.stderr)")
        let ok = try s.loom("run", "dags/t.yaml", "-q")
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(s.read("artifacts/latest/t/ab/abtest.csv")?.hasPrefix("metric,variant,n,control_n,value,control_value,diff,") == true)
    }
}
