import Foundation
import LoomAnalytics
import LoomCore

/// `report`: one self-contained HTML page (inline SVG, no network) from whatever its needed tasks
/// produced: headline metrics of every input, the funnel of an event log, CLV distribution and
/// predicted vs actual holdout transactions by frequency, classifier curves, segment sizes, and
/// the results of an `abtest` task (its table, sample-ratio check and a chart of relative lifts),
/// a `recommend` task's methods x metrics (table and chart), and a `sql` task's query with the
/// first rows of its result.
/// (The A/B, funnel, SQL, cohort and recommendation sections came without a version bump: each appears only for
/// its kind's JSON summary (an abtest.json of format "loom-abtest 1", sql.json of "loom-sql 1",
/// ...), which no artifact held before the section existed, so every input the kind read before
/// still gives the same bytes.)
public enum ReportKind: TaskKind {
    public struct Params: Decodable, Sendable {
        public var title: String
        public var notes: [String: String]
        enum CodingKeys: CodingKey { case title, notes }
        public init(from d: Decoder) throws {
            let c = try d.container(keyedBy: CodingKeys.self)
            title = try c.decode(String.self, forKey: .title)
            notes = try c.decode([String: LooseText].self, forKey: .notes).mapValues(\.text)
        }
    }

    public static let name = "report"
    public static let version = 6   // 6: "1 task", not "1 tasks" (sections for new kinds' artifacts come without a bump: see above)
                                    // 5: legends and histogram ticks that fit, monetary labelled
                                    // 4: classifiers side by side (precision, recall, accuracy), a plain line for every model worse than its baseline,
                                    //    regressions, a model comparison (ROC of every classifier) and feature importance of train inputs
                                    // 3: a Cleaning section per clean input (rows dropped per reason)
    public static let summary = "Writes report.html: headline metrics of every needed task, funnel, CLV charts, classifier curves, segments, A/B tests (with lift intervals) and recommenders against popularity, as inline SVG."
    public static let params = [
        ParamSpec("title", .string, "Loom report", "the page title"),
        ParamSpec("notes", .map, .value(.map([:])), "name -> text shown under the title (e.g. the DAG params: seed: \"{{params.seed}}\")"),
    ]

    public static func run(_ p: Params, context: TaskContext) throws {
        var page = HTMLReport(title: p.title)
        if !p.notes.isEmpty {
            page.section("Parameters", HTMLReport.table(header: ["name", "value"], rows: p.notes.keys.sorted().map { [$0, p.notes[$0]!] }))
        }
        let metrics = context.inputs.map { (name: $0.name, values: Engine.readMetrics($0.path)) }
        let evaluations = context.inputs.compactMap { input -> (name: String, evaluation: Evaluate.ClassifierEvaluation)? in
            let path = input.path + "/evaluation.json"
            guard FileSystem.exists(path), let e = try? ArtifactFiles.readJSON(Evaluate.ClassifierEvaluation.self, path), e.type == "classifier" else { return nil }
            return (input.name, e)
        }
        var thresholds: [String: Double] = [:]
        for e in evaluations { thresholds[e.name] = e.evaluation.model.atThreshold.threshold }
        page.section("Headline metrics", headline(metrics, thresholds: thresholds))
        // Every classifier's ROC curve on one chart, when there are several to compare.
        if evaluations.count >= 2 { page.section("Model comparison", comparison(evaluations)) }
        for (input, m) in zip(context.inputs, metrics) {
            let dir = input.path
            if let cleaning = cleaning(m.values) { page.section("Cleaning (\(input.name))", cleaning) }
            if FileSystem.exists(dir + "/events.csv"), let counts = try? funnelCounts(dir + "/events.csv") {
                page.section("Funnel (\(input.name))", funnel(counts))
            }
            if FileSystem.exists(dir + "/centres.csv"), let c = try? CSV.read(dir + "/centres.csv"), let sizes = c["size"]?.numbers {
                let labels = (c["segment"]?.numbers ?? []).map { "segment \(Int($0))" }
                let rows = (0..<c.rowCount).map { r in c.names.map { SVGChart.number((c[$0]?.numbers ?? [])[r]) } }
                // customer_features' monetary is the mean of repeat purchases (the BG/NBD and
                // Gamma-Gamma convention): one-time buyers have 0, which reads as "spent nothing".
                let header = c.names.map { $0 == "monetary" ? "monetary (mean repeat purchase)" : $0 }
                let note = c.names.contains("monetary")
                    ? "<p>monetary is the mean value of a customer's repeat purchases (the first purchase is not counted, as BG/NBD and Gamma-Gamma expect): a segment of one-time buyers shows 0 although they spent money.</p>" : ""
                page.section("Segments (\(input.name))", SVGChart.bars(title: "Segment sizes", yLabel: "rows", labels: labels, series: [("size", sizes)])
                    + HTMLReport.table(header: header, rows: rows) + note)
            }
            if FileSystem.exists(dir + "/evaluation.json"),
               let e = try? ArtifactFiles.readJSON(Evaluate.ClassifierEvaluation.self, dir + "/evaluation.json"), e.type == "classifier" {
                page.section("Classifier: \(input.name)", classifierCharts(e))
            }
            if FileSystem.exists(dir + "/evaluation.json"),
               let e = try? ArtifactFiles.readJSON(Evaluate.RegressionEvaluation.self, dir + "/evaluation.json"), e.type == "regression" {
                page.section("Regression: \(input.name)", regressionChart(e))
            }
            // A train task's artifact: model.json beside importance.csv.
            if FileSystem.exists(dir + "/model.json"), FileSystem.exists(dir + "/importance.csv"),
               let t = try? CSV.read(dir + "/importance.csv", types: ["feature": .text]), t["feature"] != nil, t["importance"] != nil {
                page.section("Feature importance (\(input.name))", importance(t))
            }
            // abtest.json's format marks an abtest artifact: an abtest.csv of another origin is not drawn.
            if FileSystem.exists(dir + "/abtest.csv"), FileSystem.exists(dir + "/abtest.json"),
               let summary = try? ArtifactFiles.readJSON(ABTestKind.Summary.self, dir + "/abtest.json"), summary.format == "loom-abtest 1",
               let t = try? CSV.read(dir + "/abtest.csv", types: ["metric": .text, "variant": .text, "test": .text, "covariate": .text]) {
                page.section("A/B test (\(input.name))", try abtest(t, summary))
            }
            // As for abtest: funnel.json's format marks a funnel artifact.
            if FileSystem.exists(dir + "/funnel.csv"), FileSystem.exists(dir + "/funnel.json"),
               let summary = try? ArtifactFiles.readJSON(FunnelKind.Summary.self, dir + "/funnel.json"), summary.format == "loom-funnel 1",
               let t = try? CSV.read(dir + "/funnel.csv", types: ["breakdown": .text, "level": .text, "step": .text]) {
                let abandonment = try? CSV.read(dir + "/abandonment.csv", types: ["breakdown": .text, "level": .text])
                page.section("Funnel analysis (\(input.name))", try funnelAnalysis(t, abandonment, summary))
            }
            // As for abtest: cohort.json's format marks a cohort artifact.
            if FileSystem.exists(dir + "/cohort.csv"), FileSystem.exists(dir + "/cohort.json"),
               let summary = try? ArtifactFiles.readJSON(CohortKind.Summary.self, dir + "/cohort.json"), summary.format == "loom-cohort 1",
               let t = try? CSV.read(dir + "/cohort.csv", types: ["cohort": .text]) {
                page.section("Cohorts (\(input.name))", try cohorts(t, summary))
            }
            // As for abtest: recommend.json's format marks a recommend artifact.
            if FileSystem.exists(dir + "/evaluation.csv"), FileSystem.exists(dir + "/recommend.json"),
               let summary = try? ArtifactFiles.readJSON(RecommendKind.Summary.self, dir + "/recommend.json"), summary.format == "loom-recommend 1",
               let t = try? CSV.read(dir + "/evaluation.csv", types: ["method": .text]) {
                page.section("Recommendations (\(input.name))", try recommendations(t, summary))
            }
            // As for abtest: sql.json's format marks a sql artifact.
            if FileSystem.exists(dir + "/result.csv"), FileSystem.exists(dir + "/sql.json"),
               let summary = try? ArtifactFiles.readJSON(SQLKind.Summary.self, dir + "/sql.json"), summary.format == "loom-sql 1",
               let t = try? CSV.read(dir + "/result.csv", otherColumns: .text) {
                page.section("SQL (\(input.name))", sql(t, summary))
            }
            if FileSystem.exists(dir + "/predictions.csv"), let t = try? CSV.read(dir + "/predictions.csv", types: ["customer": .text]) {
                if t["clv"] != nil { page.section("Customer lifetime value (\(input.name))", try clvCharts(t)) }
            }
        }
        var all: [[String]] = []
        for (name, values) in metrics { for k in values.keys.sorted() { all.append([name, k, SVGChart.number(values[k]!)]) } }
        page.section("All metrics", "<details><summary>\(all.count) metric\(all.count == 1 ? "" : "s") of \(metrics.count) task\(metrics.count == 1 ? "" : "s")</summary>"
            + HTMLReport.table(header: ["task", "metric", "value"], rows: all) + "</details>")
        try FileSystem.writeAtomically(context.output + "/report.html", page.render())
    }

    /// The numbers a reader looks for first, one table per kind of result: classifiers against
    /// their baselines, regressions against the mean, cross-validated models, CLV predicted against
    /// actual, segmentations, recommenders against popularity. Inputs without such metrics
    /// appear only under "All metrics".
    /// `thresholds`: each classifier's decision threshold, from its evaluation.json (shown as "-" without one).
    static func headline(_ metrics: [(name: String, values: [String: Double])], thresholds: [String: Double] = [:]) -> String {
        func n(_ v: Double?) -> String { v.map(SVGChart.number) ?? "-" }
        var html = ""
        let classifiers = metrics.filter { $0.values["auc"] != nil }
        if !classifiers.isEmpty {
            html += HTMLReport.table(header: ["classifier", "AUC", "average precision", "log loss", "Brier", "F1", "precision", "recall", "accuracy",
                                              "threshold", "baseline AUC", "baseline"],
                                     rows: classifiers.map { c in
                                         let v = c.values, scored = v["baseline.score_auc"] != nil
                                         return [c.name, n(v["auc"]), n(v["average_precision"]), n(v["log_loss"]), n(v["brier"]), n(v["f1"]),
                                                 n(v["precision"]), n(v["recall"]), n(v["accuracy"]), n(thresholds[c.name]),
                                                 scored ? n(v["baseline.score_auc"]) : "0.5", scored ? "score column" : "majority class"]
                                     })
            html += worseThanBaseline(classifiers)
        }
        let regressions = metrics.filter { $0.values["rmse"] != nil && $0.values["baseline.mean_rmse"] != nil }
        if !regressions.isEmpty {
            html += HTMLReport.table(header: ["regression", "RMSE", "MAE", "R^2", "baseline RMSE (mean)"],
                                     rows: regressions.map { [$0.name, n($0.values["rmse"]), n($0.values["mae"]), n($0.values["r2"]), n($0.values["baseline.mean_rmse"])] })
            let worse = regressions.filter { $0.values["rmse"]! >= $0.values["baseline.mean_rmse"]! }
            html += worse.map { r in
                "<p class=\"warning\"><strong>\(SVGChart.esc(r.name)) is worse than its baseline</strong>: RMSE \(n(r.values["rmse"])) against \(n(r.values["baseline.mean_rmse"])) for predicting the mean everywhere.</p>"
            }.joined()
        }
        let clv = metrics.filter { $0.values["predicted_transactions"] != nil && $0.values["actual_transactions"] != nil }
        if !clv.isEmpty {
            html += HTMLReport.table(header: ["CLV evaluation", "predicted transactions", "actual", "MAE", "RMSE", "correlation", "predicted revenue", "actual revenue"],
                                     rows: clv.map { c in
                                         let v = c.values
                                         return [c.name, n(v["predicted_transactions"]), n(v["actual_transactions"]), n(v["mae"]), n(v["rmse"]),
                                                 n(v["correlation"]), n(v["predicted_revenue"]), n(v["actual_revenue"])]
                                     })
        }
        // A train task with cv_folds: each metric's mean and sd over its folds.
        for regression in [false, true] {
            let names = Train.metricNames(regression: regression)
            let rows = metrics.filter { $0.values["cv.folds"] != nil && $0.values["cv.\(names[0])_mean"] != nil }
            guard !rows.isEmpty else { continue }
            html += HTMLReport.table(header: ["cross-validated \(regression ? "regression" : "classifier")", "folds"] + names.map { "\($0) (mean ± sd)" },
                                     rows: rows.map { r in
                                         [r.name, n(r.values["cv.folds"])] + names.map { "\(n(r.values["cv.\($0)_mean"])) ± \(n(r.values["cv.\($0)_sd"]))" }
                                     })
        }
        let segments = metrics.filter { $0.values["silhouette"] != nil || $0.values["inertia"] != nil }
        if !segments.isEmpty {
            html += HTMLReport.table(header: ["segmentation", "k", "silhouette", "inertia"],
                                     rows: segments.map { [$0.name, n($0.values["k"]), n($0.values["silhouette"]), n($0.values["inertia"])] })
        }
        let recommenders = metrics.filter { $0.values["popularity.ndcg"] != nil }
        if !recommenders.isEmpty {
            var rows: [[String]] = []
            for r in recommenders {
                let v = r.values, popularity = v["popularity.ndcg"]!
                for m in RecommendKind.recommenders {
                    guard let ndcg = v[m + ".ndcg"] else { continue }
                    rows.append([r.name, m, n(ndcg), n(v[m + ".precision"]), n(v[m + ".recall"]), n(v[m + ".map"]), n(popularity),
                                 popularity > 0 ? SVGChart.number(ndcg / popularity) + "x" : "-"])
                }
            }
            html += HTMLReport.table(header: ["recommender", "method", "NDCG@k", "precision@k", "recall@k", "MAP@k", "popularity NDCG@k", "vs popularity"], rows: rows)
        }
        return html.isEmpty ? "<p>No classifier, CLV or segmentation results among the inputs; see All metrics.</p>" : html
    }

    /// A plain sentence for every classifier that does worse than a baseline: an AUC below its score
    /// column's (evaluate's baseline) or at most 0.5 (no better than the majority class), or a log loss
    /// above the majority baseline's (probabilities worse than the positive rate for everyone).
    static func worseThanBaseline(_ classifiers: [(name: String, values: [String: Double])]) -> String {
        func n(_ v: Double) -> String { SVGChart.number(v) }
        var lines: [String] = []
        for c in classifiers {
            guard let auc = c.values["auc"] else { continue }
            let name = SVGChart.esc(c.name)
            if let b = c.values["baseline.score_auc"], auc < b {
                lines.append("<strong>\(name) is worse than its baseline</strong>: AUC \(n(auc)) against \(n(b)) for ranking by the baseline column alone.")
            }
            if auc <= 0.5 { lines.append("<strong>\(name) is no better than chance</strong>: AUC \(n(auc)) (the majority-class baseline has 0.5).") }
            if let l = c.values["log_loss"], let b = c.values["baseline.majority_log_loss"], l > b {
                lines.append("<strong>\(name)'s probabilities are worse than its baseline's</strong>: log loss \(n(l)) against \(n(b)) for giving every row the positive rate.")
            }
        }
        return lines.map { "<p class=\"warning\">\($0)</p>" }.joined()
    }

    /// Several classifiers side by side: every ROC and precision-recall curve on one chart each (in input
    /// order, as many as the palette has colours; legends name the task only, the numbers are in the
    /// headline table above).
    static func comparison(_ models: [(name: String, evaluation: Evaluate.ClassifierEvaluation)]) -> String {
        let shown = models.prefix(SVGChart.palette.count)
        let roc = shown.map { m in
            SVGChart.Series(name: m.name, points: m.evaluation.model.rocCurve.map { ($0.falsePositiveRate, $0.truePositiveRate) })
        }
        let pr = shown.map { m in
            SVGChart.Series(name: m.name, points: m.evaluation.model.precisionRecallCurve.map { ($0.recall, $0.precision) })
        }
        var html = SVGChart.line(title: "ROC of every classifier", xLabel: "false positive rate", yLabel: "true positive rate", series: roc, diagonal: true)
        html += SVGChart.line(title: "Precision-recall of every classifier", xLabel: "recall", yLabel: "precision", series: pr)
        if models.count > shown.count { html += "<p>The first \(shown.count) of \(models.count) classifiers are drawn.</p>" }
        return html
    }

    /// Mean prediction against mean actual value per tenth of the rows by prediction, and the headline numbers.
    static func regressionChart(_ e: Evaluate.RegressionEvaluation) -> String {
        let d = e.byDecile
        var html = SVGChart.bars(title: "Mean actual and predicted by decile of the prediction", yLabel: "mean",
                                 labels: d.map { "\($0.decile)" }, series: [("predicted", d.map(\.meanPredicted)), ("actual", d.map(\.meanActual))])
        html += HTMLReport.table(header: ["metric", "model", "mean baseline"], rows: [
            ["RMSE", SVGChart.number(e.model.rootMeanSquaredError), SVGChart.number(e.meanBaseline.rootMeanSquaredError)],
            ["MAE", SVGChart.number(e.model.meanAbsoluteError), SVGChart.number(e.meanBaseline.meanAbsoluteError)],
            ["R^2", e.model.r2.map(SVGChart.number) ?? "-", "0"],
        ])
        return html
    }

    /// Features most important first (at most 20): a train task's importance (gain share, or |standardised
    /// coefficient| share) and, when it computed them, permutation importances on its test rows.
    static func importance(_ t: Table) -> String {
        let features = t["feature"]?.texts ?? [], gain = t["importance"]?.numbers ?? []
        let permutation = t["permutation"]?.numbers, sd = t["permutation_sd"]?.numbers
        let order = features.indices.sorted { (permutation?[$0] ?? gain[$0], -$0) > (permutation?[$1] ?? gain[$1], -$1) }
        let top = Array(order.prefix(20))
        var html = SVGChart.bars(title: permutation == nil ? "Importance (share)" : "Permutation importance on the test rows", yLabel: permutation == nil ? "share" : "score drop",
                                 labels: top.map { features[$0] }, series: [(permutation == nil ? "importance" : "permutation", top.map { permutation?[$0] ?? gain[$0] })])
        let header = ["feature", "importance (share)"] + (permutation == nil ? [] : ["permutation (score drop)", "sd"])
        html += HTMLReport.table(header: header, rows: top.map { i in
            [features[i], SVGChart.number(gain[i])] + (permutation.map { p in [SVGChart.number(p[i]), sd.map { SVGChart.number($0[i]) } ?? "-"] } ?? [])
        })
        return html + (features.count > top.count ? "<p>\(features.count - top.count) more features in importance.csv.</p>" : "")
    }

    static func classifierCharts(_ e: Evaluate.ClassifierEvaluation) -> String {
        let m = e.model
        var roc = [SVGChart.Series(name: "model (AUC \(SVGChart.number(m.rocAUC)))", points: m.rocCurve.map { ($0.falsePositiveRate, $0.truePositiveRate) })]
        var pr = [SVGChart.Series(name: "model (AP \(SVGChart.number(m.averagePrecision)))", points: m.precisionRecallCurve.map { ($0.recall, $0.precision) })]
        if let b = e.scoreBaseline {
            roc.append(.init(name: "\(e.baselineColumn ?? "baseline") (AUC \(SVGChart.number(b.rocAUC)))", points: b.rocCurve.map { ($0.falsePositiveRate, $0.truePositiveRate) }))
            pr.append(.init(name: "\(e.baselineColumn ?? "baseline")", points: b.precisionRecallCurve.map { ($0.recall, $0.precision) }))
        }
        var html = SVGChart.line(title: "ROC", xLabel: "false positive rate", yLabel: "true positive rate", series: roc, diagonal: true)
        html += SVGChart.line(title: "Precision-recall", xLabel: "recall", yLabel: "precision", series: pr)
        if let cal = m.calibration {
            html += SVGChart.line(title: "Calibration", xLabel: "mean predicted", yLabel: "observed rate",
                                  series: [.init(name: "model", points: cal.map { ($0.meanPredicted, $0.observedRate) })], diagonal: true)
        }
        html += SVGChart.line(title: "Cumulative gains", xLabel: "share of rows (by score)", yLabel: "share of positives",
                              series: [.init(name: "model", points: [(0, 0)] + m.gains.map { (Double($0.decile) / 10, $0.cumulativeGain) })], diagonal: true)
        let t = m.atThreshold
        html += HTMLReport.table(header: ["metric", "model", "majority baseline"], rows: [
            ["AUC", SVGChart.number(m.rocAUC), SVGChart.number(e.majorityBaseline.rocAUC)],
            ["average precision", SVGChart.number(m.averagePrecision), SVGChart.number(e.majorityBaseline.averagePrecision)],
            ["log loss", m.logLoss.map(SVGChart.number) ?? "-", e.majorityBaseline.logLoss.map(SVGChart.number) ?? "-"],
            ["Brier", m.brierScore.map(SVGChart.number) ?? "-", e.majorityBaseline.brierScore.map(SVGChart.number) ?? "-"],
            ["accuracy @ \(SVGChart.number(t.threshold))", SVGChart.number(t.accuracy), SVGChart.number(e.majorityBaseline.atThreshold.accuracy)],
            ["precision / recall / F1", "\(SVGChart.number(t.precision)) / \(SVGChart.number(t.recall)) / \(SVGChart.number(t.f1))", "-"],
        ])
        return html
    }

    /// Sessions that reached each step: view -> cart -> purchase, with conversion from the previous step.
    /// Rows dropped per reason by a `clean` task (metrics rows_in, rows_out, dropped.REASON), in the
    /// order `Clean` applies its rules; nil for an input that is not one.
    static func cleaning(_ m: [String: Double]) -> String? {
        guard let rowsIn = m["rows_in"], let rowsOut = m["rows_out"], m.keys.contains(where: { $0.hasPrefix("dropped.") }) else { return nil }
        func share(_ n: Double) -> String { rowsIn > 0 ? String(format: "%.2f%%", 100 * n / rowsIn) : "-" }
        let reasons = Clean.reasons.map { ($0, m["dropped." + $0.replacingOccurrences(of: " ", with: "_")] ?? 0) }
        let rows = [["rows in", SVGChart.number(rowsIn), ""]] + reasons.map { [$0.0, SVGChart.number($0.1), share($0.1)] }
            + [["rows out", SVGChart.number(rowsOut), share(rowsOut)]]
        return HTMLReport.table(header: ["rows", "count", "share of rows in"], rows: rows)
    }

    static let funnelSteps = ["view", "cart", "purchase"]

    /// Sessions reaching each of `funnelSteps` in an event table, read a piece at a time (the
    /// whole table as strings took 1.1 GB at 4 million events; the sets hold sessions only). Nil
    /// when the table has no session or event_type column; throws when a piece cannot be read.
    /// Other columns are read as text: the whole-table read inferred them, which never fails, so
    /// the funnel is shown for the same files.
    static func funnelCounts(_ path: String) throws -> [Double]? {
        var pieces = try CSVPieces(path: path, file: path, types: ["session": .text, "event_type": .text], otherColumns: .text)
        var reached: [String: Set<String>] = ["view": [], "cart": [], "purchase": []]
        while let piece = try pieces.next() {
            let t = piece.table
            guard t["event_type"] != nil, t["session"] != nil else { return nil }
            for (s, e) in zip(try t.texts("session"), try t.texts("event_type")) where reached[e] != nil { reached[e]!.insert(s) }
        }
        return funnelSteps.map { Double(reached[$0]!.count) }
    }

    /// The funnel chart of `funnelCounts`.
    static func funnel(_ counts: [Double]) -> String {
        let steps = funnelSteps
        let labels = steps.enumerated().map { i, s in i == 0 || counts[i - 1] == 0 ? s : "\(s) (\(String(format: "%.1f", 100 * counts[i] / counts[i - 1]))%)" }
        return SVGChart.bars(title: "Sessions reaching each step", yLabel: "sessions", labels: labels, series: [("sessions", counts)])
    }

    /// Retention and cumulative revenue per user as heatmaps: one row per cohort (with its size),
    /// one column per period since; how many cells the data covers only in part is said below.
    static func cohorts(_ t: Table, _ s: CohortKind.Summary) throws -> String {
        let cohort = try t.texts("cohort"), size = try t.numbers("size"), period = try t.numbers("period")
        let retention = try t.numbers("retention"), cumulative = try t.numbers("cumulative_revenue_per_user"), complete = try t.numbers("complete")
        var labels: [String] = [], row: [String: Int] = [:]
        for (c, n) in zip(cohort, size) where row[c] == nil { row[c] = labels.count; labels.append("\(c) (\(Int(n)))") }
        let periods = Int(period.max() ?? -1) + 1
        var r = [[Double]](repeating: [Double](repeating: .nan, count: periods), count: labels.count), v = r
        var partial = Set<[Int]>()
        for i in 0..<t.rowCount {
            let (a, b) = (row[cohort[i]]!, Int(period[i]))
            r[a][b] = retention[i]
            v[a][b] = cumulative[i]
            if complete[i] == 0 { partial.insert([a, b]) }
        }
        let columns = (0..<periods).map { "\($0)" }
        let what = s.start == "first_purchase" ? "first purchase" : "first event"
        var html = "<p>Users by the \(s.period) of their \(what); active means \(s.activity == "any" ? "any event" : "a purchase") in the \(s.period)\(s.period == "week" ? " (weeks start on Monday)" : ""). Rows: cohort (users); columns: \(s.period)s since. The last column of each row may cover part of a \(s.period) (see complete in cohort.csv).</p>"
        // Period 0 is 100% by construction with purchase cohorts: the shades span the later periods, so that they differ.
        let later = r.flatMap { $0.dropFirst() }.filter(\.isFinite).max() ?? 1
        html += SVGChart.heatmap(title: "Retention by cohort (share of the cohort active)", rowLabels: labels, columnLabels: columns, values: r,
                                 high: later > 0 ? later : 1) {
            String(format: "%.0f%%", 100 * $0)
        }
        let top = v.flatMap { $0 }.filter(\.isFinite).max() ?? 1
        html += SVGChart.heatmap(title: "Cumulative revenue per user", rowLabels: labels, columnLabels: columns, values: v, high: top) { SVGChart.number($0) }
        return html + (partial.isEmpty ? "" : "<p>\(partial.count) cells cover a \(s.period) the data ends in.</p>")
    }

    /// A recommend task's evaluation: methods x metrics @K in a table and a grouped bar chart, with
    /// who was evaluated, and the recommender's gain over popularity said in words.
    static func recommendations(_ t: Table, _ s: RecommendKind.Summary) throws -> String {
        let methods = try t.texts("method")
        let names = [("precision", "precision"), ("recall", "recall"), ("ndcg", "NDCG"), ("map", "MAP"), ("hit_rate", "hit rate"), ("coverage", "coverage")]
        let values = try names.map { try t.numbers($0.0) }
        let weights = s.weights.keys.sorted().map { "\(SVGChart.esc($0)) \(SVGChart.number(s.weights[$0]!))" }.joined(separator: ", ")
        var html = "<p>Trained on events before \(s.split) (weights: \(weights)); tested on purchases on or after it. "
            + "\(s.evaluatedUsers) users evaluated (a training event and a test purchase not excluded), of \(s.trainingUsers) with training events; "
            + "\(s.coldUsers) users bought only after the split (cold start, not evaluated). Excluded from lists: \(s.exclude == "none" ? "nothing" : s.exclude == "purchased" ? "items the user purchased before the split" : "items of the user's training events"). "
            + "Catalogue: \(s.catalogue) items.</p>"
        html += HTMLReport.table(header: ["method"] + names.map { "\($0.1)@\(s.k)" },
                                 rows: methods.indices.map { m in [methods[m]] + values.map { SVGChart.number($0[m]) } })
        if let p = methods.firstIndex(of: "popularity") {
            let ndcg = values[2]
            for m in methods.indices where m != p {
                let ratio = ndcg[p] > 0 ? SVGChart.number(ndcg[m] / ndcg[p]) + "x" : "-"
                let verdict = ndcg[m] > ndcg[p] ? "beats" : "<strong>does not beat</strong>"
                html += "<p>\(SVGChart.esc(methods[m])) \(verdict) the popularity baseline: NDCG@\(s.k) \(SVGChart.number(ndcg[m])) against \(SVGChart.number(ndcg[p])) (\(ratio)).</p>"
            }
        }
        html += SVGChart.bars(title: "Ranking metrics @\(s.k) by method", yLabel: "mean over evaluated users",
                              labels: names.dropLast().map(\.1), series: methods.indices.map { m in (methods[m], values.dropLast().map { $0[m] }) })
        return html
    }

    /// Rows of a result shown in the report, at most.
    static let sqlRowsShown = 20

    /// A sql task's query, the tables it read, and the first rows of its result.
    static func sql(_ t: Table, _ s: SQLKind.Summary) -> String {
        var html = "<pre>\(SVGChart.esc(s.query.trimmingCharacters(in: .whitespacesAndNewlines)))</pre>"
        html += "<p>Tables: " + s.tables.map { "\(SVGChart.esc($0.name)) (\(SVGChart.esc($0.source)), \($0.rows) rows)" }.joined(separator: ", ") + ".</p>"
        let shown = min(t.rowCount, sqlRowsShown)
        let rows = (0..<shown).map { r in t.columns.map { $0.texts?[r] ?? "" } }
        html += HTMLReport.table(header: t.names, rows: rows)
        html += "<p>\(s.rows) rows x \(s.columns.count) columns" + (s.rows > shown ? "; the first \(shown) shown (result.csv holds all).</p>" : ".</p>")
        return html
    }

    /// The sample-ratio check, the rows of abtest.csv, and each metric's relative lifts with their intervals.
    static func abtest(_ t: Table, _ s: ABTestKind.Summary) throws -> String {
        func n(_ x: Double) -> String { SVGChart.number(x) }
        func pct(_ x: Double) -> String { x.isFinite ? String(format: "%+.2f%%", 100 * x) : "-" }
        let r = s.sampleRatio
        let counts = r.variants.indices.map { i in "\(r.variants[i]) \(r.observed[i]) (designed \(String(format: "%.1f", 100 * r.expectedShares[i]))%)" }
        var html = "<p>Units: \(counts.joined(separator: ", ")). Sample-ratio check: chi-squared \(n(r.chi2)), p = \(n(r.pValue))"
            + (r.mismatch ? ": <strong>mismatch</strong>, the split is not the designed one and every comparison below is suspect.</p>" : ": no mismatch.</p>")
        let metric = try t.texts("metric"), variant = try t.texts("variant"), test = try t.texts("test")
        let value = try t.numbers("value"), control = try t.numbers("control_value"), diff = try t.numbers("diff")
        let dLow = try t.numbers("diff_ci_low"), dHigh = try t.numbers("diff_ci_high")
        let lift = try t.numbers("relative_lift"), lLow = try t.numbers("lift_ci_low"), lHigh = try t.numbers("lift_ci_high")
        let p = try t.numbers("p_value"), holm = try t.numbers("p_value_holm"), power = try t.numbers("power"), mde = try t.numbers("mde")
        let level = String(format: "%g", 100 * (1 - s.alpha))
        var rows: [[String]] = []
        for i in 0..<t.rowCount {
            let difference = "\(n(diff[i])) [\(n(dLow[i])), \(n(dHigh[i]))]"
            let relative = "\(pct(lift[i])) [\(pct(lLow[i])), \(pct(lHigh[i]))]"
            let adjusted = n(holm[i]) + (holm[i] < s.alpha ? " *" : "")
            rows.append([metric[i], variant[i], n(control[i]), n(value[i]), difference, relative, n(p[i]), adjusted, n(power[i]), n(mde[i]), test[i]])
        }
        html += HTMLReport.table(header: ["metric", "variant", "control", "variant value", "difference [\(level)% CI]", "relative lift [\(level)% CI]",
                                          "p", "Holm p", "power", "MDE", "test"], rows: rows)
        html += "<p>* significant at alpha = \(n(s.alpha)) after Holm's adjustment over all \(t.rowCount) comparisons.</p>"
        for o in s.omnibus { html += "<p>\(SVGChart.esc(o.metric)) across all variants: chi-squared \(n(o.chi2)) on \(o.df) df, p = \(n(o.pValue)).</p>" }
        html += SVGChart.intervals(title: "Relative lift against the control (\(level)% CI)", xLabel: "relative lift",
                                   labels: (0..<t.rowCount).map { "\(metric[$0]): \(variant[$0])" }, estimates: lift, lows: lLow, highs: lHigh)
        return html
    }

    /// A funnel task's result: units per step overall, then per breakdown the conversion from the
    /// first step of each level (the largest levels, as many as the palette has colours), and cart
    /// abandonment with the time between steps in tables.
    static func funnelAnalysis(_ t: Table, _ abandonment: Table?, _ s: FunnelKind.Summary) throws -> String {
        let breakdown = try t.texts("breakdown"), level = try t.texts("level"), step = try t.texts("step")
        let units = try t.numbers("units"), fromFirst = try t.numbers("conversion_from_first"), fromPrevious = try t.numbers("conversion_from_previous")
        let median = try t.numbers("median_seconds_from_previous"), p90 = try t.numbers("p90_seconds_from_previous")
        func pct(_ x: Double) -> String { x.isFinite ? String(format: "%.1f%%", 100 * x) : "-" }
        let all = (0..<t.rowCount).filter { breakdown[$0] == "all" }
        let labels = all.map { i in all.first == i ? step[i] : "\(step[i]) (\(pct(fromPrevious[i])))" }
        var html = SVGChart.bars(title: "\(s.unit.capitalized)s reaching each step", yLabel: "\(s.unit)s", labels: labels,
                                 series: [("\(s.unit)s", all.map { units[$0] })])
        html += HTMLReport.table(header: ["step", "\(s.unit)s", "from previous", "from first", "median time from previous", "p90 time from previous"],
                                 rows: all.map { i in [step[i], SVGChart.number(units[i]), pct(fromPrevious[i]), pct(fromFirst[i]),
                                                       duration(median[i]), duration(p90[i])] })
        for b in s.by {
            let rows = (0..<t.rowCount).filter { breakdown[$0] == b }
            var levels: [String] = []
            for i in rows where !levels.contains(level[i]) { levels.append(level[i]) }
            let shown = Array(levels.prefix(SVGChart.palette.count))
            // The first step is 1 for every level: draw the later ones.
            let later = s.steps.count > 1 ? Array(s.steps.dropFirst()) : s.steps
            let series = shown.map { l in (name: l, values: later.map { st in rows.first { level[$0] == l && step[$0] == st }.map { fromFirst[$0] } ?? .nan }) }
            html += SVGChart.bars(title: "Conversion from \(s.steps.first ?? "") by \(b)" + (levels.count > shown.count ? " (largest \(shown.count) of \(levels.count))" : ""),
                                  yLabel: "share of the first step", labels: later, series: series)
        }
        if let a = abandonment, let rate = a["abandonment_rate"]?.numbers, let carts = a["units_with_cart"]?.numbers,
           let ab = a["breakdown"]?.texts, let lv = a["level"]?.texts {
            html += HTMLReport.table(header: ["breakdown", "level", "\(s.unit)s with a cart", "cart abandonment"],
                                     rows: (0..<a.rowCount).map { [ab[$0], lv[$0], SVGChart.number(carts[$0]), pct(rate[$0])] })
        }
        return html
    }

    /// Seconds as the report shows a duration: 45 s, 3.2 min, 1.5 h, 2.0 d.
    static func duration(_ s: Double) -> String {
        guard s.isFinite else { return "-" }
        if s < 60 { return String(format: "%.0f s", s) }
        if s < 3600 { return String(format: "%.1f min", s / 60) }
        if s < 86400 { return String(format: "%.1f h", s / 3600) }
        return String(format: "%.1f d", s / 86400)
    }

    static func clvCharts(_ t: Table) throws -> String {
        // CLV is heavy-tailed: a histogram of everyone is one bar. Draw the customers up to the
        // 99th percentile and say where the rest are.
        let clv = try t.numbers("clv").filter(\.isFinite).sorted()
        let p99 = clv.isEmpty ? 0 : clv[min(clv.count - 1, Int((0.99 * Double(clv.count)).rounded(.down)))]
        let shown = clv.filter { $0 <= p99 }
        var html = SVGChart.histogram(title: "CLV per customer (\(clv.count - shown.count) above \(SVGChart.number(p99)) not drawn)",
                                      xLabel: "CLV", values: shown, bins: 20)
        if t["holdout_transactions"] != nil, t["frequency"] != nil {
            let freq = try t.numbers("frequency"), predicted = try t.numbers("expected_transactions"), actual = try t.numbers("holdout_transactions")
            let groups = (0...7).map { $0 == 7 ? "7+" : String($0) }
            var sums = [[Double]](repeating: [0, 0, 0], count: 8)
            for i in freq.indices {
                let g = min(7, Int(freq[i]))
                sums[g][0] += predicted[i]; sums[g][1] += actual[i]; sums[g][2] += 1
            }
            let present = (0..<8).filter { sums[$0][2] > 0 }
            html += SVGChart.bars(title: "Holdout transactions by calibration frequency", yLabel: "mean per customer",
                                  labels: present.map { groups[$0] },
                                  series: [("predicted", present.map { sums[$0][0] / sums[$0][2] }), ("actual", present.map { sums[$0][1] / sums[$0][2] })])
        }
        return html
    }
}

/// A param value shown as text whatever its type (`{{params.seed}}` arrives as a number).
struct LooseText: Decodable {
    var text: String
    init(from d: Decoder) throws {
        let c = try d.singleValueContainer()
        if let s = try? c.decode(String.self) { text = s } else if let i = try? c.decode(Int.self) { text = String(i) } else if let x = try? c.decode(Double.self) {
            text = SVGChart.number(x)
        } else if let b = try? c.decode(Bool.self) { text = b ? "true" : "false" } else { text = "" }
    }
}
