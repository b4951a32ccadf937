import LoomCore
import Testing
@testable import LoomTasks

@Suite struct ColumnNameParamsTests {
    /// `ids` naming a column the kind writes itself tripped Table's precondition (a crash) at run
    /// time; it is now a param problem, reported when the DAG is validated.
    @Test func idsMayNotNameAWrittenColumnOrRepeat() throws {
        let train = try #require(BuiltinKinds.registry["train"])
        let base: [String: ParamValue] = ["input": .string("f"), "file": .string("x.csv"), "label": .string("y")]
        var p = base
        p["ids"] = .list([.string("label"), .string("user"), .string("score"), .string("user")])
        #expect(train.check(p).map(\.message) == [
            "param 'ids' may not name 'label': predictions.csv has its own 'label' column",
            "param 'ids' may not name 'score': predictions.csv has its own 'score' column",
            "param 'ids' names 'user' twice",
        ])
        p["ids"] = .list([.string("user"), .string("session")])
        #expect(train.check(p).isEmpty)
        // A regression writes prediction instead of score.
        let regression = base.merging(["objective": .string("regression"), "ids": .list([.string("prediction"), .string("score")])]) { a, _ in a }
        #expect(train.check(regression).map(\.message) == ["param 'ids' may not name 'prediction': predictions.csv has its own 'prediction' column"])

        let predict = try #require(BuiltinKinds.registry["predict"])
        let q: [String: ParamValue] = ["model": .string("m"), "input": .string("f"), "ids": .list([.string("label"), .string("score")])]
        #expect(predict.check(q).map(\.message) == ["param 'ids' may not name 'score': predictions.csv has its own 'score' column"])
        #expect(predict.check(q).map(\.param) == ["ids"])
        let r: [String: ParamValue] = ["model": .string("m"), "input": .string("f"), "ids": .list([.string("prediction")])]
        #expect(predict.check(r).map(\.message) == ["param 'ids' may not name 'prediction': predictions.csv has its own 'prediction' column"])
    }

    /// The same for kmeans (ids beside segment; columns beside segment and size in centres.csv)
    /// and session_features (categorical names make NAME=LEVEL columns).
    @Test func kmeansAndSessionFeaturesNamesCannotCollide() throws {
        let kmeans = try #require(BuiltinKinds.registry["kmeans"])
        let k: [String: ParamValue] = ["k": .int(3), "columns": .list([.string("size"), .string("x"), .string("x")]), "ids": .list([.string("segment")])]
        #expect(kmeans.check(k).map(\.message) == [
            "param 'ids' may not name 'segment': segments.csv has its own 'segment' column",
            "param 'columns' may not name 'size': centres.csv has its own 'size' column",
            "param 'columns' names 'x' twice",
        ])
        let sessions = try #require(BuiltinKinds.registry["session_features"])
        let s: [String: ParamValue] = ["categorical": .list([.string("brand"), .string("brand"), .string("a=b")])]
        #expect(sessions.check(s).map(\.message) == [
            "param 'categorical' names 'brand' twice",
            "param 'categorical' names 'a=b': a name with '=' would make one-hot column names ambiguous",
        ])
    }
}

@Suite struct ParamBoundsTests {
    /// A period count near Int.max made `clv` loop for minutes; it is bounded where it is declared.
    @Test func clvPeriodsAreBounded() throws {
        let clv = try #require(BuiltinKinds.registry["clv"])
        #expect(clv.check(["clv_periods": .int(Int.max)]).map(\.param) == ["clv_periods"])
        #expect(clv.check(["clv_periods": .int(1200)]).isEmpty)
        #expect(clv.check(["clv_periods": .int(0)]).map(\.param) == ["clv_periods"])
    }
}
