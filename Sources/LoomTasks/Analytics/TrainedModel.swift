import Foundation
import LoomAnalytics
import LoomCore

/// What `train` writes as model.json (readable JSON, read back by `predict` and `evaluate`):
/// `type` (gbdt, logistic, random_forest or linear) and the model under that key (`gbdt`:
/// `GradientBoostingModel`, `logistic`: `LogisticRegressionModel`, `forest`: `RandomForestModel`,
/// `linear`: `LinearRegressionModel`, each with its own version), then, only when train's params made
/// them, `threshold` (chosen on validation rows) and `preprocessing` (`Preprocessing`: imputation and
/// one-hot levels). Fields that are nil are left out, so a model trained without the later params
/// has the bytes it had before they existed.
struct TrainedModel: Codable {
    var type: String
    var gbdt: GradientBoostingModel? = nil
    var logistic: LogisticRegressionModel? = nil
    var forest: RandomForestModel? = nil
    var linear: LinearRegressionModel? = nil
    /// A classifier's decision threshold chosen on validation rows (train's validation_fraction); nil without.
    var threshold: Double? = nil
    /// Imputation and one-hot levels (train's impute, categorical); nil without: the features are the
    /// table's numeric columns of `featureNames` as they are.
    var preprocessing: Preprocessing? = nil

    /// The model fitted on the rows `rows` of `x`: gbdt bins their columns one at a time (no matrix of
    /// them), the other models take their matrix.
    /// - Parameter validation: rows for gbdt's early stopping (used only with early_stopping_rounds).
    static func fit(_ p: Train.Params, x: TableFeatures, rows: [Int], y: [Double], features: [String],
                    validation: (x: Matrix, y: [Double])? = nil) throws -> TrainedModel {
        if p.model == "gbdt" {
            return TrainedModel(type: "gbdt", gbdt: try GradientBoosting.fit(columns: x.columns(rows: rows), y: y, featureNames: features, config: Train.boostingConfig(p),
                                                                              validation: p.earlyStoppingRounds == nil ? nil : validation))
        }
        return try fit(p, x: x.matrix(rows: rows), y: y, features: features, validation: validation)
    }

    /// - Parameter validation: rows for gbdt's early stopping (used only with early_stopping_rounds).
    static func fit(_ p: Train.Params, x: Matrix, y: [Double], features: [String], validation: (x: Matrix, y: [Double])? = nil) throws -> TrainedModel {
        switch p.model {
        case "logistic":
            var c = LogisticRegression.Config()
            // scikit-learn minimises C sum(log loss) + |b|^2 / 2; divided by C n that is this fit's
            // mean log loss + |b|^2 / (2 C n).
            c.l2 = p.c.map { 1 / (2 * $0 * Double(y.count)) } ?? p.l2 ?? LogisticRegression.Config().l2
            c.tolerance = p.tolerance ?? Train.logisticTolerance
            return TrainedModel(type: "logistic", logistic: try LogisticRegression.fit(x: x, y: y, featureNames: features, config: c))
        case "random_forest":
            return TrainedModel(type: "random_forest", forest: try RandomForest.fit(x: x, y: y, featureNames: features, config: Train.forestConfig(p),
                                                                                   regression: p.objective == "regression"))
        case "linear":
            return TrainedModel(type: "linear", linear: try LinearRegression.fit(x: x, y: y, featureNames: features, config: .init(l2: p.l2 ?? 0)))
        default:
            return TrainedModel(type: "gbdt", gbdt: try GradientBoosting.fit(x: x, y: y, featureNames: features, config: Train.boostingConfig(p),
                                                                              validation: p.earlyStoppingRounds == nil ? nil : validation))
        }
    }

    var featureNames: [String] { gbdt?.featureNames ?? logistic?.featureNames ?? forest?.featureNames ?? linear?.featureNames ?? [] }

    /// Whether the model predicts a number (a regression) rather than a probability of class 1.
    var isRegression: Bool { gbdt?.isRegression ?? forest?.regression ?? (linear != nil) }

    /// A classifier's probabilities of class 1, or a regression's predictions.
    func predict(_ x: Matrix) throws -> [Double] {
        if let gbdt { return try gbdt.predict(x) }
        if let logistic { return try logistic.predictProbability(x) }
        if let forest { return try forest.predict(x) }
        if let linear { return try linear.predict(x) }
        throw KindError("model.json holds no model")
    }

    /// gbdt: total gain share; random_forest: mean decrease in impurity; logistic, linear: |coefficient| x
    /// feature scale (the standardised effect), normalised.
    var importance: [Double] {
        if let gbdt { return gbdt.featureImportance }
        if let forest { return forest.featureImportance }
        guard let (coefficients, scales) = logistic.map({ ($0.coefficients, $0.featureScales) }) ?? linear.map({ ($0.coefficients, $0.featureScales) }) else { return [] }
        let raw = zip(coefficients, scales).map { abs($0 * $1) }
        let total = raw.reduce(0, +)
        return raw.map { total > 0 ? $0 / total : 0 }
    }

    /// The final training loss: gbdt's log loss or mean squared error, logistic's log loss, linear's mean
    /// squared error; none for a forest (its leaves fit the bootstrap rows, so the figure says little).
    var trainingLoss: Double { gbdt?.trainingLoss.last ?? logistic?.trainingLogLoss ?? linear?.trainingMeanSquaredError ?? .nan }
}

extension Matrix {
    /// The columns at the given indices, in that order.
    func selectingColumns(_ indices: [Int]) -> Matrix {
        var out = Matrix(rows: rows, columns: indices.count)
        for i in 0..<rows { for (k, j) in indices.enumerated() { out[i, k] = self[i, j] } }
        return out
    }
}

extension Array {
    func indicesSelected(_ idx: [Int]) -> [Element] { idx.map { self[$0] } }
}
