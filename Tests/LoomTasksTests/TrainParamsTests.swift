import LoomCore
import Testing
@testable import LoomTasks

@Suite struct TrainParamsTests {
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

        let predict = try #require(BuiltinKinds.registry["predict"])
        let q: [String: ParamValue] = ["model": .string("m"), "input": .string("f"), "ids": .list([.string("label"), .string("score")])]
        #expect(predict.check(q).map(\.message) == ["param 'ids' may not name 'score': predictions.csv has its own 'score' column"])
        #expect(predict.check(q).map(\.param) == ["ids"])
    }
}
