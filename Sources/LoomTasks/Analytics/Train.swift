import Foundation
import LoomAnalytics
import LoomCore

/// `train`: a binary classifier (gbdt, logistic, random_forest) or a regression (gbdt, random_forest,
/// linear) on any table. Writes model.json (readable), predictions.csv (the test rows: ids, label and
/// score for a classifier, prediction for a regression), importance.csv, and counts and the final
/// training loss as metrics (a regression also its test RMSE, MAE and R^2).
/// (random_forest, linear and objective came without a version bump: every param they added has a
/// legacy value under which train writes the same bytes as before, and model.json's new fields are
/// left out when nil.)
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
        public var tolerance: Double?
        public var objective: String
        public var trees: Int?
        public var maxFeatures: String?
        public var bootstrap: Bool?
        public var maxDepth: Int?
        public var cvFolds: Int?
        public var threshold: Double
        public var validationFraction: Double?
        public var permutationRepeats: Int
        public var earlyStoppingRounds: Int?
        public var impute: String
        public var imputeValue: Double
        public var categorical: [String]
        public var projectFile: String?
        public var split: String
        public var trainRows: Int?
        public var trainValue: String
        public var testValue: String
        enum CodingKeys: String, CodingKey {
            case input, file, label, features, ids, model, splitColumn = "split_column", group, testFraction = "test_fraction", seed, rounds,
                 learningRate = "learning_rate", maxLeafNodes = "max_leaf_nodes", minSamplesLeaf = "min_samples_leaf", l2, c = "C", tolerance,
                 projectFile = "project_file", split, trainRows = "train_rows", trainValue = "train_value", testValue = "test_value",
                 objective, trees, maxFeatures = "max_features", bootstrap, maxDepth = "max_depth", cvFolds = "cv_folds", threshold,
                 validationFraction = "validation_fraction", permutationRepeats = "permutation_repeats", earlyStoppingRounds = "early_stopping_rounds",
                 impute, imputeValue = "impute_value", categorical
        }
    }

    public static let name = "train"
    /// 2: logistic sums its gradient, Hessian and objective per chunk of 4,096 rows on all cores and adds
    /// the chunks in order, so a fit on more than 4,096 rows can differ from version 1 in the last bits
    /// (the same bits on any thread count; gbdt, random_forest and linear are unchanged).
    public static let version = 2
    public static let summary = "Trains a binary classifier (gbdt: histogram gradient boosting; logistic: L2-regularised logistic regression; random_forest) or a regression (gbdt, random_forest, linear) on a table (a needed task's or a project file); test-set predictions, model.json and feature importance."
    /// The logistic penalty's and tolerance's defaults are `LogisticRegression.Config`'s, declared there once.
    static let logisticL2 = LogisticRegression.Config().l2
    static let logisticTolerance = LogisticRegression.Config().tolerance
    /// The forest's defaults are `RandomForest.Config`'s, declared there once.
    static let forest = RandomForest.Config()
    public static let params = [
        ParamSpec.soleInput("the needed task with the table"),
        ParamSpec("file", .string, "sessions.csv", "the table in INPUT"),
        ParamSpec("label", .string, .required, "the label column: 0/1 for a classifier, any finite number for a regression"),
        ParamSpec("objective", .string, "classification", "classification: a 0/1 label, scores are probabilities; regression: a numeric target (squared error)",
                  choices: ["classification", "regression"], legacy: .string("classification")),
        ParamSpec("features", .strings, .unset("all numeric columns but label, ids, group, split"), "feature columns"),
        ParamSpec("ids", .strings, .value(.list([])), "id columns copied into predictions.csv"),
        ParamSpec("categorical", .strings, .value(.list([])),
                  "text columns one-hot encoded as features (column=level, levels seen on the fitted rows, sorted; another or empty value is 0 in all), saved in model.json for predict",
                  legacy: .list([])),
        ParamSpec("impute", .string, "none",
                  "missing numeric feature values (empty fields): none (trees send them down a learned side; logistic and linear refuse them), or filled with the fitted rows' median or mean, or impute_value; saved in model.json for predict",
                  choices: Preprocessing.Imputation.allCases.map(\.rawValue), legacy: .string("none")),
        ParamSpec("impute_value", .float, 0, "impute constant: the fill value", legacy: .float(0)),
        ParamSpec("model", .string, "gbdt", "gbdt: histogram gradient boosting (log loss, or squared error for a regression); logistic: L2-regularised logistic regression (classification); "
                  + "random_forest: bagged trees on the same histogram grower, features subsampled at every split; linear: least squares, ridge with l2 (regression)",
                  choices: ["gbdt", "logistic", "random_forest", "linear"]),
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
        ParamSpec("rounds", .int, 100, "gbdt: boosting rounds (random_forest takes trees)"),
        ParamSpec("learning_rate", .float, 0.1, "gbdt: shrinkage"),
        ParamSpec("max_leaf_nodes", .int, .computed("gbdt 31, random_forest \(forest.maxLeafNodes)", { p in
                      .int(p["model"] == .string("random_forest") ? forest.maxLeafNodes : 31)
                  }), "gbdt, random_forest: leaves per tree (grown best-first)"),
        ParamSpec("min_samples_leaf", .int, .computed("gbdt 20, random_forest \(forest.minSamplesLeaf)", { p in
                      .int(p["model"] == .string("random_forest") ? forest.minSamplesLeaf : 20)
                  }), "gbdt, random_forest: smallest leaf (random_forest: bootstrap repeats count)"),
        ParamSpec("max_depth", .int, .unset("none"), "gbdt, random_forest: deepest split level (the root is depth 0)", bounds: .atLeast(1), legacy: .null),
        ParamSpec("trees", .int, .unset("random_forest: \(forest.trees)"), "random_forest: trees in the forest", bounds: .atLeast(1), legacy: .null),
        ParamSpec("max_features", .string, .unset("random_forest: sqrt"),
                  "random_forest: features each split considers, drawn afresh at every split: sqrt (floor of the square root of the feature count, scikit-learn's default for classifiers), log2, all, or a count",
                  legacy: .null, check: { v in
                      if case .string(let s) = v, RandomForest.MaxFeatures(text: s) == nil { return "must be sqrt, log2, all or a positive integer, got '\(s)'" }
                      return nil
                  }),
        ParamSpec("bootstrap", .bool, .unset("random_forest: true"), "random_forest: each tree on a bootstrap sample of the training rows (seeded); false: every tree on every row",
                  legacy: .null),
        ParamSpec("l2", .float, .computed("gbdt 0, linear 0, logistic \(JSON.format(logisticL2)) (none when C is given)", { p in
                      p["model"] == .string("logistic") ? (p["C"] != nil && p["C"] != .null ? .null : .float(logisticL2)) : .float(0)
                  }),
                  "gbdt: L2 penalty on leaf values; logistic: lambda on the squared standardised coefficients (mean log loss + lambda |b|^2; scikit-learn C = 1/(2 n lambda)); "
                  + "linear: ridge lambda (mean squared error + lambda |b|^2 on standardised features; scikit-learn Ridge alpha = n lambda)"),
        ParamSpec("cv_folds", .int, .unset("none"),
                  "k-fold cross-validation on the training rows (test rows stay out): folds by group when given, else stratified by label (classification), seeded; "
                  + "writes cv.csv and each metric's mean and standard deviation as cv.METRIC_mean, cv.METRIC_sd (impute fill values and one-hot levels come from all training rows, not per fold)",
                  bounds: .atLeast(2), legacy: .null),
        ParamSpec("threshold", .float, 0.5, "classification: the score at or above which a row counts as positive in the metrics train writes (cross-validation)",
                  bounds: .between(0, 1), legacy: .float(0.5)),
        ParamSpec("validation_fraction", .float, .unset("none"),
                  "share of all rows (or groups) held out of fitting as validation rows, taken from the training side as test rows are (ordered: its last rows; "
                  + "seeded by seed + 1); a classifier's decision threshold is chosen there (the score maximising F1), saved in model.json for evaluate's chosen_threshold. "
                  + "test_fraction 0.15 with validation_fraction 0.15 is a 70/15/15 split",
                  bounds: .strictlyBetween(0, 1), legacy: .null),
        ParamSpec("early_stopping_rounds", .int, .unset("none: every round"),
                  "gbdt with validation_fraction: stop once the validation loss has not improved for this many rounds, and keep the rounds up to its minimum (the validation rows then also choose the threshold)",
                  bounds: .atLeast(1), legacy: .null),
        ParamSpec("permutation_repeats", .int, 0,
                  "permutation importance on the test rows: shuffles of each feature (seeded); importance.csv gains permutation (mean drop of AUC, or rise of RMSE) and permutation_sd; 0: none",
                  bounds: .atLeast(0), legacy: .int(0)),
        ParamSpec("C", .float, .unset("none: use l2"), "logistic: inverse penalty as scikit-learn's LogisticRegression(C) on standardised features (C x summed log loss + |b|^2 / 2, so lambda = 1/(2 C n), n the training rows)",
                  bounds: .above(0), legacy: .null),
        ParamSpec("tolerance", .float, .unset("logistic: \(JSON.format(logisticTolerance))"),
                  "logistic: the Newton solver stops once the largest component of the objective's gradient (mean log loss + penalty, on standardised features) "
                  + "is at most this, or the Newton decrement's predicted decrease at most its square; scikit-learn's lbfgs stops on the same gradient norm at its tol (default 1e-4)",
                  bounds: .above(0), legacy: .null, check: { v in
                      if case .float(let x) = v, !x.isFinite { return "must be a finite number, got \(v.canonical)" }
                      return nil
                  }),
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
        if let v = p.validationFraction, p.splitColumn == nil, p.trainRows == nil, v + p.testFraction >= 1 {
            out.append(ParamProblem(param: "validation_fraction", "validation_fraction \(JSON.format(v)) and test_fraction \(JSON.format(p.testFraction)) leave no training rows; their sum must be below 1"))
        }
        for c in p.categorical where (p.features ?? []).contains(c) || c == p.label {
            out.append(ParamProblem(param: "categorical", "column '\(c)' is in categorical and also \(c == p.label ? "the label" : "in features"); categorical columns are encoded as features on their own"))
        }
        if p.earlyStoppingRounds != nil {
            if p.model != "gbdt" { out.append(ParamProblem(param: "early_stopping_rounds", "param 'early_stopping_rounds' is for model: gbdt")) }
            if p.validationFraction == nil { out.append(ParamProblem(param: "early_stopping_rounds", "param 'early_stopping_rounds' needs validation_fraction (the rows whose loss it watches)")) }
        }
        if p.projectFile != nil && p.input != nil {
            out.append(ParamProblem(param: "project_file", "give either 'project_file' (a project CSV) or 'input' (a needed task), not both"))
        }
        if p.tolerance != nil && p.model != "logistic" {
            out.append(ParamProblem(param: "tolerance", "param 'tolerance' is for model: logistic (the Newton solver's stopping rule)"))
        }
        if p.c != nil {
            if p.model != "logistic" { out.append(ParamProblem(param: "C", "param 'C' is for model: logistic (gbdt takes l2)")) }
            if p.l2 != nil && p.model == "logistic" { out.append(ParamProblem(param: "C", "give either 'C' or 'l2', not both (C = 1/(2 n l2))")) }
        }
        if p.objective == "regression" && p.model == "logistic" {
            out.append(ParamProblem(param: "model", "model: logistic is a classifier; objective: regression takes linear, gbdt or random_forest"))
        }
        if p.objective == "classification" && p.model == "linear" {
            out.append(ParamProblem(param: "model", "model: linear is a regression (objective: regression); a 0/1 label takes logistic"))
        }
        if p.model != "random_forest" {
            for (name, given) in [("trees", p.trees != nil), ("max_features", p.maxFeatures != nil), ("bootstrap", p.bootstrap != nil)] where given {
                out.append(ParamProblem(param: name, "param '\(name)' is for model: random_forest (gbdt takes rounds)"))
            }
        }
        if p.maxDepth != nil && (p.model == "logistic" || p.model == "linear") {
            out.append(ParamProblem(param: "max_depth", "param 'max_depth' is for the tree models (gbdt, random_forest)"))
        }
        do {
            if p.model == "random_forest" { try forestConfig(p).validate() } else { try boostingConfig(p).validate() }
        } catch { out.append(ParamProblem(param: nil, "\(error)")) }
        out += ArtifactFiles.columnNameProblems(p.ids, param: "ids", file: "predictions.csv", written: ["label", p.objective == "regression" ? "prediction" : "score"])
        return out
    }

    static func boostingConfig(_ p: Params) -> GradientBoosting.Config {
        GradientBoosting.Config(rounds: p.rounds, learningRate: p.learningRate, maxLeafNodes: p.maxLeafNodes, maxDepth: p.maxDepth, minSamplesLeaf: p.minSamplesLeaf,
                                l2: p.l2 ?? 0, seed: UInt64(bitPattern: Int64(p.seed)), loss: p.objective == "regression" ? .squaredError : nil,
                                earlyStoppingRounds: p.earlyStoppingRounds)
    }

    static func forestConfig(_ p: Params) -> RandomForest.Config {
        RandomForest.Config(trees: p.trees ?? forest.trees, maxLeafNodes: p.maxLeafNodes, maxDepth: p.maxDepth, minSamplesLeaf: p.minSamplesLeaf,
                            maxFeatures: p.maxFeatures.flatMap(RandomForest.MaxFeatures.init(text:)) ?? forest.maxFeatures,
                            bootstrap: p.bootstrap ?? forest.bootstrap, seed: UInt64(bitPattern: Int64(p.seed)))
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        var clock = StageClock()
        // A project file (hashed into the key as a declared file), or FILE of the needed task.
        let input = try p.projectFile == nil ? ArtifactFiles.soleInput(context, p.input, kind: name) : nil
        let source = input.map { "\($0)/\(p.file)" } ?? p.projectFile ?? p.file
        var types: [String: CSV.ColumnType] = p.splitColumn.map { [$0: .text] } ?? [:]
        for c in p.categorical { types[c] = .text }
        // Named features: only the columns train uses are read (a wide table's others are passed
        // over). Without, every numeric column but these is a feature, so every column is read.
        let excluded = Set([p.label] + p.ids + p.categorical + [p.group, p.splitColumn].compactMap { $0 })
        let used = p.features.map { excluded.union($0) }
        let (t, header) = try ArtifactFiles.table(context, input: input, file: p.projectFile ?? p.file, columns: used, types: types)
        // A column the file lacks, reported with every column of the file (not only those read).
        func require(_ name: String) throws {
            if t[name] == nil { throw AnalyticsError.missingColumn(name: name, available: header) }
        }
        for c in p.categorical where t[c] == nil {
            throw KindError("param 'categorical': \(AnalyticsError.missingColumn(name: c, available: header))")
        }
        var features = p.features ?? t.names.filter { !excluded.contains($0) && t[$0]?.numbers != nil }
        guard !features.isEmpty else { throw KindError("no numeric feature columns in \(source) (columns: \(header.joined(separator: ", ")))") }
        for f in features where t[f]?.numbers == nil {
            throw KindError(t[f] == nil ? "no feature column '\(f)' in \(source)" : "feature column '\(f)' is not numeric")
        }
        clock.mark("read")
        try require(p.label)
        let y = try t.numbers(p.label)
        let (trainSide, test) = try split(t, p, source: source, header: header)
        guard !trainSide.isEmpty, !test.isEmpty else { throw KindError("the split left \(trainSide.count) training and \(test.count) test rows; need both") }
        // With validation_fraction the training side is split again: the model is fitted on `train` only.
        let (train, validation) = p.validationFraction == nil ? (trainSide, []) : try validationSplit(t, p, trainSide: trainSide)
        // Imputation and one-hot levels are fitted on the rows the model is fitted on, and saved with it.
        let preprocessing = p.impute == "none" && p.categorical.isEmpty ? nil
            : try Preprocessing.fit(t, rows: train, numeric: features, categorical: p.categorical,
                                    imputation: Preprocessing.Imputation(rawValue: p.impute) ?? .none, constant: p.imputeValue)
        // The features of any rows, made from the table's columns when needed: the fit's rows are
        // never copied out of a matrix of every row (at 3.5 million rows that matrix and its copy
        // were 1.8 of train's 3 GB).
        var x = try preprocessing.map { try TableFeatures(t, preprocessing: $0) } ?? TableFeatures(t, numeric: features)
        if let preprocessing { features = preprocessing.featureNames }
        var metrics: [String: Double] = [:]
        if p.model == "logistic" || p.model == "linear" {
            // A column constant on the training rows cannot be standardised: left out, with a warning.
            let constant = LogisticRegression.constantColumns(x.columns(rows: train))
            if !constant.isEmpty {
                let names = constant.map { features[$0] }
                context.log("warning: left out \(names.count) feature column(s) constant on the training rows: \(names.joined(separator: ", "))")
                let kept = features.indices.filter { !constant.contains($0) }
                features = kept.map { features[$0] }
                guard !features.isEmpty else { throw KindError("every feature column is constant on the training rows (\(names.joined(separator: ", "))); nothing to fit") }
                x = x.keeping(kept)
                metrics["constant_features_dropped"] = Double(names.count)
            }
        }
        clock.mark("prepare")
        let validationRows = validation.isEmpty ? nil : (x: x.matrix(rows: validation), y: validation.map { y[$0] })
        var trained = try Parallel.limited(to: context.cpus) {
            try TrainedModel.fit(p, x: x, rows: train, y: train.map { y[$0] }, features: features, validation: validationRows)
        }
        trained.preprocessing = preprocessing
        clock.mark("fit")
        if p.earlyStoppingRounds != nil, let g = trained.gbdt, let v = g.validationLoss {
            metrics["rounds_kept"] = Double(g.trees.count)
            metrics["rounds_grown"] = Double(v.count - 1)
            metrics["validation.best_loss"] = v[g.trees.count]
        }
        if let validationRows {
            metrics.merge(try scoreValidation(&trained, x: validationRows.x, y: validationRows.y)) { a, _ in a }
        }
        let testX = x.matrix(rows: test)
        let scores = try trained.predict(testX)
        clock.mark("predict")
        var out = Table()
        for id in p.ids {
            try require(id)
            out.append(id, .text(try t.texts(id).indicesSelected(test)))
        }
        out.append("label", .number(test.map { y[$0] }))
        out.append(trained.isRegression ? "prediction" : "score", .number(scores))
        try ArtifactFiles.write(out, context, "predictions.csv")
        try ArtifactFiles.writeJSON(trained, context, "model.json")
        var importance = Table([("feature", .text(features)), ("importance", .number(trained.importance))])
        if p.permutationRepeats > 0 {
            let yt = test.map { y[$0] }, model = trained
            let permuted = try PermutationImportance.compute(x: testX, repeats: p.permutationRepeats, seed: UInt64(bitPattern: Int64(p.seed))) {
                (m: Matrix) throws -> Double in
                let s = try model.predict(m)
                if model.isRegression { return -(try RegressionMetrics.evaluate(targets: yt, predictions: s).rootMeanSquaredError) }
                return try ClassifierMetrics.auc(labels: yt, scores: s)
            }
            importance.append("permutation", .number(permuted.map(\.mean)))
            importance.append("permutation_sd", .number(permuted.map(\.sd)))
        }
        try ArtifactFiles.write(importance, context, "importance.csv")
        if !validation.isEmpty { metrics["validation_rows"] = Double(validation.count) }
        metrics.merge(["train_rows": Double(train.count), "test_rows": Double(test.count), "features": Double(features.count),
                       "final_training_loss": trained.trainingLoss]) { a, _ in a }
        if let k = p.cvFolds {
            metrics.merge(try crossValidate(p, k: k, table: t, x: x, y: y, rows: train, features: features, validation: validationRows, context: context)) { a, _ in a }
        }
        if trained.isRegression {
            let r = try RegressionMetrics.evaluate(targets: test.map { y[$0] }, predictions: scores)
            metrics["test_rmse"] = r.rootMeanSquaredError
            metrics["test_mae"] = r.meanAbsoluteError
            if let r2 = r.r2 { metrics["test_r2"] = r2 }
        }
        try ArtifactFiles.writeMetrics(metrics, context)
        clock.mark("write")
        clock.log(context)
    }

    /// The training side split into rows to fit on and validation rows, the same way as the test rows
    /// were split off (by order, by group, or by row), seeded by seed + 1. validation_fraction is a share
    /// of all rows (or groups), so the share of the training side is validation_fraction / (1 - test_fraction)
    /// (with split_column or train_rows: validation_fraction x rows / training rows).
    static func validationSplit(_ t: Table, _ p: Params, trainSide: [Int]) throws -> ([Int], [Int]) {
        guard let v = p.validationFraction else { return (trainSide, []) }
        let share = p.splitColumn != nil || p.trainRows != nil ? v * Double(t.rowCount) / Double(trainSide.count) : v / (1 - p.testFraction)
        guard share > 0, share < 1 else {
            throw KindError("param 'validation_fraction' \(JSON.format(v)) asks for \(Int((v * Double(t.rowCount)).rounded())) validation rows, but the training side has only \(trainSide.count)")
        }
        let s: TrainTestSplit
        if p.split == "ordered" {
            s = try Split.byOrder(rows: trainSide.count, testFraction: share)
        } else if let g = p.group {
            s = try Split.byGroup(try t.texts(g).indicesSelected(trainSide), testFraction: share, seed: UInt64(bitPattern: Int64(p.seed)) &+ 1)
        } else {
            s = try Split.byGroup(Array(0..<trainSide.count), testFraction: share, seed: UInt64(bitPattern: Int64(p.seed)) &+ 1)
        }
        return (s.train.map { trainSide[$0] }, s.test.map { trainSide[$0] })
    }

    /// Scores the validation rows; a classifier's threshold is chosen there (maximum F1) and kept in the model.
    static func scoreValidation(_ model: inout TrainedModel, x: Matrix, y: [Double]) throws -> [String: Double] {
        let scores = try model.predict(x)
        if model.isRegression {
            let r = try RegressionMetrics.evaluate(targets: y, predictions: scores)
            return ["validation.rmse": r.rootMeanSquaredError, "validation.mae": r.meanAbsoluteError, "validation.r2": r.r2 ?? .nan]
        }
        let best: (threshold: Double, f1: Double)
        do { best = try ThresholdChoice.maximizingF1(labels: y, scores: scores) } catch {
            throw KindError("the validation rows (\(y.count)): \(error); use a larger validation_fraction")
        }
        model.threshold = best.threshold
        return ["validation.threshold": best.threshold, "validation.f1": best.f1, "validation.auc": try ClassifierMetrics.auc(labels: y, scores: scores)]
    }

    /// Train and test row indices: by row order, by a split column, by group, or by row, seeded.
    /// `header`: every column of the file (`t` may hold only those train reads), for errors.
    static func split(_ t: Table, _ p: Params, source: String, header: [String]) throws -> ([Int], [Int]) {
        let seed = UInt64(bitPattern: Int64(p.seed))
        let s: TrainTestSplit
        if p.split == "ordered" {
            if let n = p.trainRows, n >= t.rowCount {
                throw KindError("param 'train_rows' is \(n) but \(source) has \(t.rowCount) rows; it must be less, so that test rows remain")
            }
            s = try Split.byOrder(rows: t.rowCount, trainRows: p.trainRows, testFraction: p.testFraction)
        } else if let c = p.splitColumn {
            guard let values = t[c] else { throw KindError("param 'split_column': \(AnalyticsError.missingColumn(name: c, available: header))") }
            let texts = values.texts ?? []
            let other = Set(texts).subtracting([p.trainValue, p.testValue]).sorted()
            guard other.isEmpty else {
                let shown = other.prefix(5).map { "'\(CSV.excerpt($0))'" }.joined(separator: ", ") + (other.count > 5 ? ", and \(other.count - 5) more" : "")
                throw KindError("param 'split_column': column '\(c)' of \(source) holds \(shown) besides '\(p.trainValue)' (train_value) and '\(p.testValue)' (test_value); "
                                + "expected only those two values")
            }
            s = try Split.byValues(texts, column: c, trainValue: p.trainValue, testValue: p.testValue)
        } else if let g = p.group {
            if t[g] == nil { throw AnalyticsError.missingColumn(name: g, available: header) }
            s = try Split.byGroup(t, column: g, testFraction: p.testFraction, seed: seed)
        } else {
            s = try Split.byGroup(Array(0..<t.rowCount), testFraction: p.testFraction, seed: seed)
        }
        return (s.train, s.test)
    }
}
