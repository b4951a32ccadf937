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
        public var l2: Double?
        public var c: Double?
        public var projectFile: String?
        public var split: String
        public var trainRows: Int?
        public var trainValue: String
        public var testValue: String
        enum CodingKeys: String, CodingKey {
            case input, file, label, features, ids, model, splitColumn = "split_column", group, testFraction = "test_fraction", seed, rounds,
                 learningRate = "learning_rate", maxLeafNodes = "max_leaf_nodes", minSamplesLeaf = "min_samples_leaf", l2, c = "C",
                 projectFile = "project_file", split, trainRows = "train_rows", trainValue = "train_value", testValue = "test_value"
        }
    }

    public static let name = "train"
    public static let version = 1
    public static let summary = "Trains a binary classifier (gbdt: histogram gradient boosting; logistic: L2-regularised logistic regression) on a table (a needed task's or a project file); test-set predictions, model.json and feature importance."
    /// The logistic penalty's default is `LogisticRegression.Config`'s, declared there once.
    static let logisticL2 = LogisticRegression.Config().l2
    public static let params = [
        ParamSpec.soleInput("the needed task with the table"),
        ParamSpec("file", .string, "sessions.csv", "the table in INPUT"),
        ParamSpec("label", .string, .required, "the 0/1 label column"),
        ParamSpec("features", .strings, .unset("all numeric columns but label, ids, group, split"), "feature columns"),
        ParamSpec("ids", .strings, .value(.list([])), "id columns copied into predictions.csv"),
        ParamSpec("model", .string, "gbdt", "gbdt: histogram gradient boosting; logistic: L2-regularised logistic regression", choices: ["gbdt", "logistic"]),
        ParamSpec("project_file", .string, .unset("none: FILE of INPUT"), "a CSV in the project to train on instead of a needed task's FILE (hashed into the key like a files: entry)",
                  projectFile: .always, legacy: .null),
        ParamSpec("split", .string, "random", "random: rows (or groups, with group) shuffled by seed; ordered: the first rows train, the last test (time-ordered data)",
                  choices: ["random", "ordered"], legacy: .string("random")),
        ParamSpec("train_rows", .int, .unset("from test_fraction"), "split ordered: the first this many rows train, the rest test", bounds: .atLeast(1), legacy: .null),
        ParamSpec("split_column", .string, .unset("none"), "a column whose value test_value marks test rows and train_value training rows (no other value allowed)"),
        ParamSpec("train_value", .string, "train", "split_column's value of training rows", legacy: .string("train")),
        ParamSpec("test_value", .string, "test", "split_column's value of test rows", legacy: .string("test")),
        ParamSpec("group", .string, .unset("none"), "split by this column's values (e.g. user) so no group is on both sides"),
        ParamSpec("test_fraction", .float, 0.2, "share of rows (or groups) in the test set (ordered: the last ceil(share x rows) rows)", bounds: .strictlyBetween(0, 1)),
        ParamSpec("seed", .int, 0, "seed of the split"),
        ParamSpec("rounds", .int, 100, "gbdt: boosting rounds"),
        ParamSpec("learning_rate", .float, 0.1, "gbdt: shrinkage"),
        ParamSpec("max_leaf_nodes", .int, 31, "gbdt: leaves per tree"),
        ParamSpec("min_samples_leaf", .int, 20, "gbdt: smallest leaf"),
        ParamSpec("l2", .float, .computed("gbdt 0, logistic \(JSON.format(logisticL2)) (none when C is given)", { p in
                      p["model"] == .string("logistic") ? (p["C"] != nil && p["C"] != .null ? .null : .float(logisticL2)) : .float(0)
                  }),
                  "gbdt: L2 penalty on leaf values; logistic: lambda on the squared standardised coefficients (mean log loss + lambda |b|^2; scikit-learn C = 1/(2 n lambda))"),
        ParamSpec("C", .float, .unset("none: use l2"), "logistic: inverse penalty as scikit-learn's LogisticRegression(C) on standardised features (C x summed log loss + |b|^2 / 2, so lambda = 1/(2 C n), n the training rows)",
                  bounds: .above(0), legacy: .null),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        var out: [ParamProblem] = []
        if p.splitColumn != nil && p.group != nil { out.append(ParamProblem(param: "group", "give either 'split_column' or 'group', not both")) }
        if p.split == "ordered" {
            for (name, v) in [("split_column", p.splitColumn), ("group", p.group)] where v != nil {
                out.append(ParamProblem(param: name, "param '\(name)' does not go with split: ordered (the order of the rows decides)"))
            }
        } else if p.trainRows != nil {
            out.append(ParamProblem(param: "train_rows", "param 'train_rows' needs split: ordered (the first train_rows rows train)"))
        }
        if p.trainValue == p.testValue {
            out.append(ParamProblem(param: "test_value", "params 'train_value' and 'test_value' are both '\(p.testValue)'; they must differ"))
        }
        if p.projectFile != nil && p.input != nil {
            out.append(ParamProblem(param: "project_file", "give either 'project_file' (a project CSV) or 'input' (a needed task), not both"))
        }
        if p.c != nil {
            if p.model != "logistic" { out.append(ParamProblem(param: "C", "param 'C' is for model: logistic (gbdt takes l2)")) }
            if p.l2 != nil && p.model == "logistic" { out.append(ParamProblem(param: "C", "give either 'C' or 'l2', not both (C = 1/(2 n l2))")) }
        }
        do { try boostingConfig(p).validate() } catch { out.append(ParamProblem(param: nil, "\(error)")) }
        out += ArtifactFiles.columnNameProblems(p.ids, param: "ids", file: "predictions.csv", written: ["label", "score"])
        return out
    }

    static func boostingConfig(_ p: Params) -> GradientBoosting.Config {
        GradientBoosting.Config(rounds: p.rounds, learningRate: p.learningRate, maxLeafNodes: p.maxLeafNodes, minSamplesLeaf: p.minSamplesLeaf,
                                l2: p.l2 ?? 0, seed: UInt64(bitPattern: Int64(p.seed)))
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        // A project file (hashed into the key as a declared file), or FILE of the needed task.
        let input = try p.projectFile == nil ? ArtifactFiles.soleInput(context, p.input, kind: name) : nil
        let source = input.map { "\($0)/\(p.file)" } ?? p.projectFile ?? p.file
        let t = try ArtifactFiles.table(context, input: input, file: p.projectFile ?? p.file, types: p.splitColumn.map { [$0: .text] } ?? [:])
        let excluded = Set([p.label] + p.ids + [p.group, p.splitColumn].compactMap { $0 })
        var features = p.features ?? t.names.filter { !excluded.contains($0) && t[$0]?.numbers != nil }
        guard !features.isEmpty else { throw KindError("no numeric feature columns in \(source) (columns: \(t.names.joined(separator: ", ")))") }
        for f in features where t[f]?.numbers == nil {
            throw KindError(t[f] == nil ? "no feature column '\(f)' in \(source)" : "feature column '\(f)' is not numeric")
        }
        let y = try t.numbers(p.label)
        let (train, test) = try split(t, p, source: source)
        guard !train.isEmpty, !test.isEmpty else { throw KindError("the split left \(train.count) training and \(test.count) test rows; need both") }
        var x = try t.matrix(features)
        var metrics: [String: Double] = [:]
        if p.model == "logistic" {
            // A column constant on the training rows cannot be standardised: left out, with a warning.
            let constant = LogisticRegression.constantColumns(x.selectingRows(train))
            if !constant.isEmpty {
                let names = constant.map { features[$0] }
                context.log("warning: left out \(names.count) feature column(s) constant on the training rows: \(names.joined(separator: ", "))")
                features = features.enumerated().filter { !constant.contains($0.offset) }.map(\.element)
                guard !features.isEmpty else { throw KindError("every feature column is constant on the training rows (\(names.joined(separator: ", "))); nothing to fit") }
                x = try t.matrix(features)
                metrics["constant_features_dropped"] = Double(names.count)
            }
        }
        let trained = try Parallel.limited(to: context.cpus) {
            try TrainedModel.fit(p, x: x.selectingRows(train), y: train.map { y[$0] }, features: features)
        }
        let scores = try trained.predictProbability(x.selectingRows(test))
        var out = Table()
        for id in p.ids { out.append(id, .text(try t.texts(id).indicesSelected(test))) }
        out.append("label", .number(test.map { y[$0] }))
        out.append("score", .number(scores))
        try ArtifactFiles.write(out, context, "predictions.csv")
        try ArtifactFiles.writeJSON(trained, context, "model.json")
        try ArtifactFiles.write(Table([("feature", .text(features)), ("importance", .number(trained.importance))]), context, "importance.csv")
        metrics.merge(["train_rows": Double(train.count), "test_rows": Double(test.count), "features": Double(features.count),
                       "final_training_loss": trained.trainingLoss]) { a, _ in a }
        try ArtifactFiles.writeMetrics(metrics, context)
    }

    /// Train and test row indices: by row order, by a split column, by group, or by row, seeded.
    static func split(_ t: Table, _ p: Params, source: String) throws -> ([Int], [Int]) {
        let seed = UInt64(bitPattern: Int64(p.seed))
        let s: TrainTestSplit
        if p.split == "ordered" {
            if let n = p.trainRows, n >= t.rowCount {
                throw KindError("param 'train_rows' is \(n) but \(source) has \(t.rowCount) rows; it must be less, so that test rows remain")
            }
            s = try Split.byOrder(rows: t.rowCount, trainRows: p.trainRows, testFraction: p.testFraction)
        } else if let c = p.splitColumn {
            guard let values = t[c] else { throw KindError("param 'split_column': \(AnalyticsError.missingColumn(name: c, available: t.names))") }
            let texts = values.texts ?? []
            let other = Set(texts).subtracting([p.trainValue, p.testValue]).sorted()
            guard other.isEmpty else {
                let shown = other.prefix(5).map { "'\(CSV.excerpt($0))'" }.joined(separator: ", ") + (other.count > 5 ? ", and \(other.count - 5) more" : "")
                throw KindError("param 'split_column': column '\(c)' of \(source) holds \(shown) besides '\(p.trainValue)' (train_value) and '\(p.testValue)' (test_value); "
                                + "expected only those two values")
            }
            s = try Split.byValues(texts, column: c, trainValue: p.trainValue, testValue: p.testValue)
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
            // scikit-learn minimises C sum(log loss) + |b|^2 / 2; divided by C n that is this fit's
            // mean log loss + |b|^2 / (2 C n).
            c.l2 = p.c.map { 1 / (2 * $0 * Double(y.count)) } ?? p.l2 ?? LogisticRegression.Config().l2
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
