import Foundation
import LoomAnalytics
import LoomCore

/// `predict`: scores a table with a model trained by `train` -> predictions.csv (ids and score, or
/// prediction for a regression). The table is a needed task's FILE or a project CSV (`project_file`,
/// new customers, say); it is prepared as the training table was: the same numeric columns with the
/// same missing-value fill, the same one-hot levels (model.json's preprocessing).
/// (project_file came without a version bump: tasks without it read and write what they did.)
public enum Predict: TaskKind {
    public struct Params: Decodable, Sendable {
        public var model: String
        public var input: String?
        public var file: String
        public var ids: [String]
        public var projectFile: String?
        enum CodingKeys: String, CodingKey { case model, input, file, ids, projectFile = "project_file" }
    }

    public static let name = "predict"
    public static let version = 1
    public static let summary = "Scores FILE of the needed task INPUT, or a project CSV (project_file), with the model of the needed task MODEL (a train task), its imputation and one-hot levels -> predictions.csv."
    public static let params = [
        ParamSpec("model", .string, .required, "the needed train task whose model.json to use"),
        ParamSpec("input", .string, .unset("none: project_file"), "the needed task with the table to score"),
        ParamSpec("file", .string, "sessions.csv", "the table in INPUT; it must have the model's feature columns"),
        ParamSpec("ids", .strings, .value(.list([])), "id columns copied into predictions.csv"),
        ParamSpec("project_file", .string, .unset("none: FILE of INPUT"),
                  "a CSV in the project to score instead of a needed task's FILE (new customers; hashed into the key like a files: entry); it must have the model's columns",
                  projectFile: .always, legacy: .null),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        // A classifier's scores are "score", a regression's "prediction"; which one is known only at run time.
        var out = ArtifactFiles.columnNameProblems(p.ids, param: "ids", file: "predictions.csv", written: ["score", "prediction"])
        if (p.input == nil) == (p.projectFile == nil) {
            out.append(ParamProblem(param: p.input == nil ? nil : "project_file", "give either 'input' (a needed task's FILE) or 'project_file' (a project CSV), one of them"))
        }
        return out
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        let model = try ArtifactFiles.readJSON(TrainedModel.self, try ArtifactFiles.path(context, input: p.model, file: "model.json"))
        let source = p.projectFile ?? "\(p.input ?? "")/\(p.file)"
        let types = Dictionary(uniqueKeysWithValues: (model.preprocessing?.categorical.map(\.column) ?? []).map { ($0, CSV.ColumnType.text) })
        let t = try ArtifactFiles.table(context, input: p.input, file: p.projectFile ?? p.file, types: types)
        let x: Matrix
        if let pre = model.preprocessing {
            // The prepared columns, then the ones the model kept (logistic and linear leave out columns constant in training).
            let needed = pre.numeric + pre.categorical.map(\.column)
            let missing = needed.filter { t[$0] == nil }
            guard missing.isEmpty else {
                throw KindError("\(source) lacks the model's columns: \(missing.joined(separator: ", ")) (it has: \(t.names.joined(separator: ", ")))")
            }
            let all = try pre.matrix(t), names = pre.featureNames
            x = all.selectingColumns(try model.featureNames.map { f in
                guard let j = names.firstIndex(of: f) else { throw KindError("model.json: feature '\(f)' is not among its prepared columns") }
                return j
            })
        } else {
            let features = model.featureNames
            let missing = features.filter { t[$0] == nil }
            guard missing.isEmpty else {
                throw KindError("\(source) lacks the model's feature columns: \(missing.joined(separator: ", ")) (it has: \(t.names.joined(separator: ", ")))")
            }
            x = try t.matrix(features)
        }
        let scores = try model.predict(x)
        var out = Table()
        for id in p.ids { out.append(id, .text(try t.texts(id))) }
        out.append(model.isRegression ? "prediction" : "score", .number(scores))
        try ArtifactFiles.write(out, context, "predictions.csv")
        try ArtifactFiles.writeMetrics(["rows": Double(t.rowCount), "mean_score": scores.reduce(0, +) / Double(max(1, scores.count))], context)
    }
}
