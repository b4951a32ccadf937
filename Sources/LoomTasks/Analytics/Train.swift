import Foundation
import LoomAnalytics
import LoomCore

/// `train`: a binary classifier on any table. Writes model.json (readable), predictions.csv (the
/// test rows: ids, label, score), importance.csv, and counts and the final training loss as metrics.
public enum Train: TaskKind {
    public struct Params: Codable, Equatable, Sendable {
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
        public var l2: Double?

        public init(from d: Decoder) throws {
            let c = try d.container(keyedBy: AnyKey.self)
            func opt<T: Decodable>(_ k: String, _ t: T.Type) throws -> T? { try c.decodeIfPresent(t, forKey: AnyKey(k)) }
            input = try opt("input", String.self)
            file = try opt("file", String.self) ?? "sessions.csv"
            label = try c.decode(String.self, forKey: AnyKey("label"))
            features = try opt("features", [String].self)
            ids = try opt("ids", [String].self) ?? []
            model = try opt("model", String.self) ?? "gbdt"
            splitColumn = try opt("split_column", String.self)
            group = try opt("group", String.self)
            testFraction = try opt("test_fraction", Double.self) ?? 0.2
            seed = try opt("seed", Int.self) ?? 0
            rounds = try opt("rounds", Int.self) ?? 100
            learningRate = try opt("learning_rate", Double.self) ?? 0.1
            maxLeafNodes = try opt("max_leaf_nodes", Int.self) ?? 31
            minSamplesLeaf = try opt("min_samples_leaf", Int.self) ?? 20
            l2 = try opt("l2", Double.self)
        }
        public func encode(to e: Encoder) throws {}
    }

    public static let name = "train"
    public static let version = 1
    public static let summary = "Trains a binary classifier (gbdt: histogram gradient boosting; logistic: L2-regularised logistic regression) on a table; test-set predictions, model.json and feature importance."
    public static let params = [
        ParamDoc("input", "string", default: "the only need", "the needed task with the table"),
        ParamDoc("file", "string", default: "sessions.csv", "the table in INPUT"),
        ParamDoc("label", "string", "the 0/1 label column"),
        ParamDoc("features", "list", default: "all numeric columns but label, ids, group, split", "feature columns"),
        ParamDoc("ids", "list", default: "[]", "id columns copied into predictions.csv"),
        ParamDoc("model", "string", default: "gbdt", "gbdt or logistic"),
        ParamDoc("split_column", "string", default: "none", "a column whose value 'test' marks test rows (others train)"),
        ParamDoc("group", "string", default: "none", "split by this column's values (e.g. user) so no group is on both sides"),
        ParamDoc("test_fraction", "float", default: "0.2", "share of rows (or groups) in the test set"),
        ParamDoc("seed", "int", default: "0", "seed of the split"),
        ParamDoc("rounds", "int", default: "100", "gbdt: boosting rounds"),
        ParamDoc("learning_rate", "float", default: "0.1", "gbdt: shrinkage"),
        ParamDoc("max_leaf_nodes", "int", default: "31", "gbdt: leaves per tree"),
        ParamDoc("min_samples_leaf", "int", default: "20", "gbdt: smallest leaf"),
        ParamDoc("l2", "float", default: "gbdt 0, logistic 1e-4", "gbdt: L2 penalty on leaf values; logistic: lambda on the squared standardised coefficients (mean log loss + lambda |b|^2; scikit-learn C = 1/(2 n lambda))"),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        var out: [ParamProblem] = []
        if !["gbdt", "logistic"].contains(p.model) { out.append(ParamProblem(param: "model", "param 'model' must be gbdt or logistic, got '\(p.model)'")) }
        if !(p.testFraction > 0 && p.testFraction < 1) { out.append(ParamProblem(param: "test_fraction", "param 'test_fraction' must be between 0 and 1, got \(p.testFraction)")) }
        if p.splitColumn != nil && p.group != nil { out.append(ParamProblem(param: "group", "give either 'split_column' or 'group', not both")) }
        do { try boostingConfig(p).validate() } catch { out.append(ParamProblem(param: nil, "\(error)")) }
        out += ArtifactFiles.columnNameProblems(p.ids, param: "ids", file: "predictions.csv", written: ["label", "score"])
        return out
    }

    static func boostingConfig(_ p: Params) -> GradientBoosting.Config {
        GradientBoosting.Config(rounds: p.rounds, learningRate: p.learningRate, maxLeafNodes: p.maxLeafNodes, minSamplesLeaf: p.minSamplesLeaf,
                                l2: p.l2 ?? 0, seed: UInt64(bitPattern: Int64(p.seed)))
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
            if let l2 = p.l2 { c.l2 = l2 }
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
    public struct Params: Codable, Equatable, Sendable {
        public var model: String
        public var input: String
        public var file: String
        public var ids: [String]
        public init(from d: Decoder) throws {
            let c = try d.container(keyedBy: AnyKey.self)
            model = try c.decode(String.self, forKey: AnyKey("model"))
            input = try c.decode(String.self, forKey: AnyKey("input"))
            file = try c.decodeIfPresent(String.self, forKey: AnyKey("file")) ?? "sessions.csv"
            ids = try c.decodeIfPresent([String].self, forKey: AnyKey("ids")) ?? []
        }
        public func encode(to e: Encoder) throws {}
    }

    public static let name = "predict"
    public static let version = 1
    public static let summary = "Scores FILE of the needed task INPUT with the model of the needed task MODEL (a train task) -> predictions.csv."
    public static let params = [
        ParamDoc("model", "string", "the needed train task whose model.json to use"),
        ParamDoc("input", "string", "the needed task with the table to score"),
        ParamDoc("file", "string", default: "sessions.csv", "the table in INPUT; it must have the model's feature columns"),
        ParamDoc("ids", "list", default: "[]", "id columns copied into predictions.csv"),
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
