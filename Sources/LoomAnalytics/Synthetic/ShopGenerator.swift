import Foundation

/// A synthetic online shop with known ground truth, written as an event log in the REES46 public
/// data set's schema (`event_time, event_type, product_id, category_id, category_code, brand, price,
/// user_id, user_session`).
///
/// The story (every number is a `Config` field, written to truth.json):
/// 1. Customers are acquired uniformly over the first `acquisitionWeeks` weeks; their transactions
///    follow BG/NBD (FHL 2005) with Gamma-Gamma spend (Fader & Hardie 2013), simulated by
///    `BGNBDSimulator` from the first purchase to the end date. A transaction's amount is the `price`
///    of its purchase event (the basket value); several purchases on one day sum, as in the models.
/// 2. Every transaction happens in a session. While alive, customers also browse in sessions that do
///    not convert, at `browseRate` per week (a Poisson process).
/// 3. A session's covariates, all computable from its events before the first purchase, are
///    x = (views, carts, removes, evening, log mean viewed price) with P(purchase | x) = sigmoid(b0 + b.x).
///    Purchase sessions draw x from the covariate law conditional on a purchase, browsing sessions
///    conditional on none (rejection sampling). Fitting a logistic regression on all sessions then
///    recovers b exactly, and the intercept up to the known shift log(n1/n0) - log(P1/P0)
///    (case-control sampling: Prentice & Pyke 1979), which truth.json reports with the realised counts.
/// 4. Optionally (`Tastes`), what customers look at has structure a recommender can find: products
///    have Zipf popularity (`skew`), and each customer belongs to a taste group that draws a share
///    `strength` of its viewed products from its own categories. Off by default, and then the
///    random streams are exactly those of the log without it.
/// Each customer has its own random stream, so the log does not depend on how work is scheduled.
public struct ShopGenerator: Sendable {
    public struct Config: Codable, Equatable, Sendable {
        public var seed: UInt64 = 1
        public var customers: Int = 2000
        public var products: Int = 300
        /// First and last day, `yyyy-mm-dd`.
        public var start = "2019-10-01"
        public var end = "2020-09-30"
        public var acquisitionWeeks: Double = 12
        public var r = 0.6, alpha = 8.0, a = 0.8, b = 2.5
        public var p = 6.0, q = 4.0, v = 20.0
        public var browseRate = 0.3
        /// b0, then views, carts, removes, evening, log mean viewed price.
        public var coefficients: [Double] = [-2.0, 0.15, 0.8, -0.6, 0.4, -0.3]
        public init() {}
    }

    public static let covariateNames = ["views", "carts", "removes", "evening", "log_mean_price"]
    public static let categories = ["electronics.smartphone", "electronics.audio.headphone", "appliances.kitchen.kettle",
                                    "computers.notebook", "apparel.shoes", "furniture.living_room.sofa", "kids.toys", "sport.bicycle"]
    public static let brands = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell"]

    /// What generated the data: every parameter plus realised counts.
    public struct Truth: Codable, Equatable, Sendable {
        public var config: Config
        public var events: Int
        public var purchaseSessions: Int
        public var browseSessions: Int
        /// P(purchase) under the covariate law (Monte Carlo with 200,000 draws).
        public var marginalConversion: Double
        /// The intercept a logistic fit on the sessions estimates: b0 + log(n1/n0) - log(P1/P0).
        public var sessionInterceptInData: Double
        public var customersAliveAtEnd: Int
    }

    /// Structure in which products customers view (and so cart and buy), for recommenders.
    ///
    /// Product p (numbered from 0) has popularity weight 1 / (p + 1)^skew (Zipf; skew 0: uniform).
    /// Customer i belongs to group g(i), drawn uniformly from `groups` on a stream of its own; group
    /// g prefers the categories c with c mod groups = g. Each viewed product is, with probability
    /// `strength`, drawn from the group's preferred categories, else from every product (both by
    /// popularity weight). With groups = 0 every customer draws from every product.
    /// The session covariates then follow a slightly different law (viewed prices come from the
    /// preferred categories more often), so `Truth.marginalConversion` is approximate with groups.
    public struct Tastes: Codable, Equatable, Sendable {
        public var groups = 0
        public var strength = 0.8
        public var skew = 0.0
        public init(groups: Int = 0, strength: Double = 0.8, skew: Double = 0) { self.groups = groups; self.strength = strength; self.skew = skew }
        /// Whether the products viewed are drawn exactly as without tastes.
        public var isNone: Bool { groups == 0 && skew == 0 }
    }

    /// What the taste structure was: the config, each group's categories and size.
    public struct TastesTruth: Codable, Equatable, Sendable {
        public var config: Tastes
        public var groups: [Group]
        public struct Group: Codable, Equatable, Sendable {
            public var group: Int
            public var categories: [String]
            public var customers: Int
            public var products: Int
        }
    }

    let config: Config
    let tastes: Tastes
    let startDay: Int, endDay: Int
    let productCategory: [Int], productBrand: [Int], productPrice: [Double]
    /// Per customer its taste group (empty without groups).
    public let customerGroup: [Int]
    /// Per pool (every product, then each group's preferred ones): the products and their
    /// cumulative popularity weights.
    let pools: [(products: [Int], cumulative: [Double])]

    public init(_ c: Config, tastes t: Tastes = Tastes()) throws {
        guard let s = CivilDate.parse(c.start) else { throw AnalyticsError.invalidParameter(name: "start", value: c.start, expected: "a date like 2019-10-01") }
        guard let e = CivilDate.parse(c.end), e > s else { throw AnalyticsError.invalidParameter(name: "end", value: c.end, expected: "a date after start") }
        guard c.customers >= 1 else { throw AnalyticsError.invalidParameter(name: "customers", value: String(c.customers), expected: ">= 1") }
        guard c.products >= 1, c.products <= Int(Int32.max) else {
            throw AnalyticsError.invalidParameter(name: "products", value: String(c.products), expected: "between 1 and \(Int32.max)")
        }
        guard c.coefficients.count == 6 else {
            throw AnalyticsError.invalidParameter(name: "coefficients", value: "\(c.coefficients.count) values", expected: "6: intercept, views, carts, removes, evening, log_mean_price")
        }
        for (n, v) in [("r", c.r), ("alpha", c.alpha), ("a", c.a), ("b", c.b), ("p", c.p), ("q", c.q), ("v", c.v)] where !(v > 0) {
            throw AnalyticsError.invalidParameter(name: n, value: String(v), expected: "> 0")
        }
        guard c.browseRate >= 0, c.acquisitionWeeks > 0 else {
            throw AnalyticsError.invalidParameter(name: "browse_rate", value: String(c.browseRate), expected: ">= 0 (and acquisition_weeks > 0)")
        }
        guard t.groups >= 0, t.groups <= Self.categories.count else {
            throw AnalyticsError.invalidParameter(name: "taste_groups", value: String(t.groups), expected: "between 0 and \(Self.categories.count) (each group prefers its own categories)")
        }
        guard t.strength >= 0, t.strength <= 1 else { throw AnalyticsError.invalidParameter(name: "taste_strength", value: String(t.strength), expected: "between 0 and 1") }
        guard t.skew >= 0, t.skew.isFinite else { throw AnalyticsError.invalidParameter(name: "product_skew", value: String(t.skew), expected: ">= 0") }
        config = c
        tastes = t
        startDay = s
        endDay = e
        var rng = SeededRandom(seed: c.seed, stream: 0)
        productCategory = (0..<c.products).map { _ in rng.int(below: Self.categories.count) }
        productBrand = (0..<c.products).map { _ in rng.int(below: Self.brands.count) }
        productPrice = (0..<c.products).map { _ in (exp(3.5 + 0.8 * rng.normal()) * 100).rounded() / 100 }
        // Groups come from a stream no other draw uses, so they leave the customers' streams alone.
        var groupRng = SeededRandom(seed: c.seed, stream: UInt64.max - 1)
        customerGroup = t.groups == 0 ? [] : (0..<c.customers).map { _ in groupRng.int(below: t.groups) }
        let category = productCategory
        func pool(_ products: [Int]) -> (products: [Int], cumulative: [Double]) {
            var sum = 0.0
            return (products, products.map { p in sum += 1 / pow(Double(p + 1), t.skew); return sum })
        }
        var pools = [pool(Array(0..<c.products))]
        for g in 0..<t.groups {
            let preferred = (0..<c.products).filter { category[$0] % t.groups == g }
            guard !preferred.isEmpty else {
                throw AnalyticsError.invalidParameter(name: "taste_groups", value: String(t.groups), expected: "fewer groups: group \(g)'s categories have no product among \(c.products)")
            }
            pools.append(pool(preferred))
        }
        self.pools = pools
    }

    /// The taste groups as they were drawn (nil without groups or skew).
    public var tastesTruth: TastesTruth? {
        guard !tastes.isNone else { return nil }
        let groups = (0..<tastes.groups).map { g in
            TastesTruth.Group(group: g, categories: Self.categories.indices.filter { $0 % tastes.groups == g }.map { Self.categories[$0] },
                              customers: customerGroup.filter { $0 == g }.count, products: pools[g + 1].products.count)
        }
        return TastesTruth(config: tastes, groups: groups)
    }

    /// A viewed product of `user`: without tastes exactly one `int(below: products)` draw.
    func product(_ rng: inout SeededRandom, user: Int) -> Int {
        if tastes.isNone { return rng.int(below: config.products) }
        var pool = pools[0]
        if tastes.groups > 0 && rng.bernoulli(tastes.strength) { pool = pools[customerGroup[user] + 1] }
        if tastes.skew == 0 { return pool.products[rng.int(below: pool.products.count)] }
        let u = rng.uniform() * pool.cumulative[pool.cumulative.count - 1]
        var lo = 0, hi = pool.cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if pool.cumulative[mid] > u { hi = mid } else { lo = mid + 1 }
        }
        return pool.products[lo]
    }

    /// One event, 40 bytes (fields in this order pack without padding but the last): 20 million
    /// of them are 800 MB, where the table of their texts took gigabytes.
    struct Event {
        var time: Double, price: Double, user: Int
        var product: Int32, session: Int32, seq: Int32
        var type: UInt8   // an index into `eventTypes`
    }

    static let eventTypes = ["view", "cart", "remove_from_cart", "purchase"]
    public static let columns = ["event_time", "event_type", "product_id", "category_id", "category_code", "brand", "price", "user_id", "user_session"]

    /// The event log (sorted by time, user, session, order within session) and the truth.
    public func generate() -> (Table, Truth) {
        let (days, truth) = simulate()
        return (table(days.flatMap { $0 }), truth)
    }

    /// Writes the event log of `generate()` to a CSV file, byte for byte what `CSV.encode` gives
    /// for its table, without building the table: rows are formatted from the compact events as
    /// they are written (peak memory: the events, 40 bytes each, in per-day arrays that grow
    /// and sort one day at a time, where one array of them all grows by doubling, briefly holding
    /// three times its events).
    public func write(to path: String) throws -> Truth {
        let (days, truth) = simulate()
        let w = try CSVRowWriter(path: path, header: Self.columns)
        for day in days { for e in day {
            let product = Int(e.product)
            w.text(Self.timestamp(e.time)); w.text(Self.eventTypes[Int(e.type)]); w.text("p\(product)")
            w.text(String(2_053_013_552_000_000_000 + productCategory[product])); w.text(Self.categories[productCategory[product]])
            w.text(Self.brands[productBrand[product]]); w.number(e.price); w.text("u\(e.user)"); w.text("u\(e.user)-s\(e.session)")
            w.endRow()
        } }
        try w.close()
        return truth
    }

    /// The events by day of their time (days before the start in the first array, days after the
    /// end in the last: the key is monotone in time), each day sorted by time, user, session and
    /// order within session (unique, so the order does not depend on the sort's stability): the
    /// days in order are the log sorted by that key. And the truth.
    func simulate() -> ([[Event]], Truth) {
        let c = config
        let sim = BGNBDSimulator(r: c.r, alpha: c.alpha, a: c.a, b: c.b, p: c.p, q: c.q, v: c.v)
        let horizonWeeks = Double(endDay + 1 - startDay) / 7
        var days = [[Event]](repeating: [], count: endDay - startDay + 2)
        var events: [Event] = []   // one session's, then moved to their days
        func file() {
            for e in events { days[min(max(0, Int((e.time / 86400).rounded(.down)) - startDay), days.count - 1)].append(e) }
            events.removeAll(keepingCapacity: true)
        }
        var purchaseSessions = 0, browseSessions = 0, alive = 0
        for i in 0..<c.customers {
            var rng = SeededRandom(seed: c.seed, stream: UInt64(i) + 1)
            let acquired = rng.uniform() * min(c.acquisitionWeeks, horizonWeeks)
            let customer = sim.customer(seed: c.seed &+ 0x5EED, index: UInt64(i), weeks: horizonWeeks - acquired)
            if !customer.droppedOut { alive += 1 }
            var session = 0
            for (k, t) in customer.times.enumerated() {
                session += 1
                purchaseSessions += 1
                addSession(&events, &rng, user: i, session: session, week: acquired + t, purchase: customer.spends[k])
                file()
            }
            let aliveUntil = customer.droppedOut ? customer.times.last! : horizonWeeks - acquired
            var t = 0.0
            while c.browseRate > 0 {
                t += rng.exponential(rate: c.browseRate)
                if t > aliveUntil { break }
                session += 1
                browseSessions += 1
                addSession(&events, &rng, user: i, session: session, week: acquired + t, purchase: nil)
                file()
            }
        }
        for d in days.indices { days[d].sort { ($0.time, $0.user, $0.session, $0.seq) < ($1.time, $1.user, $1.session, $1.seq) } }
        let p1 = marginalConversion()
        let shift = log(Double(max(1, purchaseSessions)) / Double(max(1, browseSessions))) - log(p1 / (1 - p1))
        let truth = Truth(config: c, events: days.reduce(0) { $0 + $1.count }, purchaseSessions: purchaseSessions, browseSessions: browseSessions,
                          marginalConversion: p1, sessionInterceptInData: c.coefficients[0] + shift, customersAliveAtEnd: alive)
        return (days, truth)
    }

    /// Draws a session's covariates conditional on its outcome, then writes its events.
    func addSession(_ events: inout [Event], _ rng: inout SeededRandom, user: Int, session: Int, week: Double, purchase: Double?) {
        var views = 0, carts = 0, removes = 0, hour = 0.0
        var viewed: [Int] = []
        for attempt in 0..<10_000 {
            views = 1 + rng.poisson(mean: 3)
            carts = (0..<views).filter { _ in rng.bernoulli(0.3) }.count
            removes = (0..<carts).filter { _ in rng.bernoulli(0.25) }.count
            hour = rng.uniform() * 23   // sessions start before 23:00 so they end on their day
            viewed = (0..<views).map { _ in product(&rng, user: user) }
            let meanPrice = viewed.reduce(0) { $0 + productPrice[$1] } / Double(views)
            let x = [Double(views), Double(carts), Double(removes), hour >= 18 ? 1 : 0, log(meanPrice)]
            let pr = Self.probability(config.coefficients, x)
            if rng.bernoulli(purchase == nil ? 1 - pr : pr) || attempt == 9_999 { break }
        }
        // Keep the session on the day the purchase process chose; the hour is a covariate.
        let day = Double(startDay) + (week * 7).rounded(.down)
        var time = day * 86400 + hour * 3600
        var seq = 0
        func add(_ type: UInt8, _ product: Int, _ price: Double) {
            events.append(Event(time: time.rounded(.down), price: price, user: user, product: Int32(product), session: Int32(session),
                                seq: Int32(seq), type: type))
            seq += 1
            time += 5 + rng.exponential(rate: 1.0 / 40)
        }
        var carted: [Int] = []
        for (k, prod) in viewed.enumerated() {
            add(0, prod, productPrice[prod])
            if k < carts { add(1, prod, productPrice[prod]); carted.append(prod) }
        }
        for k in 0..<removes { add(2, carted[k], productPrice[carted[k]]) }
        if let amount = purchase { add(3, carted.last ?? viewed[0], (amount * 100).rounded() / 100) }
    }

    static func probability(_ b: [Double], _ x: [Double]) -> Double {
        var eta = b[0]
        for j in 0..<x.count { eta += b[j + 1] * x[j] }
        return 1 / (1 + exp(-eta))
    }

    /// P(purchase) under the covariate law, by Monte Carlo (a fixed stream: part of the truth).
    func marginalConversion() -> Double {
        var rng = SeededRandom(seed: config.seed, stream: UInt64.max)
        var sum = 0.0
        let n = 200_000
        for _ in 0..<n {
            let views = 1 + rng.poisson(mean: 3)
            let carts = (0..<views).filter { _ in rng.bernoulli(0.3) }.count
            let removes = (0..<carts).filter { _ in rng.bernoulli(0.25) }.count
            let evening = rng.uniform() * 23 >= 18 ? 1.0 : 0
            let meanPrice = (0..<views).reduce(0.0) { acc, _ in acc + productPrice[rng.int(below: config.products)] } / Double(views)
            sum += Self.probability(config.coefficients, [Double(views), Double(carts), Double(removes), evening, log(meanPrice)])
        }
        return sum / Double(n)
    }

    func table(_ events: [Event]) -> Table {
        Table([
            ("event_time", .text(events.map { Self.timestamp($0.time) })),
            ("event_type", .text(events.map { Self.eventTypes[Int($0.type)] })),
            ("product_id", .text(events.map { "p\($0.product)" })),
            ("category_id", .text(events.map { String(2_053_013_552_000_000_000 + productCategory[Int($0.product)]) })),
            ("category_code", .text(events.map { Self.categories[productCategory[Int($0.product)]] })),
            ("brand", .text(events.map { Self.brands[productBrand[Int($0.product)]] })),
            ("price", .number(events.map(\.price))),
            ("user_id", .text(events.map { "u\($0.user)" })),
            ("user_session", .text(events.map { "u\($0.user)-s\($0.session)" })),
        ])
    }

    /// `2019-10-01 00:00:00 UTC`.
    public static func timestamp(_ seconds: Double) -> String {
        let s = Int(seconds)
        let day = s >= 0 ? s / 86400 : (s - 86399) / 86400
        let rest = s - day * 86400
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(CivilDate.format(day)) \(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60)) UTC"
    }
}
