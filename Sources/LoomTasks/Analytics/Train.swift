import Foundation
import LoomAnalytics
import LoomCore

/// `train`: a binary classifier on any table. Writes model.json (readable), predictions.csv (the
/// test rows: ids, label, score), importance.csv, and counts and the final training loss as metrics.
public enum Train: TaskKind {
    public struct Params: Decodable, Sendable {
        public var input: String?
        public var file: String
        public var label: String
        public var features: [String]?
        public var ids: [String]
        public var model: String
        public var splitColumn: String?
        public var group: String?
        public var testFraction: Double
        public var seed: Int
        public var rounds: Int
        public var learningRate: Double
        public var maxLeafNodes: Int
        public var minSamplesLeaf: Int
        public var l2: Double
        enum CodingKeys: String, CodingKey {
            case input, file, label, features, ids, model, splitColumn = "split_column", group, testFraction = "test_fraction", seed, rounds,
                 learningRate = "learning_rate", maxLeafNodes = "max_leaf_nodes", minSamplesLeaf = "min_samples_leaf", l2
        }
    }

    public static let name = "train"
    public static let version = 1
    public static let summary = "Trains a binary classifier (gbdt: histogram gradient boosting; logistic: L2-regularised logistic regression) on a table; test-set predictions, model.json and feature importance."
    /// The logistic penalty's default is `LogisticRegression.Config`'s, declared there once.
    static let logisticL2 = LogisticRegression.Config().l2
    public static let params = [
        ParamSpec.soleInput("the needed task with the table"),
        ParamSpec("file", .string, "sessions.csv", "the table in INPUT"),
        ParamSpec("label", .string, .required, "the 0/1 label column"),
        ParamSpec("features", .strings, .unset("all numeric columns but label, ids, group, split"), "feature columns"),
        ParamSpec("ids", .strings, .value(.list([])), "id columns copied into predictions.csv"),
        ParamSpec("model", .string, "gbdt", "gbdt: histogram gradient boosting; logistic: L2-regularised logistic regression", choices: ["gbdt", "logistic"]),
        ParamSpec("split_column", .string, .unset("none"), "a column whose value 'test' marks test rows (others train)"),
        ParamSpec("group", .string, .unset("none"), "split by this column's values (e.g. user) so no group is on both sides"),
        ParamSpec("test_fraction", .float, 0.2, "share of rows (or groups) in the test set", bounds: .strictlyBetween(0, 1)),
        ParamSpec("seed", .int, 0, "seed of the split"),
        ParamSpec("rounds", .int, 100, "gbdt: boosting rounds"),
        ParamSpec("learning_rate", .float, 0.1, "gbdt: shrinkage"),
        ParamSpec("max_leaf_nodes", .int, 31, "gbdt: leaves per tree"),
        ParamSpec("min_samples_leaf", .int, 20, "gbdt: smallest leaf"),
        ParamSpec("l2", .float, .computed("gbdt 0, logistic \(JSON.format(logisticL2))", { $0["model"] == .string("logistic") ? .float(logisticL2) : .float(0) }),
                  "gbdt: L2 penalty on leaf values; logistic: lambda on the squared standardised coefficients (mean log loss + lambda |b|^2; scikit-learn C = 1/(2 n lambda))"),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        var out: [ParamProblem] = []
        if p.splitColumn != nil && p.group != nil { out.append(ParamProblem(param: "group", "give either 'split_column' or 'group', not both")) }
        do { try boostingConfig(p).validate() } catch { out.append(ParamProblem(param: nil, "\(error)")) }
        out += ArtifactFiles.columnNameProblems(p.ids, param: "ids", file: "predictions.csv", written: ["label", "score"])
        return out
    }

    static func boostingConfig(_ p: Params) -> GradientBoosting.Config {
        GradientBoosting.Config(rounds: p.rounds, learningRate: p.learningRate, maxLeafNodes: p.maxLeafNodes, minSamplesLeaf: p.minSamplesLeaf,
                                l2: p.l2, seed: UInt64(bitPattern: Int64(p.seed)))
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        let input = try ArtifactFiles.soleInput(context, p.input, kind: name)
        let t = try ArtifactFiles.table(context, input: input, file: p.file)
        let excluded = Set([p.label] + p.ids + [p.group, p.splitColumn].compactMap { $0 })
        let features = p.features ?? t.names.filter { !excluded.contains($0) && t[$0]?.numbers != nil }
        guard !features.isEmpty else { throw KindError("no numeric feature columns in \(p.file) (columns: \(t.names.joined(separator: ", ")))") }
        for f in features where t[f]?.numbers == nil {
            throw KindError(t[f] == nil ? "no feature column '\(f)' in \(p.file)" : "feature column '\(f)' is not numeric")
        }
        let y = try t.numbers(p.label)
        let (train, test) = try split(t, p)
        guard !train.isEmpty, !test.isEmpty else { throw KindError("the split left \(train.count) training and \(test.count) test rows; need both") }
        let x = try t.matrix(features)
        let trained = try TrainedModel.fit(p, x: x.selectingRows(train), y: train.map { y[$0] }, features: features)
        let scores = try trained.predictProbability(x.selectingRows(test))
        var out = Table()
        for id in p.ids { out.append(id, .text(try t.texts(id).indicesSelected(test))) }
        out.append("label", .number(test.map { y[$0] }))
        out.append("score", .number(scores))
        try ArtifactFiles.write(out, context, "predictions.csv")
        try ArtifactFiles.writeJSON(trained, context, "model.json")
        try ArtifactFiles.write(Table([("feature", .text(features)), ("importance", .number(trained.importance))]), context, "importance.csv")
        try ArtifactFiles.writeMetrics(["train_rows": Double(train.count), "test_rows": Double(test.count), "features": Double(features.count),
                                        "final_training_loss": trained.trainingLoss], context)
    }

    /// Train and test row indices: by a split column, by group, or by row, seeded.
    static func split(_ t: Table, _ p: Params) throws -> ([Int], [Int]) {
        let seed = UInt64(bitPattern: Int64(p.seed))
        let s: TrainTestSplit
        if let c = p.splitColumn {
            s = try Split.byColumn(t, column: c)
        } else if let g = p.group {
            s = try Split.byGroup(t, column: g, testFraction: p.testFraction, seed: seed)
        } else {
            s = try Split.byGroup(Array(0..<t.rowCount), testFraction: p.testFraction, seed: seed)
        }
        return (s.train, s.test)
    }
}

/// What `train` writes as model.json: the model type and the model (readable JSON).
struct TrainedModel: Codable {
    var type: String
    var gbdt: GradientBoostingModel?
    var logistic: LogisticRegressionModel?

    static func fit(_ p: Train.Params, x: Matrix, y: [Double], features: [String]) throws -> TrainedModel {
        if p.model == "logistic" {
            var c = LogisticRegression.Config()
            c.l2 = p.l2
            return TrainedModel(type: "logistic", gbdt: nil, logistic: try LogisticRegression.fit(x: x, y: y, featureNames: features, config: c))
        }
        return TrainedModel(type: "gbdt", gbdt: try GradientBoosting.fit(x: x, y: y, featureNames: features, config: Train.boostingConfig(p)), logistic: nil)
    }

    var featureNames: [String] { gbdt?.featureNames ?? logistic?.featureNames ?? [] }

    func predictProbability(_ x: Matrix) throws -> [Double] {
        if let gbdt { return try gbdt.predictProbability(x) }
        if let logistic { return try logistic.predictProbability(x) }
        throw KindError("model.json holds no model")
    }

    /// gbdt: total gain share; logistic: |coefficient| x feature scale (the standardised effect), normalised.
    var importance: [Double] {
        if let gbdt { return gbdt.featureImportance }
        guard let m = logistic else { return [] }
        let raw = zip(m.coefficients, m.featureScales).map { abs($0 * $1) }
        let total = raw.reduce(0, +)
        return raw.map { total > 0 ? $0 / total : 0 }
    }

    var trainingLoss: Double { gbdt?.trainingLoss.last ?? logistic?.trainingLogLoss ?? .nan }
}

extension Array {
    func indicesSelected(_ idx: [Int]) -> [Element] { idx.map { self[$0] } }
}

/// `predict`: scores a table with a model trained by `train` -> predictions.csv (ids and score).
public enum Predict: TaskKind {
    public struct Params: Decodable, Sendable {
        public var model: String
        public var input: String
        public var file: String
        public var ids: [String]
    }

    public static let name = "predict"
    public static let version = 1
    public static let summary = "Scores FILE of the needed task INPUT with the model of the needed task MODEL (a train task) -> predictions.csv."
    public static let params = [
        ParamSpec("model", .string, .required, "the needed train task whose model.json to use"),
        ParamSpec("input", .string, .required, "the needed task with the table to score"),
        ParamSpec("file", .string, "sessions.csv", "the table in INPUT; it must have the model's feature columns"),
        ParamSpec("ids", .strings, .value(.list([])), "id columns copied into predictions.csv"),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        ArtifactFiles.columnNameProblems(p.ids, param: "ids", file: "predictions.csv", written: ["score"])
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        let model = try ArtifactFiles.readJSON(TrainedModel.self, try ArtifactFiles.path(context, input: p.model, file: "model.json"))
        let t = try ArtifactFiles.table(context, input: p.input, file: p.file)
        let features = model.featureNames
        let missing = features.filter { t[$0] == nil }
        guard missing.isEmpty else {
            throw KindError("\(p.input)/\(p.file) lacks the model's feature columns: \(missing.joined(separator: ", ")) (it has: \(t.names.joined(separator: ", ")))")
        }
        let scores = try model.predictProbability(try t.matrix(features))
        var out = Table()
        for id in p.ids { out.append(id, .text(try t.texts(id))) }
        out.append("score", .number(scores))
        try ArtifactFiles.write(out, context, "predictions.csv")
        try ArtifactFiles.writeMetrics(["rows": Double(t.rowCount), "mean_score": scores.reduce(0, +) / Double(max(1, scores.count))], context)
    }
}
