import Foundation
import LoomAnalytics
import LoomCore
import Testing
@testable import LoomTasks

/// `train` fits on the rows of the table's columns (`TableFeatures`: gbdt bins them one column at a
/// time, the other models take the matrix of those rows) instead of copying the fit's rows out of a
/// matrix of every row. These tests hold the two equal: over random tables and params, the task
/// writes the model.json and the predictions that the matrix path (train before the change, kept
/// here as the reference) gives, byte for byte.
@Suite struct TrainLeanFitTests {
    /// Random rows: user (groups), x1 and x2 (numbers), m (with missing values), k (constant),
    /// device (text), label (0/1), spend (a number).
    static func table(_ rng: inout SeededRandom, rows: Int) -> String {
        var lines = ["user,x1,x2,m,k,device,label,spend"]
        for i in 0..<rows {
            let x1 = rng.uniform(), x2 = (rng.uniform() - 0.5) * 10
            let m = rng.bernoulli(0.15) ? "" : CSV.format((rng.uniform() * 100).rounded() / 4)
            let device = ["web", "mobile", "", "tablet"][rng.int(below: 4)]
            let label = (x1 + 0.1 * x2 > 0.5) != rng.bernoulli(0.15) ? 1 : 0
            lines.append("u\(i % 23),\(CSV.format(x1)),\(CSV.format(x2)),\(m),7,\(device),\(label),\(CSV.format(3 * x1 - x2 + rng.normal()))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Random params over every model and the options that change which rows and columns a fit sees.
    static func params(_ rng: inout SeededRandom, model: String) -> [String: ParamValue] {
        let regression = model == "linear" || (model != "logistic" && rng.bernoulli(0.4))
        let impute = model == "logistic" || model == "linear" ? ["median", "mean", "constant"][rng.int(below: 3)] : ["none", "median", "mean", "constant"][rng.int(below: 4)]
        var features: [ParamValue] = [.string("x1"), .string("x2"), .string("m")]
        if rng.bernoulli(0.4) { features.append(.string("k")) }
        var p: [String: ParamValue] = ["file": .string("t.csv"), "label": .string(regression ? "spend" : "label"), "model": .string(model),
                                       "objective": .string(regression ? "regression" : "classification"), "features": .list(features),
                                       "ids": .list([.string("user")]), "seed": .int(rng.int(below: 100)), "impute": .string(impute), "impute_value": .float(-1)]
        if rng.bernoulli(0.5) { p["categorical"] = .list([.string("device")]) }
        if rng.bernoulli(0.4) { p["group"] = .string("user") }
        if rng.bernoulli(0.4) {
            p["validation_fraction"] = .float(0.2)
            if model == "gbdt" && rng.bernoulli(0.5) { p["early_stopping_rounds"] = .int(3) }
        }
        if rng.bernoulli(0.3) { p["cv_folds"] = .int(3) }
        if model == "gbdt" { p["rounds"] = .int(12) }
        if model == "random_forest" { p["trees"] = .int(6) }
        if rng.bernoulli(0.2) { p["permutation_repeats"] = .int(2) }
        return p
    }

    /// train before the change: the matrix of every row, the fit's rows copied out of it.
    static func reference(_ p: Train.Params, _ t: Table) throws -> (model: Data, scores: [Double]) {
        let (trainSide, test) = try Train.split(t, p, source: "t.csv", header: t.names)
        let (train, validation) = try Train.validationSplit(t, p, trainSide: trainSide)
        let preprocessing = p.impute == "none" && p.categorical.isEmpty ? nil
            : try Preprocessing.fit(t, rows: train, numeric: p.features ?? [], categorical: p.categorical,
                                    imputation: Preprocessing.Imputation(rawValue: p.impute) ?? .none, constant: p.imputeValue)
        var x = try preprocessing?.matrix(t) ?? t.matrix(p.features ?? [])
        var features = preprocessing?.featureNames ?? p.features ?? []
        if p.model == "logistic" || p.model == "linear" {
            let constant = LogisticRegression.constantColumns(x.selectingRows(train))
            let kept = features.indices.filter { !constant.contains($0) }
            features = kept.map { features[$0] }
            x = x.selectingColumns(kept)
        }
        let y = try t.numbers(p.label)
        let v = validation.isEmpty ? nil : (x: x.selectingRows(validation), y: validation.map { y[$0] })
        var model = try TrainedModel.fit(p, x: x.selectingRows(train), y: train.map { y[$0] }, features: features, validation: v)
        model.preprocessing = preprocessing
        if let v { _ = try Train.scoreValidation(&model, x: v.x, y: v.y) }
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return (try e.encode(model), try model.predict(x.selectingRows(test)))
    }

    @Test(arguments: ["gbdt", "logistic", "random_forest", "linear"]) func theTaskWritesWhatTheMatrixPathFits(model: String) throws {
        var rng = SeededRandom(seed: 41 + UInt64(model.utf8.count))
        var compared = 0
        for k in 0..<12 {
            let s = try KindSandbox()
            let text = Self.table(&rng, rows: 60 + rng.int(below: 200))
            try s.artifact("t", file: "t.csv", text)
            let values = Self.params(&rng, model: model)
            let p = try Train.decode(values).get()
            let t = try CSV.read(s.artifacts["t"]! + "/t.csv", types: ["device": .text])
            guard let expected = try? Self.reference(p, t) else {
                // A case the reference refuses (a single class on the fit's rows, say) the task refuses too.
                #expect(throws: (any Error).self, "case \(k)") { try s.run("m", "train", values, needs: ["t"]) }
                continue
            }
            try s.run("m", "train", values, needs: ["t"])
            let dir = s.artifacts["m"]!
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/model.json")) == expected.model, "case \(k): \(values)")
            let written = try CSV.read(dir + "/predictions.csv", otherColumns: .text)
            #expect(try written.texts(p.objective == "regression" ? "prediction" : "score") == expected.scores.map(CSV.format), "case \(k)")
            compared += 1
        }
        #expect(compared >= 8)
    }

    /// With named features train reads only the columns it uses, yet a column the file lacks is
    /// reported with every column of the file, as before.
    @Test func aMissingColumnIsReportedWithEveryColumnOfTheFile() throws {
        let s = try KindSandbox()
        var rng = SeededRandom(seed: 40)
        try s.artifact("t", file: "t.csv", Self.table(&rng, rows: 50))
        let all = "user, x1, x2, m, k, device, label, spend"
        let base: [String: ParamValue] = ["file": .string("t.csv"), "label": .string("label"), "features": .list([.string("x1")]), "seed": .int(1)]
        for (param, value, message) in [
            ("label", ParamValue.string("lable"), "no column 'lable' (columns: \(all))"),
            ("group", .string("usr"), "no column 'usr' (columns: \(all))"),
            ("split_column", .string("fold"), "param 'split_column': no column 'fold' (columns: \(all))"),
            ("categorical", .list([.string("devise")]), "param 'categorical': no column 'devise' (columns: \(all))"),
            ("ids", .list([.string("session")]), "no column 'session' (columns: \(all))"),
            ("features", .list([.string("x3")]), "no feature column 'x3' in t/t.csv"),
        ] {
            var p = base
            p[param] = value
            expectFailure([message]) { try s.run("m", "train", p, needs: ["t"]) }
        }
    }
}
