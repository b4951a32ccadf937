import Foundation
import Testing
import LoomCore

@Suite struct AnalyticsTests {
    static var repo: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    @Test func cdnowDagReproducesThePublishedFit() throws {
        let s = Sandbox()
        s.write("dags/cdnow.yaml", try String(contentsOfFile: Self.repo + "/dags/cdnow.yaml", encoding: .utf8))
        s.write("data/cdnow_sample.csv", try String(contentsOfFile: Self.repo + "/data/cdnow_sample.csv", encoding: .utf8))
        let r = try s.loom("run", "dags/cdnow.yaml", "-q")
        #expect(r.status == 0, "\(r.stderr)")
        let run = try s.lastRun()
        let clv = try #require(run.tasks.first { $0.name == "clv" })
        // FHL 2005's printed estimates, to their printed digits.
        #expect(abs((clv.metrics["r"] ?? 0) - 0.243) < 0.0005 && abs((clv.metrics["b"] ?? 0) - 2.426) < 0.0005)
        #expect(run.tasks.first { $0.name == "customers" }?.metrics["repeat_transactions"] == 2457)
        #expect(try s.loom("run", "dags/cdnow.yaml").stdout.contains(": 0 ran, "))
    }

    @Test func ingestNamesTheBadRow() throws {
        let s = Sandbox()
        s.write("data/t.csv", "id,date,amt\n1,19970101,2.5\n2,19970102,lots\n")
        s.write("dags/t.yaml", """
        tasks:
          tx:
            kind: ingest
            files: [data/t.csv]
            params: {file: data/t.csv, customer: id, time: date, amount: amt, time_format: yyyymmdd, on_bad_row: "{{params.mode}}"}
        params: {mode: fail}
        """)
        let r = try s.loom("run", "dags/t.yaml")
        #expect(r.status == 1)
        #expect(r.stderr.contains("| data/t.csv:3:12: error: field 'amt': expected a number, found 'lots'"))
        let skip = try s.loom("run", "dags/t.yaml", "-P", "mode=skip", "-q")
        #expect(skip.status == 0)
        #expect(try s.lastRun().tasks.first?.metrics == ["rows_read": 2, "rows_kept": 1, "skipped.bad_amount": 1])
        s.write("dags/t.yaml", "tasks:\n  tx: {kind: ingest, params: {file: x.csv, customer: id, time: d, amount: a, time_format: weekly}}\n")
        let bad = try s.loom("run", "dags/t.yaml")
        #expect(bad.status == 3)
        #expect(bad.stderr.contains("param 'time_format' must be one of yyyymmdd, yyyy-mm-dd, datetime, epoch, auto, got 'weekly'"))
    }

    /// The README's DAG-schema example, taken from the README itself, runs as written (it once
    /// named a param its kind does not have).
    @Test func readmeDagExampleRuns() throws {
        let readme = try String(contentsOfFile: Self.repo + "/README.md", encoding: .utf8)
        // The first YAML block with tasks (the README shows loom.yaml's format before it).
        let yaml = try #require(readme.components(separatedBy: "```yaml\n").dropFirst()
            .map { $0.components(separatedBy: "```\n")[0] }.first { $0.contains("tasks:") })
        #expect(yaml.contains("tasks:") && yaml.contains("files: [data/lookup.csv]"))
        let s = Sandbox()
        s.write("dags/demo.yaml", yaml)
        s.write("data/lookup.csv", "1,a\n")
        let r = try s.loom("run", "dags/demo.yaml", "-q")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(s.read("artifacts/latest/demo/picked/sample.txt")?.split(separator: "\n").count == 5)
    }

    @Test func shopDagIsReproducibleForAnyJobs() throws {
        let a = Sandbox(), b = Sandbox()
        for s in [a, b] { s.write("dags/shop.yaml", try String(contentsOfFile: Self.repo + "/dags/shop.yaml", encoding: .utf8)) }
        let ra = try a.loom("run", "dags/shop.yaml", "-q", "-j", "1", "-P", "customers=150")
        #expect(ra.status == 0, "\(ra.stderr)")
        #expect(try b.loom("run", "dags/shop.yaml", "-q", "-j", "2", "-P", "customers=150").status == 0)
        #expect(a.artifacts(dag: "shop") == b.artifacts(dag: "shop"))
        #expect(a.artifacts(dag: "shop").count >= 5)
        // predict scored every customer with the churn model.
        let customers = a.read("artifacts/latest/shop/customers/customers.csv")?.split(separator: "\n").count ?? 0
        let scores = a.read("artifacts/latest/shop/churn_scores/predictions.csv") ?? ""
        #expect(scores.hasPrefix("customer,score\n") && scores.split(separator: "\n").count == customers && customers > 100)
        #expect(try a.loom("run", "dags/shop.yaml", "-P", "customers=150").stdout.contains(" 0 ran, "))
        #expect(a.read("artifacts/latest/shop/generate/events.csv")?.hasPrefix("event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n") == true)
    }
}
