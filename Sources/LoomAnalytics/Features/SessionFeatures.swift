import Foundation

/// Per-session features for purchase prediction, computed only from a session's events before its
/// first label event (`Config.labelEvent`, `purchase` by default; no leakage: what happens at or
/// after it cannot inform the label). Input: the canonical event table. Output rows are sorted by
/// session id.
///
/// Columns: `user, session, views, carts, removes` (events whose type is in `viewEvents`,
/// `cartEvents`, `removeEvents`), `evening` (first event at or after 18:00 UTC),
/// `log_mean_price` (log of the mean price of pre-label events whose type is in `priceEvents`; 0
/// with none priced), `hour`, `duration` (seconds from the first to the last pre-label event),
/// `distinct_products`, `distinct_categories`, `min_price`, `max_price`, `mean_price` (over the
/// same priced events; 0 with none), then the per-type columns of `Config.typeCounts` (none by
/// default), then the one-hot columns of `Config.categorical`, then `label` (1 if the session
/// contains the label event). With the defaults the first five after the ids are exactly the
/// covariates of `ShopGenerator`'s conversion model.
///
/// Per-type columns (`typeCounts` `.all` or `.listed`): `count.TYPE` for each type (events of that
/// type before the label event), then `distinct_types` (how many types, of any type, the session
/// has before the label event), then with `typePositions` `first.TYPE` and `last.TYPE` for each type
/// (1-based position among the session's pre-label events of its first and last event of that
/// type; 0 when it has none). Types are in byte order of their names for `.all` (every type in the
/// table but the label event: a deterministic order that does not depend on which rows come
/// first), in the given order for `.listed` (so that scoring data gets the training columns).
///
/// One-hot encoding: a session's value of a categorical column is the most frequent non-empty
/// value among its pre-label events (ties: the first in byte order); "" when it has none. Each
/// chosen level gets a 0/1 column `column=level`, and `column=other` is 1 for a value outside
/// the levels (a level literally named `other` is counted there); a session whose value is ""
/// has 0 in all of them. Levels are given (`levels`, so
/// that scoring new data with `predict` gets the same columns as training), or else the `topLevels`
/// values held by the most sessions (ties: byte order).
public enum SessionFeatures {
    public static let featureNames = ["views", "carts", "removes", "evening", "log_mean_price", "hour", "duration", "distinct_products",
                                      "distinct_categories", "min_price", "max_price", "mean_price"]

    /// Which event types get their own columns.
    public enum TypeCounts: Codable, Equatable, Sendable {
        /// None: only the fixed features (the shop's columns).
        case none
        /// Every type in the table but the label event, in byte order of the names.
        case all
        /// These types, in this order.
        case listed([String])
    }

    /// What to do when a listed type occurs nowhere in the table.
    public enum AbsentTypes: String, Codable, Equatable, Sendable, CaseIterable {
        /// Fail, naming the type (a misspelt name would otherwise give a column of zeros).
        case fail
        /// Write its columns as zeros (scoring a batch in which a rare type did not happen).
        case zero
    }

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
        /// The event type that labels a session (its first one ends the session's features).
        public var labelEvent: String
        /// Event types counted in `views`, `carts` and `removes`.
        public var viewEvents: [String]
        public var cartEvents: [String]
        public var removeEvents: [String]
        /// Event types whose prices make the price features.
        public var priceEvents: [String]
        public var typeCounts: TypeCounts
        /// With per-type columns: also each type's first and last position.
        public var typePositions: Bool
        public var absentTypes: AbsentTypes

        public init(categorical: [String] = [], topLevels: Int = 10, levels: [String: [String]] = [:], topLevelOnly: [String] = [],
                    labelEvent: String = "purchase", viewEvents: [String] = ["view"], cartEvents: [String] = ["cart"],
                    removeEvents: [String] = ["remove_from_cart"], priceEvents: [String] = ["view"], typeCounts: TypeCounts = .none,
                    typePositions: Bool = false, absentTypes: AbsentTypes = .fail) {
            self.categorical = categorical
            self.topLevels = topLevels
            self.levels = levels
            self.topLevelOnly = topLevelOnly
            self.labelEvent = labelEvent
            self.viewEvents = viewEvents
            self.cartEvents = cartEvents
            self.removeEvents = removeEvents
            self.priceEvents = priceEvents
            self.typeCounts = typeCounts
            self.typePositions = typePositions
            self.absentTypes = absentTypes
        }
    }

    public static func compute(_ events: Table, config: Config = Config()) throws -> Table {
        let users = try events.texts("user"), sessions = try events.texts("session"), typeNames = try events.texts("event_type")
        let times = try events.numbers("time"), prices = try events.numbers("price")
        let products = try events.texts("product"), categories = try events.texts("category")
        guard events.rowCount > 0 else { throw AnalyticsError.tooFewRows(what: "event table", rows: 0, needed: 1) }
        guard config.topLevels >= 1 else { throw AnalyticsError.invalidParameter(name: "top_levels", value: String(config.topLevels), expected: "at least 1") }
        let categorical = try config.categorical.map { name -> [String] in
            let values = try events.texts(name)
            return config.topLevelOnly.contains(name) ? values.map { v in v.split(separator: ".", maxSplits: 1).first.map(String.init) ?? "" } : values
        }
        let vocabulary = EventVocabulary(typeNames)
        let typed = try typedColumns(vocabulary, config)
        let label = vocabulary.code[config.labelEvent]
        let role = Roles(vocabulary, config)
        // Events of a session in time order (ties keep input order).
        let order = (0..<events.rowCount).sorted { (sessions[$0], times[$0], $0) < (sessions[$1], times[$1], $1) }
        var cols: [String: [Double]] = [:]
        let tallied = config.typeCounts != .none
        var perType = PerTypeColumns(types: typed.count, positions: config.typePositions)
        var outUsers: [String] = [], outSessions: [String] = []
        var modes = [[String]](repeating: [], count: categorical.count)
        var i = 0
        // One pass per session: its events up to the first label event make its features.
        while i < order.count {
            let s = sessions[order[i]]
            var views = 0.0, carts = 0.0, removes = 0.0, priceSum = 0.0, priced = 0.0, isLabelled = 0.0
            var minPrice = Double.infinity, maxPrice = -Double.infinity
            var first = Double.nan, last = Double.nan
            var prods = Set<String>(), cats = Set<String>()
            var counts = [[String: Int]](repeating: [:], count: categorical.count)
            var session = perType.startSession(tallied ? vocabulary.names.count : 0)
            let user = users[order[i]]
            while i < order.count, sessions[order[i]] == s {
                let e = order[i]
                i += 1
                if isLabelled == 1 { continue }
                let t = vocabulary.codes[e]
                if t == label { isLabelled = 1; continue }
                if first.isNaN { first = times[e] }
                last = times[e]
                prods.insert(products[e]); cats.insert(categories[e])
                for (c, values) in categorical.enumerated() where !values[e].isEmpty { counts[c][values[e], default: 0] += 1 }
                if tallied { session.add(t) }
                if role.view[t] { views += 1 }
                if role.cart[t] { carts += 1 }
                if role.remove[t] { removes += 1 }
                if role.price[t], prices[e].isFinite {
                    priceSum += prices[e]; priced += 1
                    minPrice = min(minPrice, prices[e]); maxPrice = max(maxPrice, prices[e])
                }
            }
            let hour = first.isNaN ? 0 : (first.truncatingRemainder(dividingBy: 86400) + 86400).truncatingRemainder(dividingBy: 86400) / 3600
            let row: [String: Double] = [
                "views": views, "carts": carts, "removes": removes, "evening": hour >= 18 ? 1 : 0,
                "log_mean_price": priced > 0 ? log(priceSum / priced) : 0, "hour": hour.rounded(.down),
                "duration": first.isNaN ? 0 : last - first, "distinct_products": Double(prods.count),
                "distinct_categories": Double(cats.count), "min_price": priced > 0 ? minPrice : 0, "max_price": priced > 0 ? maxPrice : 0,
                "mean_price": priced > 0 ? priceSum / priced : 0, "label": isLabelled,
            ]
            for (k, v) in row { cols[k, default: []].append(v) }
            if tallied { perType.append(session, typed.codes) }
            for c in counts.indices { modes[c].append(mode(counts[c])) }
            outUsers.append(user)
            outSessions.append(s)
        }
        var t = Table([("user", .text(outUsers)), ("session", .text(outSessions))])
        var names = Set(["user", "session", "label"])
        func add(_ name: String, _ values: [Double]) throws {
            guard names.insert(name).inserted else {
                throw AnalyticsError.invalidInput(what: "two output columns named '\(name)'", expected: "event types and categorical levels whose column names differ")
            }
            t.append(name, .number(values))
        }
        for name in featureNames { try add(name, cols[name] ?? []) }
        if config.typeCounts != .none {
            for (k, type) in typed.names.enumerated() { try add("count." + type, perType.counts[k]) }
            try add("distinct_types", perType.distinct)
            if config.typePositions {
                for (k, type) in typed.names.enumerated() { try add("first." + type, perType.first[k]) }
                for (k, type) in typed.names.enumerated() { try add("last." + type, perType.last[k]) }
            }
        }
        for (c, name) in config.categorical.enumerated() {
            let levels = config.levels[name] ?? topLevels(modes[c], count: config.topLevels)
            for (column, values) in oneHot(modes[c], levels: levels) { try add("\(name)=\(column)", values) }
        }
        t.append("label", .number(cols["label"] ?? []))
        return t
    }

    /// The types that get their own columns: their names (in column order) and codes (nil for a
    /// listed type the table does not have, with `absentTypes` `.zero`).
    private static func typedColumns(_ v: EventVocabulary, _ config: Config) throws -> (names: [String], codes: [Int?], count: Int) {
        switch config.typeCounts {
        case .none: return ([], [], 0)
        case .all:
            let names = v.names.filter { $0 != config.labelEvent }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            return (names, names.map { v.code[$0] }, names.count)
        case .listed(let names):
            let absent = names.filter { v.code[$0] == nil }
            if !absent.isEmpty && config.absentTypes == .fail {
                let present = v.names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                throw AnalyticsError.invalidParameter(
                    name: "event_types", value: absent.joined(separator: ", "),
                    expected: "event types the table has (\(present.joined(separator: ", "))); set absent_types: zero to write zeros for types a batch lacks")
            }
            return (names, names.map { v.code[$0] }, names.count)
        }
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

/// The event types of a table as small integers, in order of first appearance (codes are only
/// internal; no output depends on this order).
private struct EventVocabulary {
    var names: [String] = []
    var code: [String: Int] = [:]
    var codes: [Int]

    init(_ types: [String]) {
        var names: [String] = [], code: [String: Int] = [:]
        codes = types.map { t in
            if let c = code[t] { return c }
            code[t] = names.count
            names.append(t)
            return names.count - 1
        }
        self.names = names
        self.code = code
    }
}

/// Per type code: whether its events count as views, carts, removes, and carry a price.
private struct Roles {
    var view, cart, remove, price: [Bool]

    init(_ v: EventVocabulary, _ c: SessionFeatures.Config) {
        func flags(_ listed: [String]) -> [Bool] { v.names.map { listed.contains($0) } }
        view = flags(c.viewEvents); cart = flags(c.cartEvents); remove = flags(c.removeEvents); price = flags(c.priceEvents)
    }
}

/// The per-type columns, filled one session at a time.
private struct PerTypeColumns {
    var counts: [[Double]], first: [[Double]], last: [[Double]]
    var distinct: [Double] = []
    let positions: Bool

    init(types: Int, positions: Bool) {
        counts = Array(repeating: [], count: types)
        first = positions ? Array(repeating: [], count: types) : []
        last = first
        self.positions = positions
    }

    /// One session's tallies, indexed by type code.
    struct Session {
        var count: [Int], first: [Int], last: [Int]
        var position = 0

        mutating func add(_ code: Int) {
            position += 1
            count[code] += 1
            if first[code] == 0 { first[code] = position }
            last[code] = position
        }
    }

    func startSession(_ types: Int) -> Session {
        let zeros = [Int](repeating: 0, count: types)
        return Session(count: zeros, first: zeros, last: zeros)
    }

    /// Appends a finished session's row; `codes` maps each column's type to its code.
    mutating func append(_ s: Session, _ codes: [Int?]) {
        for (k, code) in codes.enumerated() {
            counts[k].append(code.map { Double(s.count[$0]) } ?? 0)
            if positions {
                first[k].append(code.map { Double(s.first[$0]) } ?? 0)
                last[k].append(code.map { Double(s.last[$0]) } ?? 0)
            }
        }
        distinct.append(Double(s.count.filter { $0 > 0 }.count))
    }
}
