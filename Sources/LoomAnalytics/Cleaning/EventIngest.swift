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
        func column(_ name: String?, _ param: String) throws -> Int? { try name.map { try rows.column($0, param: param) } }
        let ui = try rows.column(c.user, param: "user"), si = try rows.column(c.session, param: "session")
        let ei = try rows.column(c.eventType, param: "event_type"), ti = try rows.column(c.time, param: "time")
        let pi = try column(c.price, "price"), prodI = try column(c.product, "product"), ci = try column(c.category, "category")
        let bi = try column(c.brand, "brand")
        for name in c.extra where Self.canonicalColumns.contains(name) {
            throw AnalyticsError.invalidParameter(name: "extra", value: name, expected: "a name other than the canonical columns (\(Self.canonicalColumns.joined(separator: ", ")))")
        }
        let extraI = try c.extra.map { try rows.column($0, param: "extra") }
        var extras = [[String]](repeating: [], count: c.extra.count)
        let format = c.timeFormat == .auto ? (rows.count > 0 ? TimeFormat.detect(rows[0, ti]) : nil) ?? .epoch : c.timeFormat
        var users: [String] = [], sessions: [String] = [], types: [String] = [], times: [Double] = [], prices: [Double] = []
        var products: [String] = [], categories: [String] = [], brands: [String] = []
        for r in 0..<rows.count {
            func f(_ j: Int) -> String { rows[r, j] }
            let t = format.seconds(f(ti))
            let price = pi.map { f($0).isEmpty ? Double.nan : CSV.number(f($0)) } ?? .nan
            var problem: (reason: String, field: Int, expected: String, found: String)?
            if f(ui).isEmpty { problem = ("missing user", ui, "a user id", "an empty field") } else if f(si).isEmpty {
                problem = ("missing session", si, "a session id", "an empty field")
            } else if t == nil { problem = ("bad time", ti, "a time like \(TransactionIngest.example(format))", CSV.quoted(f(ti))) } else if price == nil, let pi {
                problem = ("bad price", pi, "a number", CSV.quoted(f(pi)))
            }
            if let p = problem {
                guard c.skipBadRows else { throw rows.bad(row: r, field: p.field, expected: p.expected, found: p.found) }
                rows.skip(row: r, reason: p.reason)
                continue
            }
            users.append(f(ui)); sessions.append(f(si)); types.append(Self.eventType(f(ei)))
            times.append(t!); prices.append(price!)
            products.append(prodI.map { f($0) } ?? ""); categories.append(ci.map { f($0) } ?? ""); brands.append(bi.map { f($0) } ?? "")
            for (k, j) in extraI.enumerated() { extras[k].append(f(j)) }
        }
        let summary = TransactionIngest.Summary(rows, kept: users.count)
        var table = Table([("user", .text(users)), ("session", .text(sessions)), ("event_type", .text(types)), ("time", .number(times)),
                           ("price", .number(prices)), ("product", .text(products)), ("category", .text(categories)), ("brand", .text(brands))])
        for (k, name) in c.extra.enumerated() where table.index(of: name) == nil { table.append(name, .text(extras[k])) }
        return (table, summary)
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
