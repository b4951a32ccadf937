import Foundation
import LoomAnalytics
import LoomCore
import Testing
@testable import LoomTasks

@Suite struct RecommendKindTests {
    /// RecommendTests' hand example as a canonical event table: the split day 1970-01-02 starts at
    /// t = 86400, so the test events are shifted there.
    static var events: String {
        "user,session,event_type,time,product\n" + RecommendTests_events.map { u, i, t, time in
            "\(u),s,\(t),\(time < 100 ? time : 86400 + time),\(i)"
        }.joined(separator: "\n") + "\n"
    }
    static let split: [String: ParamValue] = ["split": .string("1970-01-02"), "weights": .map(["view": .float(1), "purchase": .float(3)]), "k": .int(2),
                                                 "shrinkage": .float(0)]

    @Test func writesListsEvaluationAndMetrics() throws {
        let s = try KindSandbox()
        try s.artifact("ev", file: "events.csv", Self.events)
        try s.run("r", "recommend", Self.split, needs: ["ev"])
        let recs = try String(contentsOfFile: s.artifacts["r"]! + "/recommendations.csv", encoding: .utf8)
        let lines = recs.split(separator: "\n").map { $0.split(separator: ",").prefix(3).joined(separator: ",") }
        #expect(lines == ["user,rank,item", "u1,1,b", "u1,2,c", "u2,1,b", "u2,2,a", "u3,1,e", "u3,2,b", "u4,1,d", "u4,2,c"])
        let e = try s.table("r", "evaluation.csv")
        #expect(try e.texts("method") == ["item_item", "popularity"])
        #expect(try e.numbers("users") == [3, 3])
        let m = try s.metrics("r")
        #expect(m["users.training"] == 4 && m["users.evaluated"] == 3 && m["users.cold"] == 1 && m["catalogue"] == 5)
        // 1e-12: see RecommendTests.metricsMatchTheHandValues.
        #expect(abs(m["item_item.recall"]! - 5.0 / 6) < 1e-12 && abs(m["popularity.map"]! - 1.0 / 3) < 1e-12)
        #expect(m["item_item.coverage"] == 0.8 && m["popularity.coverage"] == 0.6)
        let json = try ArtifactFiles.readJSON(RecommendKind.Summary.self, s.artifacts["r"]! + "/recommend.json")
        #expect(json.format == "loom-recommend 1" && json.methods == ["item_item", "popularity"] && json.coldUsers == 1)
        // Both recommenders: ALS rows come second, and the first method still writes the lists.
        var both = Self.split
        both["methods"] = .list([.string("item_item"), .string("als")])
        try s.run("r2", "recommend", both, needs: ["ev"])
        #expect(try s.table("r2", "evaluation.csv").texts("method") == ["item_item", "als", "popularity"])
        #expect(try String(contentsOfFile: s.artifacts["r2"]! + "/recommendations.csv", encoding: .utf8) == recs)
    }

    @Test func hostileInputsFailClearly() throws {
        let s = try KindSandbox()
        try s.artifact("empty", file: "events.csv", "user,session,event_type,time,product\n")
        expectFailure(["empty/events.csv has no events"]) { try s.run("r", "recommend", Self.split, needs: ["empty"]) }
        try s.artifact("ev", file: "events.csv", Self.events)
        var typo = Self.split
        typo["weights"] = .map(["view": .float(1), "purchse": .float(3)])
        expectFailure(["param 'weights' names 'purchse', which no event in ev/events.csv has; event types: purchase, remove_from_cart, view",
                       "did you mean 'purchase'?"]) {
            try s.run("r", "recommend", typo, needs: ["ev"])
        }
        var early = Self.split
        early["split"] = .string("1969-12-01")
        expectFailure(["no event of a weighted type (purchase, view) before split 1969-12-01: nothing to train on; the events span 1970-01-01 to 1970-01-02"]) {
            try s.run("r", "recommend", early, needs: ["ev"])
        }
        var late = Self.split
        late["split"] = .string("1971-01-01")
        expectFailure(["no 'purchase' event on or after split 1971-01-01: nothing to test on"]) { try s.run("r", "recommend", late, needs: ["ev"]) }
        var noItem = Self.split
        noItem["item"] = .string("sku")
        expectFailure(["ev/events.csv has no column 'sku' (param 'item'); columns: user, session"]) { try s.run("r", "recommend", noItem, needs: ["ev"]) }
        // Only u5 buys after the split, and u5 has no training event: nobody to evaluate.
        try s.artifact("cold", file: "events.csv", "user,session,event_type,time,product\nu1,s,view,0,a\nu5,s,purchase,90000,a\n")
        expectFailure(["no user has both a training event before split 1970-01-02 and a test purchase after it"]) {
            try s.run("r", "recommend", Self.split, needs: ["cold"])
        }
        // A click log without products: nothing to recommend.
        try s.artifact("noproducts", file: "events.csv", "user,session,event_type,time,product\nu1,s,view,0,\nu1,s,purchase,90000,\n")
        expectFailure(["noproducts/events.csv: every event has an empty user or 'product' (param 'item'): nothing to recommend"]) {
            try s.run("r", "recommend", Self.split, needs: ["noproducts"])
        }
        let check = BuiltinKinds.registry["recommend"]!.check
        #expect(check(["split": .string("2020-01-01"), "k": .int(0)]).map(\.message) == ["param 'k' must be between 1 and 1000000, got 0"])
        #expect(check(["split": .string("2020-01-01"), "k": .int(Int.max)]).map(\.message) == ["param 'k' must be between 1 and 1000000, got \(Int.max)"])
        #expect(check(["split": .string("2020-01-01"), "weights": .map(["view": .float(-1)])]).map(\.message)
                == ["param 'weights.view' must be > 0, got -1.0 (leave a type out to ignore it)"])
        #expect(check(["split": .string("2020-01-01"), "weights": .map([:])]).map(\.message) == ["param 'weights' must give at least one event type a weight"])
        #expect(check(["split": .string("2020-01-01"), "methods": .list([.string("popularity")])]).map(\.message)
                == ["param 'methods' names 'popularity': expected one of item_item, als (popularity is always evaluated)"])
        #expect(check(["split": .string("2020-02-30")]).map(\.message) == ["param 'split' must be a date like 2019-10-01, got '2020-02-30'"])
        #expect(check([:]).map(\.message).first?.contains("split") == true)
    }

    /// The generated shop with taste groups: customers of a group view (so cart and buy) products
    /// of their group's categories 80% of the time, and product popularity is Zipf(0.6). A
    /// recommender that learns the groups beats popularity on every metric by a clear margin:
    /// measured (418 users evaluated) NDCG@10 item-item 0.181, ALS 0.182, popularity 0.106 (1.7x);
    /// precision 0.050 / 0.050 / 0.028, recall 0.268 / 0.275 / 0.164, MAP 0.127 / 0.127 / 0.073,
    /// so the bound 1.5x leaves room for another seed. Without groups there is nothing to learn
    /// but popularity, and popularity wins or ties: measured NDCG popularity 0.089, item-item
    /// 0.086, ALS 0.085 (MAP 0.058 / 0.055 / 0.055); the bound allows 10% (about the noise between
    /// equal methods on ~430 users: on dags/recommend.yaml's data without groups item-item's NDCG
    /// is 1% above popularity's).
    @Test func beatsPopularityOnlyWhereTastesArePlanted() throws {
        func evaluate(groups: Int) throws -> [String: Double] {
            let s = try KindSandbox()
            try s.run("generate", "generate", ["seed": .int(5), "customers": .int(1500), "products": .int(400), "start": .string("2019-10-01"),
                                               "end": .string("2020-09-30"), "taste_groups": .int(groups), "product_skew": .float(0.6)])
            try s.run("events", "ingest_events", [
                "input": .string("generate"), "file": .string("events.csv"), "user": .string("user_id"), "session": .string("user_session"),
                "event_type": .string("event_type"), "time": .string("event_time"), "time_format": .string("datetime"),
                "product": .string("product_id"),
            ], needs: ["generate"])
            try s.run("r", "recommend", ["split": .string("2020-06-01"), "methods": .list([.string("item_item"), .string("als")])], needs: ["events"])
            return try s.metrics("r")
        }
        let planted = try evaluate(groups: 4)
        for method in ["item_item", "als"] {
            for metric in ["precision", "recall", "ndcg", "map"] {
                let r = planted["\(method).\(metric)"]!, p = planted["popularity.\(metric)"]!
                #expect(r > 1.5 * p, "\(method) \(metric) \(r) vs popularity \(p)")
            }
        }
        let flat = try evaluate(groups: 0)
        for method in ["item_item", "als"] {
            let r = flat["\(method).ndcg"]!, p = flat["popularity.ndcg"]!
            #expect(p >= 0.9 * r, "\(method) ndcg \(r) vs popularity \(p) without tastes")
        }
    }
}

/// The hand example's events (user, item, type, time), shared with the analytics tests' copy.
let RecommendTests_events: [(String, String, String, Double)] = [
    ("u1", "a", "purchase", 1), ("u1", "b", "view", 2),
    ("u2", "a", "view", 3), ("u2", "b", "view", 4), ("u2", "c", "view", 5),
    ("u3", "c", "view", 6), ("u3", "d", "view", 7), ("u3", "e", "remove_from_cart", 8),
    ("u4", "d", "view", 9), ("u4", "e", "purchase", 10),
    ("u1", "c", "purchase", 100), ("u2", "d", "purchase", 101), ("u2", "a", "purchase", 102), ("u3", "e", "purchase", 103),
    ("u4", "e", "purchase", 104), ("u5", "a", "purchase", 105), ("u3", "a", "view", 106),
]
