import Foundation
import Testing
import LoomCore

/// dags/models.yaml, as committed: logistic, random forest and GBDT on one 70/15/15 split, compared in the report.
@Suite struct ModelsDagTests {
    @Test func modelsDagComparesThreeModelsForAnyJobs() throws {
        let dag = try String(contentsOfFile: AnalyticsTests.repo + "/dags/models.yaml", encoding: .utf8)
        let a = Sandbox(), b = Sandbox()
        for s in [a, b] { s.write("dags/models.yaml", dag) }
        let ra = try a.loom("run", "models", "-q", "-j", "1", "-P", "customers=200")
        #expect(ra.status == 0, "\(ra.stderr)")
        #expect(try b.loom("run", "models", "-q", "-j", "2", "-P", "customers=200").status == 0)
        // Same bytes whatever the number of tasks (and so threads) at once: the forest is seeded per tree.
        #expect(a.artifacts(dag: "models") == b.artifacts(dag: "models"))
        let run = try a.lastRun()
        for model in ["logistic", "random_forest", "gbdt"] {
            let train = try #require(run.tasks.first { $0.name == model })
            let evaluation = try #require(run.tasks.first { $0.name == "evaluate." + model })
            // 70/15/15 by user: the shares of sessions are near those of users (users differ in sessions).
            let rows = ["train_rows", "validation_rows", "test_rows"].map { train.metrics[$0] ?? 0 }
            let total = rows.reduce(0, +)
            #expect(abs(rows[0] / total - 0.7) < 0.08 && abs(rows[2] / total - 0.15) < 0.06, "\(model): \(rows)")
            #expect(evaluation.metrics["threshold"] == train.metrics["validation.threshold"])
            #expect((evaluation.metrics["auc"] ?? 0) > 0.6, "\(model)")
        }
        // gbdt stopped early on the validation rows: 10 rounds after its best, well before 200.
        let gbdt = try #require(run.tasks.first { $0.name == "gbdt" })
        #expect((gbdt.metrics["rounds_grown"] ?? 0) - (gbdt.metrics["rounds_kept"] ?? 0) == 10 && (gbdt.metrics["rounds_grown"] ?? 200) < 200)
        // The spend regressions: cross-validated on the training customers, and on the test rows compared with the mean.
        for model in ["linear", "gbdt", "forest"] {
            let train = try #require(run.tasks.first { $0.name == "spend_" + model })
            #expect(train.metrics["cv.folds"] == 5 && train.metrics["cv.rmse_sd"] != nil)
            let evaluation = try #require(run.tasks.first { $0.name == "evaluate_spend." + model })
            #expect(evaluation.metrics["rmse"] == train.metrics["test_rmse"] && evaluation.metrics["baseline.mean_rmse"] != nil)
        }
        let html = try #require(a.read("artifacts/latest/models/report/report.html"))
        for part in ["<h2>Model comparison</h2>", "ROC of every classifier", "Feature importance (random_forest)", "Permutation importance on the test rows",
                     "<th>regression</th>", "evaluate_spend.forest", "<th>cross-validated regression</th>", "<th>rmse (mean ± sd)</th>",
                     "Regression: evaluate_spend.forest", "Mean actual and predicted by decile of the prediction"] {
            #expect(html.contains(part), "report lacks \(part)")
        }
        #expect(try a.loom("run", "models", "-P", "customers=200").stdout.contains(": 0 ran, "))
    }
}
