import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct ImplicitALSTests {
    /// Cholesky on a 3 x 3 system worked by hand: A = [[4, 2, 2], [2, 5, 3], [2, 3, 6]] = L L' with
    /// L = [[2, 0, 0], [1, 2, 0], [1, 1, 2]]; b = A (1, 2, 3)' = (14, 21, 26). Exact in binary.
    @Test func choleskySolvesAHandSystem() {
        var a: [Double] = [4, 0, 0, 2, 5, 0, 2, 3, 6]   // lower triangle only
        var b: [Double] = [14, 21, 26]
        ImplicitALS.choleskySolve(&a, &b, 3)
        #expect(b == [1, 2, 3])
        #expect([a[0], a[3], a[4], a[6], a[7], a[8]] == [2, 1, 2, 1, 1, 2])
    }

    static func randomInteractions(seed: UInt64, users: Int = 300, items: Int = 30) -> Interactions {
        var rng = SeededRandom(seed: seed)
        var u: [String] = [], i: [String] = [], t: [String] = [], time: [Double] = []
        for n in 0..<users {
            for _ in 0..<(1 + rng.int(below: 5)) {
                u.append(String(format: "u%03d", n)); i.append(String(format: "i%02d", rng.int(below: items)))
                t.append(rng.bernoulli(0.3) ? "purchase" : "view"); time.append(Double(rng.int(below: 100)))
            }
        }
        return Interactions.build(user: u, item: i, type: t, time: time, weights: ["view": 1, "purchase": 4], purchaseEvent: "purchase", split: 80)
    }

    /// Each half-sweep minimises HKV eq. 3 exactly in one block, so the loss never increases from
    /// one sweep to the next (up to rounding: 1e-9 relative, far above the error of 300 f x f
    /// solves and far below any real increase).
    @Test func lossNeverIncreases() {
        let x = Self.randomInteractions(seed: 7)
        var c = ImplicitALS.Config()
        c.factors = 4
        c.regularization = 0.1   // a weak penalty and strong confidences: the factors matter to the loss
        c.alpha = 10
        var last = Double.infinity
        for it in 1...6 {
            c.iterations = it
            let loss = ImplicitALS.fit(x, config: c).loss(x, config: c)
            #expect(loss <= last * (1 + 1e-9), "iteration \(it): \(loss) after \(last)")
            last = loss
        }
    }

    /// After a sweep, each user's factors satisfy the normal equations (HKV eq. 4) against the item
    /// factors of the previous sweep; checked densely on the last sweep's users by refitting one
    /// half-step. Residual tolerance 1e-9: f = 4 systems with entries of order 1-100.
    @Test func userFactorsSolveTheNormalEquations() {
        let x = Self.randomInteractions(seed: 11, users: 50, items: 12)
        var c = ImplicitALS.Config()
        c.factors = 4
        c.regularization = 0.1
        c.alpha = 10
        c.iterations = 1
        let m = ImplicitALS.fit(x, config: c)
        // Recompute the users from the fitted items with one more user half-step.
        var users = [Double](repeating: 0, count: x.users.count * 4)
        ImplicitALS.solve(&users, fixed: m.items, f: 4, c: c, start: x.rowStart, index: x.itemOf, value: x.value)
        for u in 0..<x.users.count where x.hasTraining(u) {
            var r = [Double](repeating: 0, count: x.items.count)
            for k in x.row(u) { r[Int(x.itemOf[k])] = x.value[k] }
            for p in 0..<4 {
                // d/dx_up of eq. 3 / 2: sum_i c_ui (x.y_i - p_ui) y_ip + lambda x_up = 0
                var g = c.regularization * users[u * 4 + p]
                for i in 0..<x.items.count {
                    var s = 0.0
                    for d in 0..<4 { s += users[u * 4 + d] * m.items[i * 4 + d] }
                    g += (1 + c.alpha * r[i]) * (s - (r[i] > 0 ? 1 : 0)) * m.items[i * 4 + p]
                }
                #expect(abs(g) < 1e-9, "user \(u) factor \(p): gradient \(g)")
            }
        }
    }

    /// The ranking path (raw pointers, buffered top-k, exclusion mask) against the slow path: every
    /// user's list is the first k of the catalogue sorted by `score(user:item:)` (same sums, so
    /// compared exactly), ties by item, without the items the user purchased before the split.
    @Test func listsAreTheTopOfAFullSortOfScores() {
        let x = Self.randomInteractions(seed: 5, users: 200, items: 40)
        var c = Recommend.Config()
        c.methods = [.als]
        c.k = 7
        c.als.factors = 5
        c.als.iterations = 4
        let lists = Recommend.run(x, config: c).lists[0].lists
        let model = ImplicitALS.fit(x, config: c.als)
        for (n, u) in lists.users.enumerated() {
            let allowed = x.catalogue.filter { !x.trainPurchases[u].contains(Int32($0)) }
            let sorted = allowed.map { (Int32($0), model.score(user: u, item: $0)) }.sorted { Ranking.TopK.better($0.1, $0.0, than: $1.1, $1.0) }.prefix(7)
            #expect(Array(lists.items(n)) == sorted.map(\.0) && Array(lists.scores[lists.range(n)]) == sorted.map(\.1), "user \(u)")
        }
    }

    @Test func sameBytesForAnyThreadCount() {
        let x = Self.randomInteractions(seed: 3, users: 3000, items: 50)
        var c = Recommend.Config()
        c.methods = [.als]
        c.als.factors = 8
        c.als.iterations = 3
        let one = Parallel.limited(to: 1) { Recommend.run(x, config: c) }
        let many = Parallel.limited(to: 3) { Recommend.run(x, config: c) }
        #expect(one.lists.map(\.lists) == many.lists.map(\.lists))
        #expect(Parallel.limited(to: 1) { ImplicitALS.fit(x, config: c.als) } == Parallel.limited(to: 4) { ImplicitALS.fit(x, config: c.als) })
    }
}
