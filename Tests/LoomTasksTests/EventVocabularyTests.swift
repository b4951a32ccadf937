import Foundation
import LoomAnalytics
import LoomCore
import Testing
@testable import LoomTasks

/// A clickstream whose vocabulary is not the shop's (Tests/Fixtures/clickstream.csv: twelve event
/// types, prices on three, the purchase named `order_placed`, same-second events of different
/// types, no price on one order, one exact duplicate) through ingest_events, clean,
/// session_features and train; and every new param's hostile values.
@Suite struct EventVocabularyTests {
    static var fixture: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path + "/Fixtures/clickstream.csv"
    }

    static let vocabulary: [String: ParamValue] = [
        "label_event": .string("order_placed"), "view_events": .list([.string("product_view")]), "cart_events": .list([.string("add_to_cart")]),
        "remove_events": .list([.string("remove_item")]), "price_events": .list([.string("product_view"), .string("add_to_cart")]),
    ]

    static func ingest(_ s: KindSandbox) throws {
        try s.artifact("raw", file: "log.csv", try String(contentsOfFile: fixture, encoding: .utf8))
        try s.run("events", "ingest_events", ["input": .string("raw"), "file": .string("log.csv"), "user": .string("visitor"), "session": .string("visit"),
                                              "event_type": .string("action"), "time": .string("ts"), "time_format": .string("epoch"),
                                              "price": .string("amount")], needs: ["raw"])
    }

    @Test func cleanKeepsWhatTheOldRulesDestroyedAndCountsEveryReason() throws {
        let s = try KindSandbox()
        try Self.ingest(s)
        // The old rules with the purchase named: the unpriced order goes, and so does its label.
        try s.run("strict", "clean", ["purchase_event": .string("order_placed")], needs: ["events"])
        #expect(try s.metrics("strict") == ["rows_in": 22, "rows_out": 20, "dropped.duplicate": 1, "dropped.purchase_without_price": 1,
                                            "dropped.missing_id": 0, "dropped.negative_price": 0, "dropped.outside_range": 0])
        try s.run("clean", "clean", ["purchase_event": .string("order_placed"), "purchase_needs_price": .bool(false)], needs: ["events"])
        #expect(try s.metrics("clean")["rows_out"] == 21)
        // Same-second events of different types survive (s_a's 1020 and 1050 pairs, s_b's 70010 pair).
        let t = try s.table("clean", "events.csv")
        #expect(try zip(t.numbers("time"), t.texts("event_type")).filter { [1020, 1050, 70010].contains($0.0) }.map(\.1)
                == ["product_view", "add_to_cart", "checkout_start", "payment_error", "wishlist", "add_to_cart"])
        var params = Self.vocabulary
        params["event_types"] = .list([.string("search"), .string("add_to_cart"), .string("product_view")])
        params["type_positions"] = .bool(true)
        try s.run("sessions", "session_features", params, needs: ["clean"])
        let f = try s.table("sessions", "sessions.csv")
        // Hand-computed in EventVocabularyFeaturesTests; here through the kinds, from the CSV.
        #expect(try f.texts("session") == ["s_a", "s_b", "s_c", "s_d"])
        #expect(try f.numbers("label") == [1, 0, 1, 0])
        #expect(try f.numbers("count.search") == [1, 0, 1, 0])
        #expect(try f.numbers("count.product_view") == [2, 2, 0, 0])
        #expect(try f.numbers("last.product_view") == [5, 6, 0, 0])
        #expect(try f.numbers("mean_price") == [80.0 / 3, 10, 0, 0])
        #expect(f.names.firstIndex(of: "count.search")! < f.names.firstIndex(of: "count.add_to_cart")!)
        // The report shows the drops per reason.
        try s.run("report", "report", [:], needs: ["strict"])
        let html = try String(contentsOfFile: s.root + "/report/report.html", encoding: .utf8)
        #expect(html.contains("Cleaning (strict)") && html.contains("<td>purchase without price</td><td>1</td><td>4.55%</td>"))
    }

    /// customer_features takes its transactions from the event named by purchase_event (the shop's
    /// 'purchase' before): u1's priced order is one transaction; u2's order has no price.
    @Test func customerFeaturesTakeTheNamedPurchaseEvent() throws {
        let s = try KindSandbox()
        try Self.ingest(s)
        try s.run("clean", "clean", ["purchase_event": .string("order_placed"), "purchase_needs_price": .bool(false)], needs: ["events"])
        let dates: [String: ParamValue] = ["calibration_end": .string("1970-01-02"), "holdout_end": .string("1970-01-09")]
        expectFailure(["clean/events.csv has no 'purchase' events to take as transactions", "order_placed", "param purchase_event"]) {
            try s.run("customers0", "customer_features", dates, needs: ["clean"])
        }
        var params = dates
        params["purchase_event"] = .string("order_placed")
        try s.run("customers", "customer_features", params, needs: ["clean"])
        let t = try s.table("customers", "customers.csv")
        #expect(try t.texts("customer") == ["u1"])
        #expect(try t.numbers("frequency") == [0])
        #expect(try t.numbers("calibration_spend") == [60])
    }

    @Test func anUnknownListedTypeIsAClearError() throws {
        let s = try KindSandbox()
        try Self.ingest(s)
        try s.run("clean", "clean", ["purchase_event": .string("order_placed"), "purchase_needs_price": .bool(false)], needs: ["events"])
        var params = Self.vocabulary
        params["event_types"] = .list([.string("search"), .string("add_to_kart")])
        expectFailure(["param 'event_types' names add_to_kart, which no event in clean/events.csv has",
                       "add_to_cart, checkout_start, coupon_applied, logout, order_placed, page_view", "absent_types: zero"]) {
            try s.run("sessions", "session_features", params, needs: ["clean"])
        }
        params["absent_types"] = .string("zero")
        try s.run("sessions", "session_features", params, needs: ["clean"])
        #expect(try s.table("sessions", "sessions.csv").numbers("count.add_to_kart") == [0, 0, 0, 0])
        expectFailure(["param 'duplicate_columns' names 'device': expected columns of the event table (user, session, event_type"]) {
            try s.run("clean2", "clean", ["duplicate_columns": .list([.string("user"), .string("device")])], needs: ["events"])
        }
    }

    /// Problems found when the DAG is loaded, one per hostile value, each naming its param.
    @Test(arguments: [
        ("session_features", ["event_types": ParamValue.list([])], "param 'event_types' must name at least one event type, got [] (leave it unset for no per-type columns)"),
        ("session_features", ["cart_events": .list([])], "param 'cart_events' must name at least one event type, got [] (a type no event has counts nothing)"),
        ("session_features", ["event_types": .list([.string("purchase")])], "param 'event_types' names 'purchase', the label event (label_event): features use only the events before it, so it never counts"),
        ("session_features", ["event_types": .list([.string("a"), .string("a")])], "param 'event_types' names 'a' twice"),
        ("session_features", ["event_types": .list([.string("a")]), "all_event_types": .bool(true)], "give either 'event_types' (these types) or 'all_event_types: true' (every type), not both"),
        ("session_features", ["type_positions": .bool(true)], "param 'type_positions' needs per-type columns: set 'event_types' or 'all_event_types: true'"),
        ("session_features", ["label_event": .string("")], "param 'label_event' must name an event type, got ''"),
        ("session_features", ["absent_types": .string("skip")], "param 'absent_types' must be fail or zero, got 'skip'"),
        ("clean", ["duplicate_columns": .list([])], "param 'duplicate_columns' must name at least one column of the event table, got []"),
        ("clean", ["duplicate_columns": .list([.string("time"), .string("time")])], "param 'duplicate_columns' names 'time' twice"),
        ("clean", ["purchase_event": .string("")], "param 'purchase_event' must name an event type, got ''"),
        ("train", ["label": .string("y"), "model": .string("logistic"), "C": .float(0)], "param 'C' must be > 0, got 0.0"),
        ("train", ["label": .string("y"), "model": .string("logistic"), "C": .float(-1)], "param 'C' must be > 0, got -1.0"),
        ("train", ["label": .string("y"), "C": .float(1)], "param 'C' is for model: logistic (gbdt takes l2)"),
        ("train", ["label": .string("y"), "model": .string("logistic"), "C": .float(1), "l2": .float(0.1)], "give either 'C' or 'l2', not both (C = 1/(2 n l2))"),
        ("train", ["label": .string("y"), "train_rows": .int(10)], "param 'train_rows' needs split: ordered (the first train_rows rows train)"),
        ("train", ["label": .string("y"), "split": .string("ordered"), "train_rows": .int(0)], "param 'train_rows' must be >= 1, got 0"),
        ("train", ["label": .string("y"), "split": .string("ordered"), "group": .string("user")], "param 'group' does not go with split: ordered (the order of the rows decides)"),
        ("train", ["label": .string("y"), "split": .string("by_time")], "param 'split' must be random or ordered, got 'by_time'"),
        ("train", ["label": .string("y"), "split_column": .string("fold"), "train_value": .string("a"), "test_value": .string("a")], "params 'train_value' and 'test_value' are both 'a'; they must differ"),
        ("train", ["label": .string("y"), "project_file": .string("t.csv"), "input": .string("x")], "give either 'project_file' (a project CSV) or 'input' (a needed task), not both"),
        ("kmeans", ["columns": .list([.string("a")]), "k": .int(2), "transforms": .map(["b": .string("none")])], "param 'transforms' names 'b', which is not in 'columns' (a)"),
        ("kmeans", ["columns": .list([.string("a")]), "k": .int(2), "transforms": .map(["a": .string("log")])], "param 'transforms' gives 'a' the transform 'log'; expected one of none, log1p, standardise, log1p_standardise"),
        ("kmeans", ["columns": .list([.string("a")]), "k": .int(2), "log1p": .list([.string("a")]), "transforms": .map(["a": .string("none")])], "column 'a' is in both 'log1p' and 'transforms'; give its transform in one place"),
        ("kmeans", ["columns": .list([.string("a")]), "k": .int(2), "silhouette_sample": .int(1)], "param 'silhouette_sample' must be >= 2, got 1"),
        ("kmeans", ["columns": .list([.string("a")]), "k": .int(2), "project_file": .string("t.csv"), "input": .string("x")],
         "give either 'project_file' (a project CSV) or 'input' (a needed task), not both"),
        ("kmeans", ["columns": .list([.string("a")]), "k": .int(2), "project_file": .int(3)], "param 'project_file' must be string, got 3"),
        ("train", ["label": .string("y"), "model": .string("logistic"), "tolerance": .float(-1e-6)], "param 'tolerance' must be > 0, got -1e-06"),
        ("train", ["label": .string("y"), "model": .string("logistic"), "tolerance": .float(0)], "param 'tolerance' must be > 0, got 0.0"),
        ("train", ["label": .string("y"), "model": .string("logistic"), "tolerance": .float(.nan)], "param 'tolerance' must be > 0, got null"),
        ("train", ["label": .string("y"), "model": .string("logistic"), "tolerance": .float(.infinity)], "param 'tolerance' must be a finite number, got null"),
        // What YAML gives for `.nan` and `nan` (strings: ParamValue reads only finite numbers as floats).
        ("train", ["label": .string("y"), "model": .string("logistic"), "tolerance": .string(".nan")], "param 'tolerance' must be float, got \".nan\""),
        ("train", ["label": .string("y"), "tolerance": .float(1e-6)], "param 'tolerance' is for model: logistic (the Newton solver's stopping rule)"),
    ] as [(String, [String: ParamValue], String)])
    func hostileParamsAreRefusedByName(kind: String, params: [String: ParamValue], message: String) throws {
        let problems = try #require(BuiltinKinds.registry[kind]).check(params)
        #expect(problems.map(\.message) == [message])
    }

    @Test func splitColumnWithAThirdValueAndTooManyTrainRowsAreClearErrors() throws {
        let s = try KindSandbox()
        let rows = (0..<12).map { "\($0 % 5),\($0 % 2),\(["a", "b", "c"][$0 % 3])" }
        try s.artifact("t", file: "t.csv", "x,y,fold\n" + rows.joined(separator: "\n") + "\n")
        expectFailure(["param 'split_column': column 'fold' of t/t.csv holds 'c' besides 'a' (train_value) and 'b' (test_value); expected only those two values"]) {
            try s.run("m", "train", ["file": .string("t.csv"), "label": .string("y"), "split_column": .string("fold"), "train_value": .string("a"),
                                     "test_value": .string("b"), "features": .list([.string("x")])], needs: ["t"])
        }
        expectFailure(["param 'train_rows' is 12 but t/t.csv has 12 rows; it must be less, so that test rows remain"]) {
            try s.run("m", "train", ["file": .string("t.csv"), "label": .string("y"), "split": .string("ordered"), "train_rows": .int(12),
                                     "features": .list([.string("x")])], needs: ["t"])
        }
        // Any two values: a numeric-looking fold column (0/1) is read as text.
        try s.artifact("u", file: "t.csv", "x,y,fold\n" + (0..<12).map { "\($0 % 5),\($0 % 2),\($0 < 8 ? 0 : 1)" }.joined(separator: "\n") + "\n")
        try s.run("m", "train", ["file": .string("t.csv"), "label": .string("y"), "split_column": .string("fold"), "train_value": .string("0"),
                                 "test_value": .string("1"), "model": .string("logistic")], needs: ["u"])
        #expect(try s.metrics("m")["train_rows"] == 8 && s.metrics("m")["test_rows"] == 4 && s.metrics("m")["features"] == 1)
    }

    // scikit-learn 1.9.1 (numpy 2.4.6), computed once in a venv with this script; it also printed
    // the table below:
    //   rng = np.random.default_rng(12); n = 30
    //   X = np.round(np.column_stack([rng.normal(0, 1, n), rng.uniform(0, 5, n)]), 2)
    //   eta = 0.3 + 1.1 * X[:, 0] - 0.6 * (X[:, 1] - 2.5)
    //   y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(int)
    //   sc = StandardScaler().fit(X[:24])
    //   m = LogisticRegression(C=0.5, tol=1e-12, max_iter=10000, solver="newton-cholesky").fit(sc.transform(X[:24]), y[:24])
    //   b = m.coef_[0] / sc.scale_; b0 = m.intercept_[0] - np.sum(m.coef_[0] * sc.mean_ / sc.scale_)
    //   -> b0 = 1.2448644804083122, b = [0.9786992869935509, -0.3673686296647952]
    static let table = """
        x1,x2,const,label
        -0.01,3.96,1,0
        1.05,3.31,1,1
        0.74,3.89,1,1
        0.72,1.01,1,1
        1.62,0.67,1,1
        -1.21,3.82,1,0
        -0.63,0.1,1,1
        -1.32,4.73,1,0
        -0.11,0.68,1,0
        1.0,3.0,1,1
        -0.02,2.1,1,1
        0.5,1.62,1,1
        -1.91,0.85,1,0
        0.15,3.9,1,0
        -0.91,4.57,1,0
        1.78,3.64,1,0
        0.89,3.0,1,1
        0.95,3.56,1,1
        -0.06,2.68,1,1
        0.61,2.79,1,1
        0.66,4.53,1,1
        -0.34,1.41,1,0
        -0.5,1.11,1,1
        -0.11,4.73,1,0
        -0.61,4.72,1,1
        -0.59,2.38,1,0
        -0.28,4.0,1,0
        -0.73,3.72,1,0
        0.77,4.75,1,0
        -1.6,0.41,1,0

        """

    /// `C` as scikit-learn means it, on a project file read directly, the first 24 rows training;
    /// the constant column is left out with a warning instead of failing the fit.
    @Test func logisticCMatchesScikitLearnOnAProjectFile() throws {
        let s = try KindSandbox()
        try FileSystem.writeAtomically(s.root + "/data.csv", Self.table)
        try s.run("m", "train", ["project_file": .string("data.csv"), "label": .string("label"), "model": .string("logistic"), "C": .float(0.5),
                                 "split": .string("ordered"), "train_rows": .int(24)])
        let model = try ArtifactFiles.readJSON(TrainedModel.self, s.root + "/m/model.json")
        let m = try #require(model.logistic)
        #expect(m.featureNames == ["x1", "x2"])
        // Tolerance 1e-9: both Newton solvers stop at gradients of 1e-10 to 1e-12 on an O(0.1) Hessian
        // (as LogisticRegressionTests.matchesScikitLearnWithPenalty); l2 = 1/(2 C n) adds one rounding.
        #expect(abs(m.intercept - 1.2448644804083122) < 1e-9, "\(m.intercept)")
        #expect(abs(m.coefficients[0] - 0.9786992869935509) < 1e-9, "\(m.coefficients)")
        #expect(abs(m.coefficients[1] - -0.3673686296647952) < 1e-9, "\(m.coefficients)")
        let l2: Double = 1 / (2 * 0.5 * 24)
        #expect(m.config.l2 == l2)
        let metrics = try s.metrics("m")
        #expect(metrics["constant_features_dropped"] == 1 && metrics["train_rows"] == 24 && metrics["test_rows"] == 6)
        #expect(try s.table("m", "importance.csv").texts("feature") == ["x1", "x2"])
    }

    /// `tolerance` reaches the Newton solver: a loose one stops in fewer iterations, and is saved in
    /// model.json; unset, the fit is the default's (1e-10) bit for bit.
    @Test func logisticToleranceReachesTheSolver() throws {
        let s = try KindSandbox()
        try FileSystem.writeAtomically(s.root + "/data.csv", Self.table)
        let base: [String: ParamValue] = ["project_file": .string("data.csv"), "label": .string("label"), "model": .string("logistic"), "C": .float(0.5),
                                          "split": .string("ordered"), "train_rows": .int(24)]
        try s.run("default", "train", base)
        try s.run("tight", "train", base.merging(["tolerance": .float(1e-10)]) { _, b in b })
        try s.run("loose", "train", base.merging(["tolerance": .float(0.05)]) { _, b in b })
        func model(_ task: String) throws -> LogisticRegressionModel {
            try #require(ArtifactFiles.readJSON(TrainedModel.self, s.root + "/\(task)/model.json").logistic)
        }
        let (d, t, l) = (try model("default"), try model("tight"), try model("loose"))
        #expect(d.config.tolerance == 1e-10 && l.config.tolerance == 0.05)
        #expect(d.coefficients.map(\.bitPattern) == t.coefficients.map(\.bitPattern) && d.iterations == t.iterations)
        #expect(l.converged && l.iterations < d.iterations, "\(l.iterations) vs \(d.iterations)")
        // Stopped early, but near: within the loose tolerance's reach of the optimum on O(1) coefficients.
        #expect(zip(l.coefficients, d.coefficients).allSatisfy { abs($0 - $1) < 0.5 })
    }

    /// kmeans reads a project file itself (no `cp` shell task, no second copy in the store), and
    /// clusters it as it clusters the same table from a needed task.
    @Test func kmeansReadsAProjectFile() throws {
        let s = try KindSandbox()
        let text = "id,a,b\n" + (0..<40).map { "r\($0),\(Double($0 % 4) * 10),\($0 % 7)" }.joined(separator: "\n") + "\n"
        try FileSystem.makeDirectories(s.root + "/data")
        try FileSystem.writeAtomically(s.root + "/data/t.csv", text)
        try s.artifact("t", file: "t.csv", text)
        let params: [String: ParamValue] = ["columns": .list([.string("a"), .string("b")]), "k": .int(4), "seed": .int(1), "ids": .list([.string("id")])]
        try s.run("direct", "kmeans", params.merging(["project_file": .string("data/t.csv")]) { _, b in b }, files: ["data/t.csv"])
        try s.run("needed", "kmeans", params.merging(["file": .string("t.csv")]) { _, b in b }, needs: ["t"])
        for file in ["segments.csv", "centres.csv", "model.json", "metrics.json"] {
            #expect(FileManager.default.contentsEqual(atPath: s.root + "/direct/" + file, andPath: s.root + "/needed/" + file), "\(file)")
        }
        expectFailure(["no file 'data/nope.csv' in the project"]) {
            try s.run("missing", "kmeans", params.merging(["project_file": .string("data/nope.csv")]) { _, b in b })
        }
    }

    /// Per-column transforms: a column left as is keeps mean 0 and scale 1 in model.json, so its
    /// centres are in its own units; the silhouette sample size is honoured (2 rows of 40 -> a
    /// score from the sample, different from the exact one).
    @Test func kmeansTransformsAndSilhouetteSample() throws {
        let s = try KindSandbox()
        try s.artifact("t", file: "t.csv", "id,a,b\n" + (0..<40).map { "r\($0),\(Double($0 % 4) * 10),\($0 % 7)" }.joined(separator: "\n") + "\n")
        try s.run("k", "kmeans", ["file": .string("t.csv"), "columns": .list([.string("a"), .string("b")]), "k": .int(4), "seed": .int(1),
                                  "transforms": .map(["a": .string("none"), "b": .string("log1p")])], needs: ["t"])
        let json = try JSON.parse(FileSystem.readBytes(s.root + "/k/model.json"))
        #expect(json["scaling"]?["means"]?.array?.compactMap(\.double) == [0, 0])
        #expect(json["scaling"]?["stds"]?.array?.compactMap(\.double) == [1, 1])
        #expect(json["scaling"]?["log1p"]?.array?.compactMap(\.bool) == [false, true])
        // Unscaled a (0..30) dominates b (log1p 0..6 = 0..1.95): the four segments are a's four values.
        #expect(Set(try s.table("k", "centres.csv").numbers("a")) == [0, 10, 20, 30])
        let exact = try #require(s.metrics("k")["silhouette"])
        try s.run("k2", "kmeans", ["file": .string("t.csv"), "columns": .list([.string("a"), .string("b")]), "k": .int(4), "seed": .int(1),
                                   "transforms": .map(["a": .string("none"), "b": .string("log1p")]), "silhouette_sample": .int(8)], needs: ["t"])
        #expect(try s.metrics("k2")["silhouette"] != exact)
    }
}
