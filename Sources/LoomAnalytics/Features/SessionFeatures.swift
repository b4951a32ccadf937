import Foundation

/// Per-session features for purchase prediction, computed only from a session's events before its
/// first purchase (no leakage: what happens at or after the purchase cannot inform the label).
/// Input: the canonical event table. Output rows are sorted by session id.
///
/// Columns: `user, session, views, carts, removes, evening` (first event at or after 18:00 UTC),
/// `log_mean_price` (log of the mean viewed price; 0 with no priced view), `hour`, `duration`
/// (seconds from the first to the last pre-purchase event), `distinct_products`,
/// `distinct_categories`, `min_price`, `max_price`, `mean_price` (over priced pre-purchase views;
/// 0 with none), then the one-hot columns of `Config.categorical`, then `label` (1 if the session
/// contains a purchase). The first five after the ids are exactly the covariates of
/// `ShopGenerator`'s conversion model.
///
/// One-hot encoding: a session's value of a categorical column is the most frequent non-empty
/// value among its pre-purchase events (ties: the first in byte order); "" when it has none. Each
/// chosen level gets a 0/1 column `column=level`, and `column=other` is 1 for a value outside
/// the levels (a level literally named `other` is counted there); a session whose value is ""
/// has 0 in all of them. Levels are given (`levels`, so
/// that scoring new data with `predict` gets the same columns as training), or else the `topLevels`
/// values held by the most sessions (ties: byte order).
public enum SessionFeatures {
    public static let featureNames = ["views", "carts", "removes", "evening", "log_mean_price", "hour", "duration", "distinct_products",
                                      "distinct_categories", "min_price", "max_price", "mean_price"]

    public struct Config: Codable, Equatable, Sendable {
        /// Text columns of the event table to one-hot encode (e.g. `category`, `brand`).
        public var categorical: [String]
        /// Levels per column when not given: the most common values, at most this many.
        public var topLevels: Int
        /// Given levels per column (in this order); other columns pick their top levels.
        public var levels: [String: [String]]
        /// Columns whose values are cut at the first `.`: a REES46 `category_code` such as
        /// `electronics.smartphone` is encoded as `electronics`.
        public var topLevelOnly: [String]
        public init(categorical: [String] = [], topLevels: Int = 10, levels: [String: [String]] = [:], topLevelOnly: [String] = []) {
            self.categorical = categorical
            self.topLevels = topLevels
            self.levels = levels
            self.topLevelOnly = topLevelOnly
        }
    }

    public static func compute(_ events: Table, purchaseType: String = "purchase", config: Config = Config()) throws -> Table {
        let users = try events.texts("user"), sessions = try events.texts("session"), types = try events.texts("event_type")
        let times = try events.numbers("time"), prices = try events.numbers("price")
        let products = try events.texts("product"), categories = try events.texts("category")
        guard events.rowCount > 0 else { throw AnalyticsError.tooFewRows(what: "event table", rows: 0, needed: 1) }
        guard config.topLevels >= 1 else { throw AnalyticsError.invalidParameter(name: "top_levels", value: String(config.topLevels), expected: "at least 1") }
        let categorical = try config.categorical.map { name -> [String] in
            let values = try events.texts(name)
            return config.topLevelOnly.contains(name) ? values.map { v in v.split(separator: ".", maxSplits: 1).first.map(String.init) ?? "" } : values
        }
        // Events of a session in time order (ties keep input order).
        let order = (0..<events.rowCount).sorted { (sessions[$0], times[$0], $0) < (sessions[$1], times[$1], $1) }
        var cols: [String: [Double]] = [:]
        var outUsers: [String] = [], outSessions: [String] = []
        var modes = [[String]](repeating: [], count: categorical.count)
        var i = 0
        while i < order.count {
            let s = sessions[order[i]]
            var views = 0.0, carts = 0.0, removes = 0.0, priceSum = 0.0, priced = 0.0, label = 0.0
            var minPrice = Double.infinity, maxPrice = -Double.infinity
            var first = Double.nan, last = Double.nan
            var prods = Set<String>(), cats = Set<String>()
            var counts = [[String: Int]](repeating: [:], count: categorical.count)
            let user = users[order[i]]
            while i < order.count, sessions[order[i]] == s {
                let e = order[i]
                i += 1
                if label == 1 { continue }
                if types[e] == purchaseType { label = 1; continue }
                if first.isNaN { first = times[e] }
                last = times[e]
                prods.insert(products[e]); cats.insert(categories[e])
                for (c, values) in categorical.enumerated() where !values[e].isEmpty { counts[c][values[e], default: 0] += 1 }
                switch types[e] {
                case "view":
                    views += 1
                    if prices[e].isFinite {
                        priceSum += prices[e]; priced += 1
                        minPrice = min(minPrice, prices[e]); maxPrice = max(maxPrice, prices[e])
                    }
                case "cart": carts += 1
                case "remove_from_cart": removes += 1
                default: break
                }
            }
            let hour = first.isNaN ? 0 : (first.truncatingRemainder(dividingBy: 86400) + 86400).truncatingRemainder(dividingBy: 86400) / 3600
            let row: [String: Double] = [
                "views": views, "carts": carts, "removes": removes, "evening": hour >= 18 ? 1 : 0,
                "log_mean_price": priced > 0 ? log(priceSum / priced) : 0, "hour": hour.rounded(.down),
                "duration": first.isNaN ? 0 : last - first, "distinct_products": Double(prods.count),
                "distinct_categories": Double(cats.count), "min_price": priced > 0 ? minPrice : 0, "max_price": priced > 0 ? maxPrice : 0,
                "mean_price": priced > 0 ? priceSum / priced : 0, "label": label,
            ]
            for (k, v) in row { cols[k, default: []].append(v) }
            for c in counts.indices { modes[c].append(mode(counts[c])) }
            outUsers.append(user)
            outSessions.append(s)
        }
        var t = Table([("user", .text(outUsers)), ("session", .text(outSessions))])
        for name in featureNames { t.append(name, .number(cols[name] ?? [])) }
        for (c, name) in config.categorical.enumerated() {
            let levels = config.levels[name] ?? topLevels(modes[c], count: config.topLevels)
            for (column, values) in oneHot(modes[c], levels: levels) { t.append("\(name)=\(column)", .number(values)) }
        }
        t.append("label", .number(cols["label"] ?? []))
        return t
    }

    /// The most frequent value (ties: the first in byte order); "" for none.
    static func mode(_ counts: [String: Int]) -> String {
        var best = "", bestCount = 0
        for (v, n) in counts where n > bestCount || (n == bestCount && v.utf8.lexicographicallyPrecedes(best.utf8)) {
            best = v
            bestCount = n
        }
        return best
    }

    /// The `count` non-empty values held by the most sessions (ties: byte order).
    static func topLevels(_ values: [String], count: Int) -> [String] {
        var n: [String: Int] = [:]
        for v in values where !v.isEmpty { n[v, default: 0] += 1 }
        let ranked = n.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        return ranked.prefix(count).map(\.key)
    }

    /// 0/1 columns for each level and `other`, in that order.
    static func oneHot(_ values: [String], levels given: [String]) -> [(String, [Double])] {
        // A level named "other" is the catch-all column itself; a repeated level is one column.
        var levels: [String] = []
        for l in given where l != "other" && !l.isEmpty && !levels.contains(l) { levels.append(l) }
        let index = Dictionary(levels.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var columns = [[Double]](repeating: [Double](repeating: 0, count: values.count), count: levels.count + 1)
        for (r, v) in values.enumerated() where !v.isEmpty { columns[index[v] ?? levels.count][r] = 1 }
        return zip(levels + ["other"], columns).map { ($0, $1) }
    }
}
