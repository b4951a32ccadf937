import Foundation
import LoomAnalytics
import LoomCore
import Testing
@testable import LoomTasks

/// Runs built-in kinds in-process through their descriptors, as `loom exec-builtin` does, each task
/// writing into its own directory of a temporary project.
final class KindSandbox {
    let root: String
    private(set) var artifacts: [String: String] = [:]

    init() throws {
        root = NSTemporaryDirectory() + "loom-kinds-" + UUID().uuidString
        try FileSystem.makeDirectories(root)
    }

    deinit { FileSystem.removeTree(root) }

    /// Runs `kind` as task `name` with `params`, reading the artifacts of `needs`.
    @discardableResult
    func run(_ name: String, _ kind: String, _ params: [String: ParamValue], needs: [String] = [], files: [String] = []) throws -> String {
        let out = root + "/" + name
        FileSystem.removeTree(out)
        try FileSystem.makeDirectories(out)
        let context = TaskContext(inputs: needs.map { ($0, artifacts[$0] ?? root + "/" + $0) }, output: out, projectRoot: root, files: files, log: { _ in })
        guard let d = BuiltinKinds.registry[kind] else { throw KindError("no kind \(kind)") }
        try d.run(params, context)
        artifacts[name] = out
        return out
    }

    /// A hand-made artifact (a directory holding `file` with `text`), usable as a need.
    func artifact(_ name: String, file: String, _ text: String) throws {
        try FileSystem.makeDirectories(root + "/" + name)
        try FileSystem.writeAtomically(root + "/" + name + "/" + file, text)
        artifacts[name] = root + "/" + name
    }

    func table(_ task: String, _ file: String) throws -> Table { try CSV.read(artifacts[task]! + "/" + file) }

    func metrics(_ task: String) throws -> [String: Double] { Engine.readMetrics(artifacts[task]!) }

    /// The shop's front half (dags/shop.yaml's generate -> events -> clean) at a small size.
    func shop(customers: Int = 150, seed: Int = 3) throws {
        try run("generate", "generate", ["seed": .int(seed), "customers": .int(customers), "start": .string("2019-10-01"), "end": .string("2020-09-30")])
        try run("events", "ingest_events", [
            "input": .string("generate"), "file": .string("events.csv"), "user": .string("user_id"), "session": .string("user_session"),
            "event_type": .string("event_type"), "time": .string("event_time"), "time_format": .string("datetime"), "price": .string("price"),
            "product": .string("product_id"), "category": .string("category_code"), "brand": .string("brand"),
        ], needs: ["generate"])
        try run("clean", "clean", ["start": .string("2019-10-01"), "end": .string("2020-09-30")], needs: ["events"])
    }
}

/// Expects `body` to throw an error whose text contains every one of `parts`.
func expectFailure(_ parts: [String], sourceLocation: Testing.SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected an error mentioning \(parts)", sourceLocation: sourceLocation)
    } catch {
        let text = "\(error)"
        for p in parts where !text.contains(p) { Issue.record("error '\(text)' does not mention '\(p)'", sourceLocation: sourceLocation) }
    }
}

@Suite struct TrainPredictTests {
    /// `predict` with a trained model on the table it was trained from gives, for every test row,
    /// exactly the score `train` wrote for it: the saved model.json is the whole model.
    @Test(arguments: ["logistic", "gbdt"]) func predictReproducesTrainsTestScores(model: String) throws {
        let s = try KindSandbox()
        try s.shop()
        try s.run("sessions", "session_features", [:], needs: ["clean"])
        try s.run("model", "train", [
            "label": .string("label"), "ids": .list([.string("user"), .string("session")]), "group": .string("user"),
            "test_fraction": .float(0.25), "seed": .int(1), "model": .string(model), "rounds": .int(20),
        ], needs: ["sessions"])
        try s.run("scored", "predict", ["model": .string("model"), "input": .string("sessions"), "ids": .list([.string("session")])],
                  needs: ["model", "sessions"])
        let trained = try s.table("model", "predictions.csv"), scored = try s.table("scored", "predictions.csv")
        #expect(scored.rowCount == (try s.table("sessions", "sessions.csv")).rowCount)
        var scoreOf: [String: Double] = [:]
        for (id, score) in zip(try scored.texts("session"), try scored.numbers("score")) { scoreOf[id] = score }
        let ids = try trained.texts("session"), scores = try trained.numbers("score")
        #expect(!ids.isEmpty)
        // Both are the same model's arithmetic on the same row's values (CSV numbers round-trip exactly).
        for (id, score) in zip(ids, scores) { #expect(scoreOf[id] == score, "session \(id)") }
        #expect(try scored.numbers("score").allSatisfy { $0 > 0 && $0 < 1 })
        #expect(try s.metrics("scored")["rows"] == Double(scored.rowCount))
    }

    @Test func badInputsNameTheColumnOrParam() throws {
        let s = try KindSandbox()
        try s.artifact("t", file: "t.csv", "user,x,flag,label\nu1,1,a,1\nu2,2,b,1\nu3,3,a,1\nu4,4,b,1\n")
        expectFailure(["no column 'nope'", "user, x, flag, label"]) { try s.run("m", "train", ["file": .string("t.csv"), "label": .string("nope")], needs: ["t"]) }
        // Every label is 1: nothing to learn.
        expectFailure(["one class only", "every row is 1"]) { try s.run("m", "train", ["file": .string("t.csv"), "label": .string("label"), "features": .list([.string("x")])], needs: ["t"]) }
        expectFailure(["'flag' is not numeric"]) {
            try s.artifact("u", file: "t.csv", "x,flag,label\n1,a,0\n2,b,1\n3,a,0\n4,b,1\n5,a,0\n6,b,1\n")
            try s.run("m", "train", ["file": .string("t.csv"), "label": .string("label"), "features": .list([.string("x"), .string("flag")])], needs: ["u"])
        }
        // Param values are checked when the DAG is loaded, before anything runs.
        let problems = BuiltinKinds.registry["train"]!.check(["label": .string("label"), "model": .string("forest"), "test_fraction": .float(1.5)])
        #expect(problems.map(\.message) == ["param 'model' must be one of gbdt, logistic, random_forest, linear, got 'forest'", "param 'test_fraction' must be strictly between 0 and 1, got 1.5"])
    }

    @Test func predictNamesTheMissingFeatureColumns() throws {
        let s = try KindSandbox()
        try s.artifact("t", file: "t.csv", "a,b,label\n" + (0..<40).map { "\($0 % 7),\($0 % 5),\($0 % 2)" }.joined(separator: "\n") + "\n")
        try s.run("m", "train", ["file": .string("t.csv"), "label": .string("label"), "model": .string("logistic")], needs: ["t"])
        try s.artifact("new", file: "t.csv", "a,c\n1,2\n")
        expectFailure(["lacks the model's feature columns: b", "it has: a, c"]) {
            try s.run("p", "predict", ["model": .string("m"), "input": .string("new"), "file": .string("t.csv")], needs: ["m", "new"])
        }
    }
}

@Suite struct EventColumnTests {
    /// An extra column (device) travels from the user's log through ingest and clean as text
    /// ("007" stays "007") and is one-hot encoded by session_features.
    @Test func extraColumnsReachSessionFeatures() throws {
        let s = try KindSandbox()
        try s.artifact("raw", file: "log.csv", """
            uid,sid,what,when,cost,device
            a,s1,view,2019-10-01 10:00:00 UTC,5,mobile
            a,s1,view,2019-10-01 10:01:00 UTC,6,mobile
            a,s1,purchase,2019-10-01 10:02:00 UTC,6,desktop
            b,s2,view,2019-10-01 11:00:00 UTC,5,007
            c,s3,view,2019-10-01 12:00:00 UTC,5,

            """)
        try s.run("events", "ingest_events", ["input": .string("raw"), "file": .string("log.csv"), "user": .string("uid"), "session": .string("sid"),
                                              "event_type": .string("what"), "time": .string("when"), "price": .string("cost"),
                                              "extra": .list([.string("device")])], needs: ["raw"])
        try s.run("clean", "clean", [:], needs: ["events"])
        #expect(try s.table("clean", "events.csv").texts("device") == ["mobile", "mobile", "desktop", "007", ""])
        try s.run("sessions", "session_features", ["categorical": .list([.string("device")])], needs: ["clean"])
        let t = try s.table("sessions", "sessions.csv")
        // s1's pre-purchase device is mobile (the purchase event's desktop comes after); s3 has none.
        #expect(try t.texts("session") == ["s1", "s2", "s3"])
        #expect(try t.numbers("device=007") == [0, 1, 0] && t.numbers("device=mobile") == [1, 0, 0] && t.numbers("device=other") == [0, 0, 0])
        let problems = BuiltinKinds.registry["ingest_events"]!.check(["file": .string("x"), "user": .string("u"), "session": .string("s"),
                                                                      "event_type": .string("e"), "time": .string("t"), "extra": .list([.string("brand")])])
        #expect(problems.map(\.message) == ["param 'extra' names 'brand', a column events.csv already has (user, session, event_type, time, price, product, category, brand); map it with its own param"])
    }
}

@Suite struct EvaluateKindTests {
    /// Hand-computed: labels 0 0 1 1 with scores 0.1 0.4 0.35 0.8. Of the 4 (positive, negative)
    /// pairs, 3 are ordered right: AUC 0.75. AP: positives at ranks 1 (0.8) and 3 (0.35), precision
    /// 1/1 and 2/3: AP = (1 + 2/3) / 2 = 0.8333. At threshold 0.5: one true positive, no false
    /// positive, accuracy 3/4.
    @Test func classifierMetricsMatchAHandComputedCase() throws {
        let s = try KindSandbox()
        try s.artifact("m", file: "predictions.csv", "label,score\n0,0.1\n0,0.4\n1,0.35\n1,0.8\n")
        try s.run("e", "evaluate", [:], needs: ["m"])
        let m = try s.metrics("e")
        #expect(m["auc"] == 0.75)
        #expect(abs((m["average_precision"] ?? 0) - 5.0 / 6.0) < 1e-12)  // one division's rounding
        #expect(m["accuracy"] == 0.75)
        #expect(m["baseline.majority_accuracy"] == 0.5)
    }

    @Test func unknownPredictionsAreRejectedWithTheirColumns() throws {
        let s = try KindSandbox()
        try s.artifact("m", file: "predictions.csv", "a,b\n1,2\n")
        expectFailure(["has neither label and score", "columns: a, b"]) { try s.run("e", "evaluate", [:], needs: ["m"]) }
    }
}

@Suite struct SegmentKindTests {
    @Test func kmeansSegmentsEveryCustomerAndRejectsKAboveTheRows() throws {
        let s = try KindSandbox()
        try s.shop()
        try s.run("customers", "customer_features", ["calibration_end": .string("2020-06-30"), "holdout_end": .string("2020-09-30")], needs: ["clean"])
        let customers = try s.table("customers", "customers.csv")
        try s.run("segments", "kmeans", [
            "columns": .list([.string("frequency"), .string("recency"), .string("T")]), "log1p": .list([.string("frequency")]),
            "ids": .list([.string("customer")]), "k": .int(3), "seed": .int(1), "n_init": .int(3),
        ], needs: ["customers"])
        let segments = try s.table("segments", "segments.csv")
        #expect(segments.rowCount == customers.rowCount)
        #expect(try segments.texts("customer") == customers.texts("customer"))
        #expect(Set(try segments.numbers("segment")).count == 3)
        expectFailure(["'k' is 5", "number of rows (2)"]) {
            try s.artifact("tiny", file: "customers.csv", "customer,frequency\na,1\nb,2\n")
            try s.run("seg2", "kmeans", ["columns": .list([.string("frequency")]), "k": .int(5)], needs: ["tiny"])
        }
    }
}
