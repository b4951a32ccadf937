/// Cleaning of the canonical event table: drops exact duplicate events, events without a user or
/// session, negative prices, purchases without a positive price, and events outside [start, end);
/// kept rows stay in input order. The summary counts rows per reason, each row under the first
/// reason that applies, in this order.
public enum Clean {
    public static let reasons = ["missing id", "outside range", "negative price", "purchase without price", "duplicate"]

    public struct Summary: Codable, Equatable, Sendable {
        public var rowsIn: Int
        public var rowsOut: Int
        public var dropped: [String: Int]
    }

    /// - Parameters: start, end: epoch seconds; nil for no bound.
    public static func events(_ t: Table, start: Double? = nil, end: Double? = nil, purchaseType: String = "purchase") throws -> (Table, Summary) {
        let users = try t.texts("user"), sessions = try t.texts("session"), types = try t.texts("event_type")
        let times = try t.numbers("time"), prices = try t.numbers("price")
        let products = try t.texts("product")
        var seen = Set<EventKey>(minimumCapacity: t.rowCount)
        var keep: [Int] = []
        var dropped: [String: Int] = [:]
        for i in 0..<t.rowCount {
            let reason: String?
            if users[i].isEmpty || sessions[i].isEmpty { reason = "missing id" } else if (start.map { times[i] < $0 } ?? false) || (end.map { times[i] >= $0 } ?? false) {
                reason = "outside range"
            } else if prices[i] < 0 { reason = "negative price" } else if types[i] == purchaseType && !(prices[i] > 0) {
                reason = "purchase without price"
            } else if !seen.insert(EventKey(user: users[i], session: sessions[i], type: types[i], time: times[i].bitPattern,
                                             product: products[i], price: prices[i].bitPattern)).inserted {
                reason = "duplicate"
            } else { reason = nil }
            if let reason { dropped[reason, default: 0] += 1 } else { keep.append(i) }
        }
        return (t.selectingRows(keep), Summary(rowsIn: t.rowCount, rowsOut: keep.count, dropped: dropped))
    }
}

/// What makes two events duplicates: the same user, session, type, time, product and price.
/// Numbers compare by their bits, so two missing (NaN) prices are equal, as their text is.
private struct EventKey: Hashable {
    var user, session, type: String
    var time: UInt64
    var product: String
    var price: UInt64
}
