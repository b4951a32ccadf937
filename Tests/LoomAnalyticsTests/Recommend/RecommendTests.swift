import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct RecommendTests {
    /// Four users, five items (a-e), worked by hand. Weights view 1, purchase 3; the split is at
    /// t = 100. Training matrix R (sum of weights before the split):
    ///
    ///          a  b  c  d  e
    ///     u1   3  1  .  .  .     u1 purchased a, viewed b
    ///     u2   1  1  1  .  .
    ///     u3   .  .  1  1  .     (u3's remove_from_cart of e has no weight: ignored)
    ///     u4   .  .  .  1  3     u4 purchased e
    ///
    /// Column norms: |a| = sqrt 10, |b| = |c| = |d| = sqrt 2, |e| = 3. Cosine similarities:
    /// a.b = 3 + 1 = 4 -> 4 / sqrt 20 = 0.894427; a.c = 1 -> 1 / sqrt 20 = 0.223607;
    /// b.c = 1 -> 1/2; c.d = 1 -> 1/2; d.e = 3 -> 3 / (3 sqrt 2) = 0.707107; all others 0.
    ///
    /// Scores (exclude = purchased: u1 never gets a, u4 never gets e):
    /// u1: b = 3 sim(a,b) = 2.683282; c = 3 sim(a,c) + sim(b,c) = 1.170820          -> [b, c]
    /// u2: b = 0.894427 + 0.5 = 1.394427; a = 0.894427 + 0.223607 = 1.118034;
    ///     c = 0.223607 + 0.5 = 0.723607; d = 0.5                                    -> [b, a]
    /// u3: e = 0.707107; b = c = d = 0.5 (one tie, broken by id); a = 0.223607        -> [e, b]
    /// u4: d = 3 sim(e,d) = 2.121320; c = sim(d,c) = 0.5                             -> [d, c]
    /// Popularity (sum of R per item): a 4, e 3, b 2, c 2, d 2 (ties by id).
    ///
    /// Test purchases (t >= 100): u1 {c}, u2 {a, d}, u3 {e}, u4 {e} (excluded for u4: u4 is not
    /// evaluated), u5 {a} (no training event: cold start, not evaluated). A view after the split
    /// counts for nothing. With k = 2, for item-item:
    /// u1 [b, c] vs {c}: hit at 2: P 1/2, R 1, NDCG 1/log2(3) = 0.630930 (IDCG 1), AP (1/2)/1 = 0.5
    /// u2 [b, a] vs {a, d}: hit at 2: P 1/2, R 1/2, NDCG 0.630930 / (1 + 0.630930) = 0.386853, AP (1/2)/2 = 0.25
    /// u3 [e, b] vs {e}: hit at 1: P 1/2, R 1, NDCG 1, AP 1
    /// Means: P 1/2, R 5/6, NDCG 0.672594, MAP 0.583333, hit rate 1, coverage |{a, b, c, e}| / 5 = 0.8.
    /// Popularity: u1 [e, b] (a excluded): no hit; u2 [a, e]: hit at 1, P 1/2, R 1/2,
    /// NDCG 1 / 1.630930 = 0.613147, AP 1/2; u3 [a, e]: hit at 2, P 1/2, R 1, NDCG 0.630930, AP 1/2.
    /// Means: P 1/3, R 1/2, NDCG 0.414692, MAP 1/3, hit rate 2/3, coverage |{a, b, e}| / 5 = 0.6.
    static let events: [(String, String, String, Double)] = [
        ("u1", "a", "purchase", 1), ("u1", "b", "view", 2),
        ("u2", "a", "view", 3), ("u2", "b", "view", 4), ("u2", "c", "view", 5),
        ("u3", "c", "view", 6), ("u3", "d", "view", 7), ("u3", "e", "remove_from_cart", 8),
        ("u4", "d", "view", 9), ("u4", "e", "purchase", 10),
        ("u1", "c", "purchase", 100), ("u2", "d", "purchase", 101), ("u2", "a", "purchase", 102), ("u3", "e", "purchase", 103),
        ("u4", "e", "purchase", 104), ("u5", "a", "purchase", 105), ("u3", "a", "view", 106),
    ]

    static func interactions(_ events: [(String, String, String, Double)] = events) -> Interactions {
        Interactions.build(user: events.map(\.0), item: events.map(\.1), type: events.map(\.2), time: events.map(\.3),
                           weights: ["view": 1, "purchase": 3], purchaseEvent: "purchase", split: 100)
    }

    @Test func interactionsAreTheHandMatrix() {
        let x = Self.interactions()
        #expect(x.users == ["u1", "u2", "u3", "u4", "u5"])
        #expect(x.items == ["a", "b", "c", "d", "e"])
        #expect(x.rowStart == [0, 2, 5, 7, 9, 9])
        #expect(x.itemOf == [0, 1, 0, 1, 2, 2, 3, 3, 4])
        #expect(x.value == [3, 1, 1, 1, 1, 1, 1, 1, 3])
        #expect(x.trainPurchases == [[0], [], [], [4], []])
        #expect(x.testPurchases == [[2], [0, 3], [4], [4], [0]])
        #expect(x.catalogue == [0, 1, 2, 3, 4])
    }

    /// The split is half-open: an event at exactly the split time is on the test side (a purchase
    /// there is tested, a view there counts for nothing), one a second before trains.
    @Test func eventsAtTheSplitTimeAreTestEvents() {
        let x = Interactions.build(user: ["u", "u", "u", "u"], item: ["a", "b", "c", "d"], type: ["view", "purchase", "purchase", "view"],
                                   time: [99, 99, 100, 100], weights: ["view": 1, "purchase": 3], purchaseEvent: "purchase", split: 100)
        #expect(x.items == ["a", "b", "c"] && x.value == [1, 3] && x.trainPurchases == [[1]] && x.testPurchases == [[2]])
    }

    /// Tolerance 1e-12: every value is a handful of sums and one division; the hand values above
    /// are rounded to 6 places, so those are compared at 1e-6.
    @Test func itemItemSimilaritiesAndListsMatchTheHandValues() {
        let x = Self.interactions()
        let model = ItemItem.fit(x, config: .init(neighbours: 10))
        let s20 = 20.0.squareRoot()
        #expect(abs(model.similarity(0, 1) - 4 / s20) < 1e-12)
        #expect(abs(model.similarity(0, 2) - 1 / s20) < 1e-12)
        #expect(abs(model.similarity(1, 2) - 0.5) < 1e-12 && abs(model.similarity(2, 3) - 0.5) < 1e-12)
        #expect(abs(model.similarity(3, 4) - 0.5.squareRoot()) < 1e-12)
        #expect(model.similarity(0, 3) == 0 && model.similarity(1, 4) == 0 && model.similarity(2, 2) == 0)
        #expect(model.neighbour[model.start[2]..<model.start[3]] == [1, 3, 0])   // c: b and d tie at 1/2, by id; then a
        // Shrinkage 1: a and b share two users (x 2/3), d and e one (x 1/2).
        let shrunk = ItemItem.fit(x, config: .init(neighbours: 10, shrinkage: 1))
        #expect(abs(shrunk.similarity(0, 1) - 4 / s20 * 2 / 3) < 1e-12 && abs(shrunk.similarity(3, 4) - 0.5.squareRoot() / 2) < 1e-12)

        let r = Recommend.run(x, config: config(k: 5))
        let l = r.lists[0].lists
        #expect(l.users == [0, 1, 2, 3])
        #expect(Array(l.items(0)) == [1, 2])
        #expect(Array(l.items(1)) == [1, 0, 2, 3])
        #expect(Array(l.items(2)) == [4, 1, 2, 3, 0])
        #expect(Array(l.items(3)) == [3, 2])
        let expected = [2.683282, 1.170820, 1.394427, 1.118034, 0.723607, 0.5, 0.707107, 0.5, 0.5, 0.5, 0.223607, 2.121320, 0.5]
        #expect(zip(l.scores, expected).allSatisfy { abs($0 - $1) < 1e-6 } && l.scores.count == expected.count)
    }

    func config(k: Int, exclude: Recommend.Exclusion = .purchased) -> Recommend.Config {
        var c = Recommend.Config()
        c.k = k
        c.exclude = exclude
        return c
    }

    @Test func metricsMatchTheHandValues() {
        let r = Recommend.run(Self.interactions(), config: config(k: 2))
        #expect(r.trainingUsers == 4 && r.coldUsers == 1 && r.excludedOnlyUsers == 1 && r.catalogueSize == 5)
        #expect(r.evaluation.map(\.method) == [.itemItem, .popularity])
        let ii = r.evaluation[0].metrics, pop = r.evaluation[1].metrics
        let g = 1 / log2(3.0)
        #expect(ii.users == 3 && pop.users == 3)
        // 1e-12: means of three terms of at most a few operations each.
        func near(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-12 }
        #expect(near(ii.precision, 0.5) && near(ii.recall, 5.0 / 6) && near(ii.ndcg, (g + g / (1 + g) + 1) / 3))
        #expect(near(ii.map, 1.75 / 3) && near(ii.hitRate, 1) && near(ii.coverage, 0.8))
        #expect(abs(ii.ndcg - 0.672594) < 1e-6)
        #expect(near(pop.precision, 1.0 / 3) && near(pop.recall, 0.5) && near(pop.ndcg, (1 / (1 + g) + g) / 3))
        #expect(near(pop.map, 1.0 / 3) && near(pop.hitRate, 2.0 / 3) && near(pop.coverage, 0.6))
        #expect(abs(pop.ndcg - 0.414692) < 1e-6)
        let popLists = r.lists[1].lists
        #expect(Array(popLists.items(0)) == [4, 1] && Array(popLists.items(1)) == [0, 4] && Array(popLists.items(3)) == [0, 1])
    }

    @Test func exclusionChangesWhoIsEvaluated() {
        // none: u4's repeat purchase of e is relevant, and e can be recommended back to u4.
        let none = Recommend.run(Self.interactions(), config: config(k: 2, exclude: .none))
        #expect(none.evaluation[0].metrics.users == 4 && none.excludedOnlyUsers == 0)
        #expect(Array(none.lists[0].lists.items(3)) == [3, 4])   // d = 3 sim(e,d) = 2.12, then e = sim(d,e) = 0.71
        // interacted: u1 may not get b (viewed) either.
        let interacted = Recommend.run(Self.interactions(), config: config(k: 2, exclude: .interacted))
        #expect(Array(interacted.lists[0].lists.items(0)) == [2])
    }

    /// TopK keeps exactly the first k of a full sort by (score descending, item ascending), for
    /// random offers with many ties, in any offer order, for k below, near and above the offers.
    @Test(arguments: [1, 3, 10, 40, 100, 1000]) func topKIsThePrefixOfAFullSort(k: Int) {
        var rng = SeededRandom(seed: UInt64(k))
        let offers = (0..<300).map { i in (Int32(i), Double(rng.int(below: 20))) }
        let sorted = offers.sorted { Ranking.TopK.better($0.1, $0.0, than: $1.1, $1.0) }.prefix(k)
        var shuffled = offers
        rng.shuffle(&shuffled)
        var top = Ranking.TopK(k: k)
        for (i, s) in shuffled { top.offer(i, s) }
        let best = top.finish()
        #expect(best.items == sorted.map(\.0) && best.scores == sorted.map(\.1))
    }

    @Test func perUserMetricEdgeCases() {
        // A short list is still divided by k; NDCG and AP use min(k, |T|).
        let m = RankingMetrics.user([7], relevant: [3, 7, 9], k: 4)
        #expect(m.precision == 0.25 && m.recall == 1.0 / 3 && m.ap == 1.0 / 3)
        #expect(abs(m.ndcg - 1 / (1 + 1 / log2(3.0) + 0.5)) < 1e-15)
        let none = RankingMetrics.user([], relevant: [1], k: 3)
        #expect(none.precision == 0 && none.recall == 0 && none.ndcg == 0 && none.ap == 0)
    }

    /// Random sparse matrices: every kept similarity equals the brute-force cosine of the dense
    /// columns, and the lists are the same bytes with one thread and with all. 1e-12 relative:
    /// the two sum the same products in different orders (at most a few dozen terms).
    @Test(arguments: [1, 2, 3]) func itemItemMatchesBruteForceAndIgnoresThreads(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        var events: [(String, String, String, Double)] = []
        for u in 0..<600 {
            for _ in 0..<(1 + rng.int(below: 6)) {
                let item = String(format: "i%02d", rng.int(below: 40))
                events.append((String(format: "u%03d", u), item, rng.bernoulli(0.2) ? "purchase" : "view", Double(rng.int(below: 200))))
            }
        }
        let x = Self.interactions(events)
        let model = ItemItem.fit(x, config: .init(neighbours: 1000))
        var dense = [[Double]](repeating: [Double](repeating: 0, count: x.items.count), count: x.users.count)
        for u in 0..<x.users.count { for k in x.row(u) { dense[u][Int(x.itemOf[k])] = x.value[k] } }
        for i in 0..<x.items.count {
            for j in 0..<x.items.count where i != j {
                var dot = 0.0, ni = 0.0, nj = 0.0
                for u in 0..<x.users.count { dot += dense[u][i] * dense[u][j]; ni += dense[u][i] * dense[u][i]; nj += dense[u][j] * dense[u][j] }
                let cos = dot > 0 ? dot / (ni.squareRoot() * nj.squareRoot()) : 0
                #expect(abs(model.similarity(i, j) - cos) <= 1e-12 * max(1, cos), "items \(i), \(j)")
            }
        }
        var c = Recommend.Config()
        c.itemItem.neighbours = 5
        let serial = Parallel.limited(to: 1) { Recommend.run(x, config: c) }
        let parallel = Parallel.limited(to: 4) { Recommend.run(x, config: c) }
        #expect(serial.lists.map(\.lists) == parallel.lists.map(\.lists))
        #expect(serial.evaluation.map(\.metrics) == parallel.evaluation.map(\.metrics))
    }
}
