import Foundation
import LoomAnalytics
import LoomCore
import Testing
@testable import LoomTasks

/// `train`'s random forest, regression and cross-validation, run in-process on small tables.
@Suite struct TrainKindTests {
    /// 400 rows: user (40 users), x1, x2 uniform, noise; label = x1 > 0.5 with 10% flipped; spend = 10 + 20 x1 - 5 x2 + noise.
    static func table() -> String {
        var rng = SeededRandom(seed: 17)
        var lines = ["user,x1,x2,noise,label,spend"]
        for i in 0..<400 {
            let x1 = rng.uniform(), x2 = rng.uniform(), noise = rng.uniform()
            let label = (x1 > 0.5) != (rng.uniform() < 0.1) ? 1 : 0
            let spend = 10 + 20 * x1 - 5 * x2 + rng.normal()
            lines.append("u\(i % 40),\(x1),\(x2),\(noise),\(label),\(spend)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func sandbox() throws -> KindSandbox {
        let s = try KindSandbox()
        try s.artifact("t", file: "t.csv", Self.table())
        return s
    }

    let base: [String: ParamValue] = ["file": .string("t.csv"), "label": .string("label"), "features": .list([.string("x1"), .string("x2"), .string("noise")]),
                                      "ids": .list([.string("user")]), "seed": .int(3)]

    // A forest finds the planted step: test AUC well above chance (the label noise caps it near 0.9),
    // importance on x1, and its scores are mean leaf fractions in [0, 1].
    @Test func randomForestTrainsAndPredictReproducesIt() throws {
        let s = try sandbox()
        var p = base
        p["model"] = .string("random_forest")
        p["trees"] = .int(25)
        try s.run("rf", "train", p, needs: ["t"])
        let predictions = try s.table("rf", "predictions.csv")
        let scores = try predictions.numbers("score")
        #expect(scores.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(try ClassifierMetrics.evaluate(labels: predictions.numbers("label"), scores: scores).rocAUC > 0.85)
        let importance = try s.table("rf", "importance.csv").numbers("importance")
        #expect(importance[0] > 0.6)
        #expect(try String(contentsOfFile: s.artifacts["rf"]! + "/model.json", encoding: .utf8).contains("\"type\" : \"random_forest\""))
        // predict scores the same rows the same way from model.json alone.
        try s.run("scored", "predict", ["model": .string("rf"), "input": .string("t"), "file": .string("t.csv")], needs: ["rf", "t"])
        let all = try s.table("scored", "predictions.csv").numbers("score")
        #expect(Set(scores).isSubset(of: Set(all)))
    }

    // Regression on spend: linear recovers the planted coefficients (20, -5; noise sd 1 over ~320 rows
    // gives standard errors ~0.2, so 1 is ~5 standard errors), and gbdt and random_forest write the same
    // predictions.csv layout with test RMSE near the noise sd 1.
    @Test(arguments: ["linear", "gbdt", "random_forest"]) func regressionOnSpend(model: String) throws {
        let s = try sandbox()
        var p = base
        p["label"] = .string("spend")
        p["objective"] = .string("regression")
        p["model"] = .string(model)
        p["features"] = .list([.string("x1"), .string("x2")])
        try s.run("m", "train", p, needs: ["t"])
        let predictions = try s.table("m", "predictions.csv")
        #expect(predictions.names == ["user", "label", "prediction"])
        let metrics = try s.metrics("m")
        // RMSE: the noise's sd is 1; trees add a step-approximation error of a few tenths.
        #expect(metrics["test_rmse"]! < (model == "linear" ? 1.2 : 1.6))
        #expect(metrics["test_r2"]! > 0.8)
        if model == "linear" {
            let json = try JSONDecoder().decode(TrainedModel.self, from: Data(contentsOf: URL(fileURLWithPath: s.artifacts["m"]! + "/model.json")))
            let c = try #require(json.linear?.coefficients)
            #expect(abs(c[0] - 20) < 1 && abs(c[1] + 5) < 1)
        }
        // evaluate reads a regression's predictions: RMSE equal to train's own, R^2 against the mean baseline.
        try s.run("e", "evaluate", [:], needs: ["m"])
        let e = try s.metrics("e")
        #expect(abs(e["rmse"]! - metrics["test_rmse"]!) < 1e-12)
        #expect(e["baseline.mean_rmse"]! > e["rmse"]!)
    }

    // Five grouped folds on the training rows: cv.csv has a row per fold whose held-out rows add up to
    // the training rows, and the metrics hold each metric's mean and sd over the folds.
    @Test func crossValidationByGroup() throws {
        let s = try sandbox()
        var p = base
        p["model"] = .string("logistic")
        p["group"] = .string("user")
        p["cv_folds"] = .int(5)
        try s.run("m", "train", p, needs: ["t"])
        let cv = try s.table("m", "cv.csv")
        #expect(cv.names == ["fold", "train_rows", "test_rows", "auc", "average_precision", "log_loss", "accuracy", "precision", "recall", "f1"])
        let metrics = try s.metrics("m")
        #expect(try cv.numbers("test_rows").reduce(0, +) == metrics["train_rows"])
        let auc = try cv.numbers("auc")
        let mean = auc.reduce(0, +) / 5
        #expect(abs(metrics["cv.auc_mean"]! - mean) < 1e-12)
        let sd = (auc.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 4).squareRoot()
        #expect(abs(metrics["cv.auc_sd"]! - sd) < 1e-12)
        // x1 > 0.5 with 10% noise: every fold's AUC is near 0.9.
        #expect(auc.allSatisfy { $0 > 0.8 })
        // Deterministic by seed: a rerun writes the same bytes.
        let first = try String(contentsOfFile: s.artifacts["m"]! + "/cv.csv", encoding: .utf8)
        try s.run("m", "train", p, needs: ["t"])
        #expect(try String(contentsOfFile: s.artifacts["m"]! + "/cv.csv", encoding: .utf8) == first)
    }

    // test_fraction 0.15 with validation_fraction 0.15 on 400 rows: ceil(0.15 x 400) = 60 test rows, and of the 340
    // left ceil(0.15 / 0.85 x 340) = 60 validation rows: a 280/60/60 (70/15/15) split. The threshold chosen there
    // is saved in model.json and is the one evaluate uses with chosen_threshold.
    @Test func seventyFifteenFifteenWithAThresholdChosenOnValidation() throws {
        let s = try sandbox()
        var p = base
        p["model"] = .string("logistic")
        p["test_fraction"] = .float(0.15)
        p["validation_fraction"] = .float(0.15)
        p["permutation_repeats"] = .int(3)
        try s.run("m", "train", p, needs: ["t"])
        let m = try s.metrics("m")
        #expect(m["train_rows"] == 280 && m["validation_rows"] == 60 && m["test_rows"] == 60)
        let model = try JSONDecoder().decode(TrainedModel.self, from: Data(contentsOf: URL(fileURLWithPath: s.artifacts["m"]! + "/model.json")))
        let threshold = try #require(model.threshold)
        #expect(threshold == m["validation.threshold"])
        try s.run("e", "evaluate", ["chosen_threshold": .bool(true)], needs: ["m"])
        #expect(try s.metrics("e")["threshold"] == threshold)
        // Permutation importance on the test rows: x1 carries the label, noise does not (its drop is within
        // a few hundredths of 0 on 60 rows, far below x1's ~0.4).
        let importance = try s.table("m", "importance.csv")
        #expect(importance.names == ["feature", "importance", "permutation", "permutation_sd"])
        let drop = try importance.numbers("permutation")
        #expect(drop[0] > 0.2 && abs(drop[2]) < 0.05)
        // Without validation rows there is no chosen threshold to use.
        try s.run("plain", "train", base, needs: ["t"])
        expectFailure(["param 'chosen_threshold'", "holds no threshold chosen on validation rows"]) {
            try s.run("e2", "evaluate", ["chosen_threshold": .bool(true)], needs: ["plain"])
        }
    }

    // gbdt with early stopping on the validation rows: the model keeps fewer rounds than it may grow, and says how many.
    @Test func gbdtStopsEarlyOnTheValidationRows() throws {
        let s = try sandbox()
        var p = base
        p["validation_fraction"] = .float(0.2)
        p["rounds"] = .int(200)
        p["learning_rate"] = .float(0.5)
        p["min_samples_leaf"] = .int(5)
        p["early_stopping_rounds"] = .int(5)
        try s.run("m", "train", p, needs: ["t"])
        let m = try s.metrics("m")
        let kept = try #require(m["rounds_kept"]), grown = try #require(m["rounds_grown"])
        #expect(grown - kept == 5 && grown < 200)
        let model = try JSONDecoder().decode(TrainedModel.self, from: Data(contentsOf: URL(fileURLWithPath: s.artifacts["m"]! + "/model.json")))
        #expect(model.gbdt?.trees.count == Int(kept) && model.threshold != nil)
    }

    // The report says plainly when a model is worse than its baseline: the churn GBDT of issue 13 (AUC 0.645
    // against 0.687 for ranking by days_since_last) and a model whose log loss is above the majority's.
    @Test func reportSaysWhenAModelIsWorseThanItsBaseline() throws {
        let s = try KindSandbox()
        try s.artifact("evaluate_churn", file: "metrics.json",
                       #"{"auc": 0.645, "baseline.score_auc": 0.687, "log_loss": 0.5, "baseline.majority_log_loss": 0.6}"#)
        try s.artifact("evaluate_purchase", file: "metrics.json",
                       #"{"auc": 0.8, "baseline.score_auc": 0.7, "log_loss": 0.7, "baseline.majority_log_loss": 0.6}"#)
        try s.artifact("fine", file: "metrics.json", #"{"auc": 0.9, "log_loss": 0.3, "baseline.majority_log_loss": 0.6}"#)
        try s.run("report", "report", [:], needs: ["evaluate_churn", "evaluate_purchase", "fine"])
        let html = try String(contentsOfFile: s.root + "/report/report.html", encoding: .utf8)
        #expect(html.contains("<p class=\"warning\"><strong>evaluate_churn is worse than its baseline</strong>: AUC 0.645 against 0.687 for ranking by the baseline column alone.</p>"))
        #expect(html.contains("<strong>evaluate_purchase's probabilities are worse than its baseline's</strong>: log loss 0.7 against 0.6"))
        #expect(!html.contains("<strong>fine"))
        #expect(html.components(separatedBy: "class=\"warning\"").count == 3)
    }

    // Params are checked when the DAG is loaded: each wrong combination names its param.
    @Test func badCombinationsAreRefused() {
        let d = BuiltinKinds.registry["train"]!
        func messages(_ extra: [String: ParamValue]) -> [String] {
            d.check(["label": .string("y")].merging(extra) { a, _ in a }).map(\.message)
        }
        #expect(messages(["model": .string("logistic"), "objective": .string("regression")])
                == ["model: logistic is a classifier; objective: regression takes linear, gbdt or random_forest"])
        #expect(messages(["model": .string("linear")]) == ["model: linear is a regression (objective: regression); a 0/1 label takes logistic"])
        #expect(messages(["trees": .int(10)]) == ["param 'trees' is for model: random_forest (gbdt takes rounds)"])
        #expect(messages(["model": .string("random_forest"), "max_features": .string("half")])
                == ["param 'max_features' must be sqrt, log2, all or a positive integer, got 'half'"])
        #expect(messages(["cv_folds": .int(1)]) == ["param 'cv_folds' must be >= 2, got 1"])
        #expect(messages(["categorical": .list([.string("device")]), "features": .list([.string("device")])])
                == ["column 'device' is in categorical and also in features; categorical columns are encoded as features on their own"])
        #expect(messages(["impute": .string("mode")]) == ["param 'impute' must be one of none, median, mean, constant, got 'mode'"])
        #expect(BuiltinKinds.registry["predict"]!.check(["model": .string("m")]).map(\.message)
                == ["give either 'input' (a needed task's FILE) or 'project_file' (a project CSV), one of them"])
        #expect(messages(["early_stopping_rounds": .int(5), "model": .string("logistic")])
                == ["param 'early_stopping_rounds' is for model: gbdt", "param 'early_stopping_rounds' needs validation_fraction (the rows whose loss it watches)"])
        #expect(messages(["test_fraction": .float(0.5), "validation_fraction": .float(0.5)])
                == ["validation_fraction 0.5 and test_fraction 0.5 leave no training rows; their sum must be below 1"])
    }
}
