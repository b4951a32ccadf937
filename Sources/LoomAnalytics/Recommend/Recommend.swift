import Foundation

/// Recommendations from implicit feedback, evaluated on a time split against a popularity baseline.
///
/// Who gets lists: every user with a training interaction (an event of a weighted type before the
/// split). Who is evaluated: users with at least one training interaction and at least one
/// relevant test purchase. A user seen only after the split (cold start) gets no list and is not
/// evaluated; such users are counted (`coldUsers`).
///
/// Exclusion (`Config.exclude`, default `purchased`): items a user may not be recommended, which
/// are then not relevant either (a test purchase of an item the method may not show counts for no
/// method): `purchased` = the items the user purchased before the split; `interacted` = every item
/// with a training interaction of the user; `none`. Items seen only after the split can be
/// relevant but never recommended (they are outside the catalogue): they lower every method's
/// recall alike.
///
/// Popularity baseline: every user gets the catalogue ranked by sum_u r_ui (the same weighted
/// interactions the recommender sees), ties by item id, minus the user's excluded items.
public enum Recommend {
    public enum Method: String, CaseIterable, Sendable {
        case itemItem = "item_item", als, popularity
    }

    public enum Exclusion: String, CaseIterable, Sendable {
        case purchased, interacted, none
    }

    public struct Config: Sendable {
        public var k = 10
        public var exclude = Exclusion.purchased
        public var itemItem = ItemItem.Config()
        public var als = ImplicitALS.Config()
        /// The methods besides popularity, in table order (popularity always comes last).
        public var methods: [Method] = [.itemItem]
        public init() {}
    }

    public struct Result: Sendable {
        /// Per method (popularity last): the lists of every user with training interactions.
        public var lists: [(method: Method, lists: Ranking.Lists)]
        /// Per method, in the same order.
        public var evaluation: [(method: Method, metrics: RankingMetrics)]
        public var trainingUsers: Int
        public var coldUsers: Int
        /// Users with a test purchase and training interactions whose every test purchase was excluded.
        public var excludedOnlyUsers: Int
        public var catalogueSize: Int
        public var trainingInteractions: Int
        /// Seconds each method took to fit, and to rank (for logs only: never part of an output).
        public var seconds: [(fit: Double, rank: Double)]
    }

    public static func run(_ x: Interactions, config c: Config) -> Result {
        let nu = x.users.count
        let training = (0..<nu).filter { x.hasTraining($0) }
        let excluded: (Int) -> [Int32] = { u in
            switch c.exclude {
            case .purchased: return x.trainPurchases[u]
            case .interacted: return Array(x.itemOf[x.row(u)])
            case .none: return []
            }
        }
        var methods = c.methods.filter { $0 != .popularity }
        methods.append(.popularity)
        var lists: [(method: Method, lists: Ranking.Lists)] = [], seconds: [(fit: Double, rank: Double)] = []
        var started = DispatchTime.now().uptimeNanoseconds
        func lap() -> Double {
            let now = DispatchTime.now().uptimeNanoseconds
            defer { started = now }
            return Double(now - started) / 1e9
        }
        for m in methods {
            _ = lap()
            var fit = 0.0
            let l: Ranking.Lists
            switch m {
            case .itemItem:
                let model = ItemItem.fit(x, config: c.itemItem)
                fit = lap()
                l = Ranking.lists(users: training, k: c.k, itemCount: x.items.count, excluded: excluded) { u, s in model.score(x, user: u, into: &s) }
            case .als:
                let model = ImplicitALS.fit(x, config: c.als)
                fit = lap()
                let catalogue = x.catalogue.map(Int32.init)
                l = Ranking.lists(users: training, k: c.k, itemCount: x.items.count, excluded: excluded) { u, s in
                    model.score(user: u, items: catalogue, into: &s)
                }
            case .popularity:
                let ranked = popularity(x)
                fit = lap()
                l = Ranking.lists(users: training, k: c.k, itemCount: x.items.count, excluded: excluded) { _, s in
                    // Offered best first: once k are kept, no later item can enter.
                    var offered = 0
                    for (i, v) in ranked {
                        if s.isExcluded(i) { continue }
                        s.offer(i, v)
                        offered += 1
                        if offered == c.k { break }
                    }
                }
            }
            lists.append((m, l))
            seconds.append((fit, lap()))
        }
        // Evaluated users (positions into `training`) and their relevant items.
        var evaluated: [Int] = [], relevant: [[Int32]] = [], excludedOnly = 0
        for (n, u) in training.enumerated() where !x.testPurchases[u].isEmpty {
            let ex = Set(excluded(u))
            let rel = x.testPurchases[u].filter { !ex.contains($0) }
            if rel.isEmpty { excludedOnly += 1; continue }
            evaluated.append(n)
            relevant.append(rel)
        }
        let catalogue = x.catalogue.count
        let evaluation = lists.map { m, l in (m, RankingMetrics.evaluate(subset(l, evaluated), relevant: relevant, k: c.k, catalogueSize: catalogue)) }
        let cold = (0..<nu).filter { !x.hasTraining($0) && !x.testPurchases[$0].isEmpty }.count
        return Result(lists: lists, evaluation: evaluation, trainingUsers: training.count, coldUsers: cold, excludedOnlyUsers: excludedOnly,
                      catalogueSize: catalogue, trainingInteractions: x.itemOf.count, seconds: seconds)
    }

    /// The catalogue by popularity: (item, sum_u r_ui), most popular first, ties by item.
    public static func popularity(_ x: Interactions) -> [(Int32, Double)] {
        x.catalogue.map { i in (Int32(i), x.column(i).reduce(0) { $0 + x.columnValue[$1] }) }
            .sorted { Ranking.TopK.better($0.1, $0.0, than: $1.1, $1.0) }
    }

    /// The lists at the given positions, in that order.
    static func subset(_ l: Ranking.Lists, _ positions: [Int]) -> Ranking.Lists {
        var out = Ranking.Lists()
        for n in positions {
            out.users.append(l.users[n])
            out.items += l.items(n)
            out.scores += l.scores[l.range(n)]
            out.start.append(out.items.count)
        }
        return out
    }
}
