import Foundation

/// Reads a user's event log into the canonical event table: `user, session, event_type, time`
/// (epoch seconds), `price` (NaN when absent), `product, category, brand` (text, "" when absent),
/// then the `extra` columns as text, keeping the input's row order. Event types are trimmed and lower-cased.
public struct EventIngest: Sendable {
    public struct Config: Codable, Equatable, Sendable {
        public var user: String
        public var session: String
        public var eventType: String
        public var time: String
        public var price: String?
        public var product: String?
        public var category: String?
        public var brand: String?
        public var timeFormat: TimeFormat
        public var skipBadRows: Bool
        /// More columns copied as text under their own names (e.g. a device or traffic source, to
        /// one-hot encode later); they may not take a canonical column's name.
        public var extra: [String]
        public init(user: String, session: String, eventType: String, time: String, price: String? = nil, product: String? = nil,
                    category: String? = nil, brand: String? = nil, timeFormat: TimeFormat = .auto, skipBadRows: Bool = false, extra: [String] = []) {
            self.user = user; self.session = session; self.eventType = eventType; self.time = time
            self.price = price; self.product = product; self.category = category; self.brand = brand
            self.timeFormat = timeFormat; self.skipBadRows = skipBadRows; self.extra = extra
        }
    }

    public static func run(bytes: [UInt8], file: String, config c: Config) throws -> (Table, TransactionIngest.Summary) {
        var rows = try CSV.rows(bytes, file: file, reading: CSV.Reading(skipBadRows: c.skipBadRows, strictUTF8: true))
        let x = try Fields(rows, c)
        var extras = [[String]](repeating: [], count: c.extra.count)
        let format = c.timeFormat == .auto ? (rows.count > 0 ? TimeFormat.detect(rows[0, x.time]) : nil) ?? .epoch : c.timeFormat
        var users: [String] = [], sessions: [String] = [], types: [String] = [], times: [Double] = [], prices: [Double] = []
        var products: [String] = [], categories: [String] = [], brands: [String] = []
        for r in 0..<rows.count {
            func f(_ j: Int) -> String { rows[r, j] }
            let t: Double, price: Double
            switch x.check(rows, r, format: format) {
            case let .bad(p):
                guard c.skipBadRows else { throw rows.bad(row: r, field: p.field, expected: p.expected, found: p.found) }
                rows.skip(row: r, reason: p.reason)
                continue
            case let .good(time, p): t = time; price = p
            }
            users.append(f(x.user)); sessions.append(f(x.session)); types.append(Self.eventType(f(x.eventType)))
            times.append(t); prices.append(price)
            products.append(x.product.map { f($0) } ?? ""); categories.append(x.category.map { f($0) } ?? ""); brands.append(x.brand.map { f($0) } ?? "")
            for (k, j) in x.extra.enumerated() { extras[k].append(f(j)) }
        }
        let summary = TransactionIngest.Summary(rows, kept: users.count)
        var table = Table([("user", .text(users)), ("session", .text(sessions)), ("event_type", .text(types)), ("time", .number(times)),
                           ("price", .number(prices)), ("product", .text(products)), ("category", .text(categories)), ("brand", .text(brands))])
        for (k, name) in c.extra.enumerated() where table.index(of: name) == nil { table.append(name, .text(extras[k])) }
        return (table, summary)
    }

    /// Where a header has the config's columns, and the checks of one row (shared by `run` and
    /// `stream`, so both keep and reject the same rows for the same reasons).
    struct Fields {
        let user: Int, session: Int, eventType: Int, time: Int
        let price: Int?, product: Int?, category: Int?, brand: Int?
        let extra: [Int]
        /// Fields in the header.
        let width: Int

        /// The same lookups, in the same order (so the same first error), as `run` always made.
        init(_ rows: CSV.Rows, _ c: Config) throws {
            func column(_ name: String?, _ param: String) throws -> Int? { try name.map { try rows.column($0, param: param) } }
            user = try rows.column(c.user, param: "user"); session = try rows.column(c.session, param: "session")
            eventType = try rows.column(c.eventType, param: "event_type"); time = try rows.column(c.time, param: "time")
            price = try column(c.price, "price"); product = try column(c.product, "product"); category = try column(c.category, "category")
            brand = try column(c.brand, "brand")
            for name in c.extra where EventIngest.canonicalColumns.contains(name) {
                throw AnalyticsError.invalidParameter(name: "extra", value: name, expected: "a name other than the canonical columns (\(EventIngest.canonicalColumns.joined(separator: ", ")))")
            }
            extra = try c.extra.map { try rows.column($0, param: "extra") }
            width = rows.header.count
        }

        enum Checked { case good(time: Double, price: Double), bad((reason: String, field: Int, expected: String, found: String)) }

        func check(_ rows: CSV.Rows, _ r: Int, format: TimeFormat) -> Checked {
            func f(_ j: Int) -> String { rows[r, j] }
            let t = format.seconds(f(time))
            let p = price.map { f($0).isEmpty ? Double.nan : CSV.number(f($0)) } ?? .nan
            if f(user).isEmpty { return .bad(("missing user", user, "a user id", "an empty field")) }
            if f(session).isEmpty { return .bad(("missing session", session, "a session id", "an empty field")) }
            guard let t else { return .bad(("bad time", time, "a time like \(TransactionIngest.example(format))", CSV.quoted(f(time)))) }
            if let pi = price, p == nil { return .bad(("bad price", pi, "a number", CSV.quoted(f(pi)))) }
            return .good(time: t, price: p ?? .nan)
        }
    }

    public static let canonicalColumns = ["user", "session", "event_type", "time", "price", "product", "category", "brand"]

    /// Purchase events as the canonical transaction table (customer = user, amount = price).
    public static func transactions(_ events: Table, purchaseType: String = "purchase") throws -> Table {
        let types = try events.texts("event_type"), users = try events.texts("user")
        let times = try events.numbers("time"), prices = try events.numbers("price")
        let keep = types.indices.filter { types[$0] == purchaseType && prices[$0].isFinite && prices[$0] > 0 }
        return Table([("customer", .text(keep.map { users[$0] })), ("time", .number(keep.map { times[$0] })), ("amount", .number(keep.map { prices[$0] }))])
    }

    /// Event types compare lower-case and trimmed (`View ` is `view`); most logs already are,
    /// and then the text is kept as it is without a Foundation call per row.
    static func eventType(_ s: String) -> String {
        if s.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F || ($0 >= 0x30 && $0 <= 0x39) }) { return s }
        return s.trimmingCharacters(in: .whitespaces).lowercased()
    }
}
