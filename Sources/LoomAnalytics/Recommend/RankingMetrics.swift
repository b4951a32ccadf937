import Foundation

/// Top-k ranking metrics of recommendation lists against held-out purchases, averaged over the
/// evaluated users.
///
/// For one user: L = the recommended list (at most k items, best first; it may be shorter when
/// fewer items have a score), rel(r) = 1 if the item at rank r is relevant, T = the relevant items
/// (distinct), hits = sum_r rel(r).
/// - precision@k = hits / k (always over k, so a short list is not rewarded for being short)
/// - recall@k = hits / |T|
/// - NDCG@k = DCG / IDCG with DCG = sum_{r=1..|L|} rel(r) / log2(r + 1) and
///   IDCG = sum_{r=1..min(k, |T|)} 1 / log2(r + 1) (binary gains; Jarvelin & Kekalainen 2002)
/// - AP@k = (1 / min(k, |T|)) sum_{r=1..|L|} rel(r) precision@r, with precision@r = hits in the
///   first r / r; MAP@k is its mean
/// - hit rate@k = share of users with hits >= 1
/// - catalogue coverage = distinct items in the evaluated users' lists / catalogue size
/// Means are arithmetic over users in user order. Users with an empty T are not evaluated (the
/// caller chooses them; see `Recommend`).
public struct RankingMetrics: Equatable, Sendable {
    public var users: Int
    public var precision: Double, recall: Double, ndcg: Double, map: Double, hitRate: Double, coverage: Double

    /// Metric names in the order tables show them, with their values.
    public var named: [(String, Double)] {
        [("precision", precision), ("recall", recall), ("ndcg", ndcg), ("map", map), ("hit_rate", hitRate), ("coverage", coverage)]
    }

    /// One user's metrics; `relevant` sorted ascending and distinct, not empty.
    public static func user(_ list: ArraySlice<Int32>, relevant: [Int32], k: Int) -> (precision: Double, recall: Double, ndcg: Double, ap: Double) {
        var hits = 0, dcg = 0.0, apSum = 0.0
        for (r, item) in list.prefix(k).enumerated() {
            guard binarySearch(relevant, item) else { continue }
            hits += 1
            dcg += 1 / log2(Double(r + 2))
            apSum += Double(hits) / Double(r + 1)
        }
        let ideal = min(k, relevant.count)
        var idcg = 0.0
        for r in 0..<ideal { idcg += 1 / log2(Double(r + 2)) }
        return (Double(hits) / Double(k), Double(hits) / Double(relevant.count), dcg / idcg, apSum / Double(ideal))
    }

    /// The mean over users n of `lists` (by position) against `relevant[n]`.
    public static func evaluate(_ lists: Ranking.Lists, relevant: [[Int32]], k: Int, catalogueSize: Int) -> RankingMetrics {
        precondition(lists.users.count == relevant.count, "one relevant set per list")
        var p = 0.0, r = 0.0, n = 0.0, a = 0.0, hit = 0.0
        var shown = Set<Int32>()
        for u in 0..<relevant.count {
            let list = lists.items(u)
            let m = user(list, relevant: relevant[u], k: k)
            p += m.precision; r += m.recall; n += m.ndcg; a += m.ap
            if m.precision > 0 { hit += 1 }
            shown.formUnion(list)
        }
        let c = Double(max(1, relevant.count))
        return RankingMetrics(users: relevant.count, precision: p / c, recall: r / c, ndcg: n / c, map: a / c, hitRate: hit / c,
                              coverage: catalogueSize > 0 ? Double(shown.count) / Double(catalogueSize) : 0)
    }

    static func binarySearch(_ a: [Int32], _ x: Int32) -> Bool {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo < a.count && a[lo] == x
    }
}
