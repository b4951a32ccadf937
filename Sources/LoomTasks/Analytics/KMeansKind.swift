import Foundation
import LoomAnalytics
import LoomCore

/// `kmeans`: customer segmentation on chosen columns (per column: as is, log1p, standardised, or
/// log1p then standardised; by default standardised),
/// k-means++ with restarts; a fixed k, or the best silhouette over k_min..k_max.
/// Writes segments.csv (ids + segment), centres.csv (original units, with sizes), model.json.
/// The table is a needed task's FILE or a project CSV (`project_file`; it came without a version
/// bump: tasks without it read and write what they did, and keep their keys).
public enum KMeansKind: TaskKind {
    public struct Params: Decodable, Sendable {
        public var input: String?
        public var file: String
        public var columns: [String]
        public var log1p: [String]
        public var ids: [String]
        public var k: Int?
        public var kMin: Int?
        public var kMax: Int?
        public var nInit: Int
        public var seed: Int
        public var transforms: [String: String]
        public var silhouetteSample: Int
        public var projectFile: String?
        enum CodingKeys: String, CodingKey {
            case input, file, columns, log1p, ids, k, kMin = "k_min", kMax = "k_max", nInit = "n_init", seed, transforms, silhouetteSample = "silhouette_sample",
                 projectFile = "project_file"
        }
    }

    /// What `transforms` may say of a column.
    enum Transform: String, CaseIterable {
        case none, log1p, standardise
        case log1pStandardise = "log1p_standardise"
    }

    /// Each column's transform: `transforms`, else log1p_standardise for a `log1p` column, else standardise.
    static func transform(of column: String, _ p: Params) -> Transform {
        p.transforms[column].flatMap(Transform.init(rawValue:)) ?? (p.log1p.contains(column) ? .log1pStandardise : .standardise)
    }

    public static let name = "kmeans"
    public static let version = 1
    public static let summary = "Segments rows by k-means (k-means++, restarts, Lloyd) on COLUMNS (each as is, log1p and/or standardised); a fixed k or the best silhouette in k_min..k_max -> segments.csv, centres.csv, model.json."
    public static let params = [
        ParamSpec.soleInput("the needed task with the table"),
        ParamSpec("file", .string, "customers.csv", "the table in INPUT"),
        ParamSpec("project_file", .string, .unset("none: FILE of INPUT"),
                  "a CSV in the project to cluster instead of a needed task's FILE (hashed into the key like a files: entry; no copy of it is stored)",
                  projectFile: .always, legacy: .null),
        ParamSpec("columns", .strings, .required, "numeric columns to cluster on"),
        ParamSpec("log1p", .strings, .value(.list([])), "columns to transform with log(1 + x) first (skewed amounts and counts)"),
        ParamSpec("ids", .strings, .value(.list([])), "id columns copied into segments.csv"),
        ParamSpec("k", .int, .unset("none"), "number of segments (or give k_min and k_max)", bounds: .atLeast(1)),
        ParamSpec("k_min", .int, .unset("none"), "smallest k to try; the best silhouette wins", bounds: .atLeast(2)),
        ParamSpec("k_max", .int, .unset("none"), "largest k to try", bounds: .atLeast(2)),
        ParamSpec("n_init", .int, 10, "restarts (the lowest inertia wins)", bounds: .atLeast(1)),
        ParamSpec("seed", .int, 0, "random seed"),
        ParamSpec("transforms", .map, .value(.map([:])),
                  "per column: none (as is), log1p, standardise, or log1p_standardise, e.g. {recency: none}; unlisted columns: log1p_standardise if in log1p, else standardise",
                  legacy: .map([:])),
        ParamSpec("silhouette_sample", .int, .value(.int(Silhouette.defaultSampleSize)),
                  "rows the silhouette is computed on (a seeded sample when there are more; the exact score costs rows^2)", bounds: .atLeast(2),
                  legacy: .int(Silhouette.defaultSampleSize)),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        var out: [ParamProblem] = []
        if p.columns.isEmpty { out.append(ParamProblem(param: "columns", "param 'columns' must name at least one column")) }
        if p.projectFile != nil && p.input != nil {
            out.append(ParamProblem(param: "project_file", "give either 'project_file' (a project CSV) or 'input' (a needed task), not both"))
        }
        for c in p.log1p where !p.columns.contains(c) { out.append(ParamProblem(param: "log1p", "log1p column '\(c)' is not in 'columns'")) }
        let choices = Transform.allCases.map(\.rawValue)
        for c in p.transforms.keys.sorted() {
            if !p.columns.contains(c) { out.append(ParamProblem(param: "transforms", "param 'transforms' names '\(c)', which is not in 'columns' (\(p.columns.joined(separator: ", ")))")) }
            if p.log1p.contains(c) { out.append(ParamProblem(param: "transforms", "column '\(c)' is in both 'log1p' and 'transforms'; give its transform in one place")) }
            if let t = p.transforms[c], Transform(rawValue: t) == nil {
                out.append(ParamProblem(param: "transforms", "param 'transforms' gives '\(c)' the transform '\(t)'; expected one of \(choices.joined(separator: ", "))",
                                        notes: Suggestion.notes(for: t, in: choices)))
            }
        }
        switch (p.k, p.kMin, p.kMax) {
        case (_?, nil, nil): break
        case (nil, let lo?, let hi?): if hi < lo { out.append(ParamProblem(param: "k_min", "need k_min <= k_max, got \(lo)..\(hi)")) }
        default: out.append(ParamProblem(param: "k", "give either 'k', or both 'k_min' and 'k_max'"))
        }
        out += ArtifactFiles.columnNameProblems(p.ids, param: "ids", file: "segments.csv", written: ["segment"])
        out += ArtifactFiles.columnNameProblems(p.columns, param: "columns", file: "centres.csv", written: ["segment", "size"])
        return out
    }

    struct Output: Codable {
        var columns: [String]
        var scaling: FeatureScaling
        var model: KMeansModel
        var silhouette: Double
        var candidates: [Candidate]?
        struct Candidate: Codable { var k: Int; var inertia: Double; var silhouette: Double }
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        var clock = StageClock()
        // A project file (hashed into the key as a declared file), or FILE of the needed task.
        let input = try p.projectFile == nil ? ArtifactFiles.soleInput(context, p.input, kind: name) : nil
        let t = try ArtifactFiles.table(context, input: input, file: p.projectFile ?? p.file)
        clock.mark("read")
        let raw = try t.matrix(p.columns)
        let transforms = p.columns.map { transform(of: $0, p) }
        let scaling = try FeatureScaling.fit(raw, log1pColumns: transforms.indices.filter { [.log1p, .log1pStandardise].contains(transforms[$0]) },
                                             unscaledColumns: transforms.indices.filter { [.none, .log1p].contains(transforms[$0]) })
        let x = try scaling.apply(raw)
        clock.mark("scale")
        try Parallel.limited(to: context.cpus) { try fitAndWrite(p, t, x: x, scaling: scaling, context: context, clock: &clock) }
        clock.log(context)
    }

    static func fitAndWrite(_ p: Params, _ t: Table, x: Matrix, scaling: FeatureScaling, context: TaskContext, clock: inout StageClock) throws {
        var config = KMeans.Config(k: p.k ?? 2, nInit: p.nInit, seed: UInt64(bitPattern: Int64(p.seed)))
        let model: KMeansModel
        var candidates: [Output.Candidate]?
        if let lo = p.kMin, let hi = p.kMax {
            let (chosen, scores) = try KMeans.select(x, ks: lo...hi, config: config, silhouetteSampleSize: p.silhouetteSample)
            model = chosen
            candidates = scores.map { Output.Candidate(k: $0.k, inertia: $0.inertia, silhouette: $0.silhouette) }
        } else {
            config.k = p.k ?? 2
            model = try KMeans.fit(x, config: config)
        }
        clock.mark("fit")
        let labels = model.predict(x)
        let silhouette = model.centres.count > 1 ? (try? Silhouette.score(x, labels: labels, sampleSize: p.silhouetteSample, seed: config.seed)) ?? .nan : .nan
        clock.mark("predict+silhouette")
        var segments = Table()
        for id in p.ids { segments.append(id, .text(try t.texts(id))) }
        segments.append("segment", .number(labels.map(Double.init)))
        try ArtifactFiles.write(segments, context, "segments.csv")
        let centres = scaling.invert(model.centreMatrix)
        var ct = Table([("segment", .number((0..<model.centres.count).map(Double.init))), ("size", .number(model.sizes.map(Double.init)))])
        for (j, c) in p.columns.enumerated() { ct.append(c, .number(centres.column(j))) }
        try ArtifactFiles.write(ct, context, "centres.csv")
        try ArtifactFiles.writeJSON(Output(columns: p.columns, scaling: scaling, model: model, silhouette: silhouette, candidates: candidates), context, "model.json")
        try ArtifactFiles.writeMetrics(["k": Double(model.centres.count), "inertia": model.inertia, "silhouette": silhouette,
                                        "iterations": Double(model.iterations)], context)
        clock.mark("write")
    }
}
