import Foundation
import LoomAnalytics
import LoomCore

/// `evaluate`: metrics of a needed task's predictions. A classifier's predictions.csv (label,
/// score) gives AUC, average precision, log loss, Brier, threshold metrics, calibration and gains,
/// beside a majority-class baseline (and, optionally, a score column as a second baseline). A clv
/// task's predictions give predicted vs actual holdout transactions and revenue, by frequency group.
/// Writes evaluation.json (with the curves, for `report`) and the headline numbers as metrics.
public enum Evaluate: TaskKind {
    public struct Params: Decodable, Sendable {
        public var input: String?
        public var file: String
        public var threshold: Double
        public var baseline: String?
        public var chosenThreshold: Bool
        enum CodingKeys: String, CodingKey { case input, file, threshold, baseline, chosenThreshold = "chosen_threshold" }
    }

    public static let name = "evaluate"
    public static let version = 1
    public static let summary = "Metrics of a classifier's, a regression's or a CLV model's predictions (AUC with exact ties, AP, log loss, Brier, F1, calibration, gains; RMSE, MAE, R^2 against the mean; or MAE, RMSE, correlation by frequency) -> evaluation.json."
    public static let params = [
        ParamSpec.soleInput("the needed task with predictions.csv"),
        ParamSpec("file", .string, "predictions.csv", "the predictions table"),
        ParamSpec("threshold", .float, 0.5, "classifier: score at or above which a row counts as positive", bounds: .between(0, 1)),
        ParamSpec("baseline", .string, .unset("none"), "classifier: a column of the predictions to score as a second baseline (higher = more likely positive)"),
        ParamSpec("chosen_threshold", .bool, false, "classifier: use the threshold the train task chose on its validation rows (its validation_fraction; saved in model.json) instead of threshold",
                  legacy: .bool(false)),
    ]

    struct ClassifierEvaluation: Codable {
        var type = "classifier"
        var model: ClassifierReport
        var majorityBaseline: ClassifierReport
        var scoreBaseline: ClassifierReport?
        var baselineColumn: String?
    }

    struct CLVEvaluation: Codable {
        var type = "clv"
        var transactions: CountReport
        var revenue: CountReport?
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        let input = try ArtifactFiles.soleInput(context, p.input, kind: name)
        let t = try ArtifactFiles.table(context, input: input, file: p.file)
        if t["label"] != nil, t["score"] != nil {
            var p = p
            if p.chosenThreshold {
                let path = try ArtifactFiles.path(context, input: input, file: "model.json")
                guard FileSystem.exists(path), let chosen = try ArtifactFiles.readJSON(TrainedModel.self, path).threshold else {
                    throw KindError("param 'chosen_threshold': \(input) holds no threshold chosen on validation rows (train it with validation_fraction)")
                }
                p.threshold = chosen
            }
            try classifier(t, p, context)
        } else if t["label"] != nil, t["prediction"] != nil {
            try regression(t, context)
        } else if t["expected_transactions"] != nil, t["holdout_transactions"] != nil {
            try clv(t, context)
        } else {
            throw KindError("\(input)/\(p.file) has neither label and score (a classifier's predictions), label and prediction (a regression's) nor expected_transactions and holdout_transactions (a clv task's); columns: \(t.names.joined(separator: ", "))")
        }
    }

    static func classifier(_ t: Table, _ p: Params, _ context: TaskContext) throws {
        let y = try t.numbers("label"), s = try t.numbers("score")
        let model = try ClassifierMetrics.evaluate(labels: y, scores: s, threshold: p.threshold)
        // Majority-class baseline: every row scored at the positive rate (AUC 0.5 by construction).
        let rate = y.reduce(0, +) / Double(y.count)
        let majority = try ClassifierMetrics.evaluate(labels: y, scores: Array(repeating: rate, count: y.count), threshold: p.threshold)
        var scoreBaseline: ClassifierReport?
        if let b = p.baseline { scoreBaseline = try ClassifierMetrics.evaluate(labels: y, scores: try t.numbers(b), threshold: p.threshold) }
        try ArtifactFiles.writeJSON(ClassifierEvaluation(model: model, majorityBaseline: majority, scoreBaseline: scoreBaseline, baselineColumn: p.baseline),
                                    context, "evaluation.json")
        var m: [String: Double] = [
            "auc": model.rocAUC, "average_precision": model.averagePrecision, "accuracy": model.atThreshold.accuracy,
            "precision": model.atThreshold.precision, "recall": model.atThreshold.recall, "f1": model.atThreshold.f1,
            "rows": Double(model.rows), "positive_rate": rate, "baseline.majority_accuracy": max(rate, 1 - rate),
            "lift_top_decile": model.gains.first?.lift ?? .nan,
        ]
        if p.chosenThreshold { m["threshold"] = p.threshold }
        if let l = model.logLoss { m["log_loss"] = l }
        if let b = model.brierScore { m["brier"] = b }
        if let l = majority.logLoss { m["baseline.majority_log_loss"] = l }
        if let sb = scoreBaseline { m["baseline.score_auc"] = sb.rocAUC; m["baseline.score_average_precision"] = sb.averagePrecision }
        try ArtifactFiles.writeMetrics(m, context)
    }

    /// What a regression's evaluation.json holds (added with regression in train: no artifact held
    /// label and prediction before, so every input evaluate read before gives the same bytes).
    struct RegressionEvaluation: Codable {
        var type = "regression"
        var model: RegressionReport
        /// Every row predicted as the mean label of these rows (R^2 0 by construction).
        var meanBaseline: RegressionReport
        /// Mean prediction and mean label per tenth of the rows by prediction.
        var byDecile: [RegressionDecile]
    }

    static func regression(_ t: Table, _ context: TaskContext) throws {
        let y = try t.numbers("label"), predicted = try t.numbers("prediction")
        let model = try RegressionMetrics.evaluate(targets: y, predictions: predicted)
        let mean = y.reduce(0, +) / Double(y.count)
        let baseline = try RegressionMetrics.evaluate(targets: y, predictions: Array(repeating: mean, count: y.count))
        try ArtifactFiles.writeJSON(RegressionEvaluation(model: model, meanBaseline: baseline,
                                                         byDecile: try RegressionMetrics.deciles(targets: y, predictions: predicted)),
                                    context, "evaluation.json")
        var m: [String: Double] = ["rmse": model.rootMeanSquaredError, "mae": model.meanAbsoluteError, "rows": Double(model.rows),
                                   "baseline.mean_rmse": baseline.rootMeanSquaredError, "baseline.mean_mae": baseline.meanAbsoluteError]
        if let r2 = model.r2 { m["r2"] = r2 }
        try ArtifactFiles.writeMetrics(m, context)
    }

    static func clv(_ t: Table, _ context: TaskContext) throws {
        let predicted = try t.numbers("expected_transactions"), actual = try t.numbers("holdout_transactions")
        let groups = t["frequency"] != nil ? try t.numbers("frequency") : nil
        let tx = try CountMetrics.evaluate(predicted: predicted, actual: actual, groups: groups)
        var revenue: CountReport?
        if t["expected_spend"] != nil, t["holdout_spend"] != nil {
            let spend = try t.numbers("expected_spend")
            revenue = try CountMetrics.evaluate(predicted: zip(predicted, spend).map { $0 * $1 }, actual: try t.numbers("holdout_spend"), groups: groups)
        }
        try ArtifactFiles.writeJSON(CLVEvaluation(transactions: tx, revenue: revenue), context, "evaluation.json")
        var m: [String: Double] = ["predicted_transactions": tx.totalPredicted, "actual_transactions": tx.totalActual,
                                   "mae": tx.meanAbsoluteError, "rmse": tx.rootMeanSquaredError]
        if let r = tx.pearsonCorrelation { m["correlation"] = r }
        if let revenue { m["predicted_revenue"] = revenue.totalPredicted; m["actual_revenue"] = revenue.totalActual; m["revenue_mae"] = revenue.meanAbsoluteError }
        try ArtifactFiles.writeMetrics(m, context)
    }
}
