import Foundation

/// Per-session features for purchase prediction, computed only from a session's events before its
/// first purchase (no leakage: what happens at or after the purchase cannot inform the label).
/// Input: the canonical event table. Output rows are sorted by session id.
///
/// Columns: `user, session, views, carts, removes, evening` (first event at or after 18:00 UTC),
/// `log_mean_price` (log of the mean viewed price; 0 with no priced view), `hour`, `duration`
/// (seconds from the first to the last pre-purchase event), `distinct_products`,
/// `distinct_categories`, `label` (1 if the session contains a purchase). The first five after the
/// ids are exactly the covariates of `ShopGenerator`'s conversion model.
public enum SessionFeatures {
    public static let featureNames = ["views", "carts", "removes", "evening", "log_mean_price", "hour", "duration", "distinct_products", "distinct_categories"]

    public static func compute(_ events: Table, purchaseType: String = "purchase") throws -> Table {
        let users = try events.texts("user"), sessions = try events.texts("session"), types = try events.texts("event_type")
        let times = try events.numbers("time"), prices = try events.numbers("price")
        let products = try events.texts("product"), categories = try events.texts("category")
        guard events.rowCount > 0 else { throw AnalyticsError.tooFewRows(what: "event table", rows: 0, needed: 1) }
        // Events of a session in time order (ties keep input order).
        let order = events.rowCount == 0 ? [] : (0..<events.rowCount).sorted { (sessions[$0], times[$0], $0) < (sessions[$1], times[$1], $1) }
        var cols: [String: [Double]] = [:]
        var outUsers: [String] = [], outSessions: [String] = []
        var i = 0
        while i < order.count {
            let s = sessions[order[i]]
            var views = 0.0, carts = 0.0, removes = 0.0, priceSum = 0.0, priced = 0.0, label = 0.0
            var first = Double.nan, last = Double.nan
            var prods = Set<String>(), cats = Set<String>()
            let user = users[order[i]]
            while i < order.count, sessions[order[i]] == s {
                let e = order[i]
                i += 1
                if label == 1 { continue }
                if types[e] == purchaseType { label = 1; continue }
                if first.isNaN { first = times[e] }
                last = times[e]
                prods.insert(products[e]); cats.insert(categories[e])
                switch types[e] {
                case "view":
                    views += 1
                    if prices[e].isFinite { priceSum += prices[e]; priced += 1 }
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
                "distinct_categories": Double(cats.count), "label": label,
            ]
            for (k, v) in row { cols[k, default: []].append(v) }
            outUsers.append(user)
            outSessions.append(s)
        }
        var t = Table([("user", .text(outUsers)), ("session", .text(outSessions))])
        for name in featureNames + ["label"] { t.append(name, .number(cols[name] ?? [])) }
        return t
    }
}
