import Foundation
import LoomAnalytics
import LoomCore

/// `recommend`: implicit-feedback recommendations from the canonical event table, evaluated on a
/// time split against a popularity baseline (see `Recommend`, `ItemItem`, `RankingMetrics`).
///
/// Writes (format version 1):
/// - `recommendations.csv`: `user, rank, item, score`: the first method's top K per user with a
///   training event (users in byte order of their ids, ranks from 1; score descending, ties by
///   item id). A user may get fewer than K rows when fewer items have a positive score (item_item)
///   or are left after exclusion. Events with an empty user or item are left out (and logged).
/// - `evaluation.csv`: one row per method (the params' methods in order, `popularity` last):
///   `method, k, users, precision, recall, ndcg, map, hit_rate, coverage` (@K; see `RankingMetrics`).
/// - `recommend.json`: `format` ("loom-recommend 1"), `k`, `split`, `methods`, `exclude`, and
///   the counts behind the evaluation (what the report reads).
/// - metrics: `METHOD.precision`, `.recall`, `.ndcg`, `.map`, `.hit_rate`, `.coverage` per method;
///   `users.training`, `users.evaluated`, `users.cold` (test purchases only), `catalogue`, `interactions`.
public enum RecommendKind: TaskKind {
    public struct Params: Decodable, Sendable {
        public var input: String?
        public var file: String
        public var item: String
        public var split: String
        public var weights: [String: Double]
        public var purchaseEvent: String
        public var k: Int
        public var exclude: String
        public var methods: [String]
        public var neighbours: Int
        public var shrinkage: Double
        public var factors: Int
        public var regularization: Double
        public var alpha: Double
        public var iterations: Int
        public var seed: Int
        enum CodingKeys: String, CodingKey {
            case input, file, item, split, weights, purchaseEvent = "purchase_event", k, exclude, methods, neighbours, shrinkage
            case factors, regularization, alpha, iterations, seed
        }
    }

    public static let name = "recommend"
    public static let version = 1
    public static let summary = "Implicit-feedback recommendations (item-item cosine, implicit ALS) from weighted events before SPLIT, evaluated on purchases after it against a popularity baseline: precision, recall, NDCG, MAP, hit rate @K and catalogue coverage -> recommendations.csv, evaluation.csv."
    static let recommenders = Recommend.Method.allCases.filter { $0 != .popularity }.map(\.rawValue)
    public static let params = [
        ParamSpec.soleInput("the needed task with the events"),
        ParamSpec("file", .string, "events.csv", "the canonical event table in INPUT (user, event_type, time and the ITEM column)"),
        ParamSpec("item", .string, "product", "the column whose values are recommended"),
        ParamSpec.date("split", .required, "train on events before this day (00:00 UTC); test on purchases on or after it"),
        ParamSpec("weights", .floatMap, .value(.map(["view": .float(1), "cart": .float(3), "purchase": .float(5)])),
                  "event type -> weight (> 0) of one such event before the split; types not named are ignored; a named type no event has is an error"),
        ParamSpec("purchase_event", .string, "purchase", "event type of a purchase: what is tested, and what exclude=purchased excludes"),
        ParamSpec("k", .int, 10, "recommendations per user, and the cut-off of every metric", bounds: .between(1, 1_000_000)),
        ParamSpec("exclude", .string, "purchased", "items never recommended to a user, and so not relevant in the test: those the user purchased before the split, every item of the user's training events, or none",
                  choices: Recommend.Exclusion.allCases.map(\.rawValue)),
        ParamSpec("methods", .strings, .value(.list([.string("item_item")])), "recommenders, evaluated in this order beside popularity; the first writes recommendations.csv (one of \(recommenders.joined(separator: ", ")))"),
        ParamSpec("neighbours", .int, 100, "item_item: most similar items kept per item", bounds: .between(1, 1_000_000)),
        ParamSpec("shrinkage", .float, 10.0, "item_item: cosine times n / (n + shrinkage), n the users with both items: rare pairs count less", bounds: .atLeast(0)),
        ParamSpec("factors", .int, 16, "als: latent factors per user and item", bounds: .between(1, 256)),
        ParamSpec("regularization", .float, 30.0, "als: lambda, the L2 penalty on every factor", bounds: .above(0)),
        ParamSpec("alpha", .float, 1.0, "als: confidence 1 + alpha r_ui of an interaction of weight r_ui", bounds: .atLeast(0)),
        ParamSpec("iterations", .int, 10, "als: sweeps (users, then items)", bounds: .atLeast(1)),
        ParamSpec("seed", .int, 1, "als: seed of the initial item factors"),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        var out: [ParamProblem] = []
        if p.weights.isEmpty { out.append(ParamProblem(param: "weights", "param 'weights' must give at least one event type a weight")) }
        for t in p.weights.keys.sorted() {
            let w = p.weights[t]!
            if t.isEmpty { out.append(ParamProblem(param: "weights", "param 'weights' names an empty event type")) }
            if !(w > 0 && w.isFinite) { out.append(ParamProblem(param: "weights", "param 'weights.\(t)' must be > 0, got \(w) (leave a type out to ignore it)")) }
        }
        if p.purchaseEvent.isEmpty { out.append(ParamProblem(param: "purchase_event", "param 'purchase_event' must name an event type, got ''")) }
        if p.methods.isEmpty { out.append(ParamProblem(param: "methods", "param 'methods' must name at least one of \(recommenders.joined(separator: ", "))")) }
        var seen = Set<String>()
        for m in p.methods {
            if !recommenders.contains(m) {
                out.append(ParamProblem(param: "methods", "param 'methods' names '\(m)': expected one of \(recommenders.joined(separator: ", ")) (popularity is always evaluated)",
                                        notes: Suggestion.notes(for: m, in: recommenders)))
            } else if !seen.insert(m).inserted {
                out.append(ParamProblem(param: "methods", "param 'methods' names '\(m)' twice"))
            }
        }
        return out
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        let input = try ArtifactFiles.soleInput(context, p.input, kind: name)
        let clock = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> String { String(format: "%.2f s", Double(DispatchTime.now().uptimeNanoseconds - clock) / 1e9) }
        let events = try ArtifactFiles.table(context, input: input, file: p.file,
                                             types: ["user": .text, "event_type": .text, "time": .number, p.item: .text])
        let file = "\(input)/\(p.file)"
        for c in ["user", "event_type", "time", p.item] where events[c] == nil {
            throw KindError("\(file) has no column '\(c)'\(c == p.item ? " (param 'item')" : ""); columns: \(events.names.joined(separator: ", "))")
        }
        guard events.rowCount > 0 else { throw KindError("\(file) has no events: nothing to recommend from") }
        let user = try events.texts("user"), item = try events.texts(p.item), type = try events.texts("event_type"), time = try events.numbers("time")
        if let r = time.firstIndex(where: { !$0.isFinite }) { throw KindError("\(file): event \(r + 1) has no time") }
        let present = Set(type)
        for t in p.weights.keys.sorted() where !present.contains(t) {
            throw KindError("param 'weights' names '\(t)', which no event in \(file) has; event types: \(present.sorted().joined(separator: ", "))"
                            + Suggestion.notes(for: t, in: present.sorted()).map { "\nnote: " + $0 }.joined())
        }
        context.log("read \(events.rowCount) events: \(elapsed())")
        let splitDay = try ArtifactFiles.day(p.split, param: "split")
        let split = Double(splitDay) * 86400
        let span = "the events span \(day(time.min()!)) to \(day(time.max()!))"
        let x = Interactions.build(user: user, item: item, type: type, time: time, weights: p.weights, purchaseEvent: p.purchaseEvent, split: split)
        if x.withoutIds == events.rowCount {
            throw KindError("\(file): every event has an empty user or '\(p.item)' (param 'item'): nothing to recommend")
        }
        if x.withoutIds > 0 { context.log("left out \(x.withoutIds) of \(events.rowCount) events with an empty user or '\(p.item)'") }
        guard !x.value.isEmpty else {
            throw KindError("no event of a weighted type (\(p.weights.keys.sorted().joined(separator: ", "))) before split \(p.split): nothing to train on; \(span)")
        }
        guard x.testPurchases.contains(where: { !$0.isEmpty }) else {
            throw KindError("no '\(p.purchaseEvent)' event on or after split \(p.split): nothing to test on; \(span)")
        }
        context.log("\(x.users.count) users x \(x.items.count) items, \(x.value.count) training interactions (CSR): \(elapsed())")
        var config = Recommend.Config()
        config.k = p.k
        config.exclude = Recommend.Exclusion(rawValue: p.exclude) ?? .purchased
        config.methods = p.methods.compactMap(Recommend.Method.init(rawValue:))
        config.itemItem.neighbours = p.neighbours
        config.itemItem.shrinkage = p.shrinkage
        config.als.factors = p.factors
        config.als.regularization = p.regularization
        config.als.alpha = p.alpha
        config.als.iterations = p.iterations
        config.als.seed = UInt64(bitPattern: Int64(p.seed))
        let r = Parallel.limited(to: context.cpus) { Recommend.run(x, config: config) }
        for (m, t) in zip(r.lists, r.seconds) { context.log("\(m.method.rawValue): fitted in \(String(format: "%.2f s", t.fit)), ranked in \(String(format: "%.2f s", t.rank))") }
        let evaluated = r.evaluation.first?.metrics.users ?? 0
        guard evaluated > 0 else {
            throw KindError("no user has both a training event before split \(p.split) and a test purchase after it that exclude=\(p.exclude) leaves: nothing to evaluate; \(span)")
        }
        try writeRecommendations(r.lists[0].lists, x, context)
        let e = r.evaluation
        func column(_ f: (RankingMetrics) -> Double) -> Column { .number(e.map { f($0.metrics) }) }
        try ArtifactFiles.write(Table([
            ("method", .text(e.map(\.method.rawValue))), ("k", .number(e.map { _ in Double(p.k) })), ("users", column { Double($0.users) }),
            ("precision", column(\.precision)), ("recall", column(\.recall)), ("ndcg", column(\.ndcg)), ("map", column(\.map)),
            ("hit_rate", column(\.hitRate)), ("coverage", column(\.coverage)),
        ]), context, "evaluation.csv")
        try ArtifactFiles.writeJSON(Summary(k: p.k, split: p.split, methods: e.map(\.method.rawValue), exclude: p.exclude, weights: p.weights,
                                            trainingUsers: r.trainingUsers, evaluatedUsers: evaluated, coldUsers: r.coldUsers,
                                            excludedOnlyUsers: r.excludedOnlyUsers, catalogue: r.catalogueSize, interactions: r.trainingInteractions),
                                    context, "recommend.json")
        var m: [String: Double] = ["users.training": Double(r.trainingUsers), "users.evaluated": Double(evaluated), "users.cold": Double(r.coldUsers),
                                   "catalogue": Double(r.catalogueSize), "interactions": Double(r.trainingInteractions)]
        for (method, metrics) in e { for (n, v) in metrics.named { m[method.rawValue + "." + n] = v } }
        try ArtifactFiles.writeMetrics(m, context)
        context.log("wrote everything: \(elapsed())")
        context.log("\(evaluated) users evaluated of \(r.trainingUsers) with training events; \(r.coldUsers) with test purchases only (cold start, not evaluated)")
    }

    static func day(_ seconds: Double) -> String { CivilDate.format(Int((seconds / 86400).rounded(.down))) }

    static func writeRecommendations(_ l: Ranking.Lists, _ x: Interactions, _ context: TaskContext) throws {
        var users: [String] = [], ranks: [Double] = [], items: [String] = []
        users.reserveCapacity(l.items.count); ranks.reserveCapacity(l.items.count); items.reserveCapacity(l.items.count)
        for n in 0..<l.users.count {
            for (r, i) in l.items(n).enumerated() {
                users.append(x.users[l.users[n]])
                ranks.append(Double(r + 1))
                items.append(x.items[Int(i)])
            }
        }
        try ArtifactFiles.write(Table([("user", .text(users)), ("rank", .number(ranks)), ("item", .text(items)), ("score", .number(l.scores))]),
                                context, "recommendations.csv")
    }

    /// recommend.json, format version 1.
    struct Summary: Codable {
        var format = "loom-recommend 1"
        var k: Int
        var split: String
        /// The rows of evaluation.csv, in order (popularity last).
        var methods: [String]
        var exclude: String
        var weights: [String: Double]
        var trainingUsers: Int, evaluatedUsers: Int, coldUsers: Int, excludedOnlyUsers: Int
        var catalogue: Int, interactions: Int
    }
}
