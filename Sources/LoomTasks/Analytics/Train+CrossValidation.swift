import Foundation
import LoomAnalytics
import LoomCore

/// `train`'s k-fold cross-validation on its training rows (`cv_folds`) and the metrics it reports
/// per fold. The test rows are never in a fold: they stay held out for the final model.
///
/// cv.csv (written only with `cv_folds`): one row per fold, `fold` (1...k), `train_rows`,
/// `test_rows` (the rows held out in that fold), then one column per metric (see `Train.scoreMetrics`).
/// metrics.json gains `cv.METRIC_mean` and `cv.METRIC_sd` (the sample standard deviation over folds,
/// n - 1 in the denominator).
extension Train {
    /// The metric names of a classifier's or a regression's scores, in the order cv.csv writes them.
    static func metricNames(regression: Bool) -> [String] {
        regression ? ["rmse", "mae", "r2"] : ["auc", "average_precision", "log_loss", "accuracy", "precision", "recall", "f1"]
    }

    /// A classifier's AUC, average precision, log loss and the rates at `threshold`; or a regression's
    /// RMSE, MAE and R^2 (NaN where undefined: log loss of scores outside [0, 1], R^2 of constant targets).
    static func scoreMetrics(labels: [Double], scores: [Double], regression: Bool, threshold: Double) throws -> [String: Double] {
        if regression {
            let r = try RegressionMetrics.evaluate(targets: labels, predictions: scores)
            return ["rmse": r.rootMeanSquaredError, "mae": r.meanAbsoluteError, "r2": r.r2 ?? .nan]
        }
        let r = try ClassifierMetrics.evaluate(labels: labels, scores: scores, threshold: threshold, maxCurvePoints: 2)
        return ["auc": r.rocAUC, "average_precision": r.averagePrecision, "log_loss": r.logLoss ?? .nan, "accuracy": r.atThreshold.accuracy,
                "precision": r.atThreshold.precision, "recall": r.atThreshold.recall, "f1": r.atThreshold.f1]
    }

    /// Fits one model per fold of the training rows `rows` and scores it on the fold's rows; writes
    /// cv.csv and returns the `cv.` metrics. Folds are grouped by `group` when given, else stratified
    /// by label for a classifier, seeded by `seed`.
    /// `validation`: rows for gbdt's early stopping in every fold (the task's validation rows).
    static func crossValidate(_ p: Params, k: Int, table t: Table, x: TableFeatures, y: [Double], rows: [Int], features: [String],
                              validation: (x: Matrix, y: [Double])?, context: TaskContext) throws -> [String: Double] {
        let regression = p.objective == "regression"
        let groups = try p.group.map { try t.texts($0).indicesSelected(rows) }
        let fold = try Folds.assign(rows: rows.count, k: k, labels: regression || groups != nil ? nil : rows.map { y[$0] }, groups: groups,
                                    seed: UInt64(bitPattern: Int64(p.seed)))
        let names = metricNames(regression: regression)
        var perFold = [[Double]](repeating: [], count: names.count)
        var trainCounts: [Double] = [], testCounts: [Double] = []
        for f in 0..<k {
            let fit = rows.indices.filter { fold[$0] != f }.map { rows[$0] }, held = rows.indices.filter { fold[$0] == f }.map { rows[$0] }
            let model: TrainedModel
            do {
                model = try TrainedModel.fit(p, x: x, rows: fit, y: fit.map { y[$0] }, features: features, validation: validation)
            } catch {
                throw KindError("cross-validation fold \(f + 1) of \(k) (\(fit.count) training rows): \(error)")
            }
            let m = try scoreMetrics(labels: held.map { y[$0] }, scores: model.predict(x.matrix(rows: held)), regression: regression, threshold: p.threshold)
            for (i, name) in names.enumerated() { perFold[i].append(m[name] ?? .nan) }
            trainCounts.append(Double(fit.count))
            testCounts.append(Double(held.count))
            context.log("fold \(f + 1)/\(k): " + names.map { "\($0) \(SVGChart.number(m[$0] ?? .nan))" }.joined(separator: ", "))
        }
        var table = Table([("fold", .number((1...k).map(Double.init))), ("train_rows", .number(trainCounts)), ("test_rows", .number(testCounts))])
        var out: [String: Double] = ["cv.folds": Double(k)]
        for (i, name) in names.enumerated() {
            table.append(name, .number(perFold[i]))
            let v = perFold[i]
            let mean = v.reduce(0, +) / Double(k)
            out["cv.\(name)_mean"] = mean
            out["cv.\(name)_sd"] = (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(k - 1)).squareRoot()
        }
        try ArtifactFiles.write(table, context, "cv.csv")
        return out
    }
}
