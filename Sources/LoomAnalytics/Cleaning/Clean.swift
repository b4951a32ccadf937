/// Cleaning of the canonical event table: drops events without a user or session, events outside
/// [start, end), negative prices (unless `Rules.dropNegativePrices` is off), purchases without a
/// positive price (unless `Rules.purchaseNeedsPrice` is off: a log without prices keeps its
/// purchases) and duplicates (events equal in every column of `Rules.duplicateColumns`); kept rows
/// stay in input order. The summary counts rows per reason, each row under the first reason that
/// applies, in this order.
public enum Clean {
    public static let reasons = ["missing id", "outside range", "negative price", "purchase without price", "duplicate"]

    /// What counts as a bad event. The defaults are the rules `clean` always had.
    public struct Rules: Codable, Equatable, Sendable {
        /// Two events are duplicates when they are equal in all these columns (numbers compare by
        /// their bits, so two missing prices are equal, as their text is).
        public var duplicateColumns: [String]
        /// The event type that is a purchase.
        public var purchaseEvent: String
        /// Drop a purchase without a positive price.
        public var purchaseNeedsPrice: Bool
        public var dropNegativePrices: Bool

        public static let defaultDuplicateColumns = ["user", "session", "event_type", "time", "product", "price"]

        public init(duplicateColumns: [String] = Self.defaultDuplicateColumns, purchaseEvent: String = "purchase",
                    purchaseNeedsPrice: Bool = true, dropNegativePrices: Bool = true) {
            self.duplicateColumns = duplicateColumns
            self.purchaseEvent = purchaseEvent
            self.purchaseNeedsPrice = purchaseNeedsPrice
            self.dropNegativePrices = dropNegativePrices
        }
    }

    public struct Summary: Codable, Equatable, Sendable {
        public var rowsIn: Int
        public var rowsOut: Int
        public var dropped: [String: Int]
    }

    /// - Parameters: start, end: epoch seconds; nil for no bound.
    /// - Throws: `.invalidParameter` for an empty or repeated `duplicateColumns`, `.missingColumn`
    ///   for a duplicate column the table does not have.
    public static func events(_ t: Table, start: Double? = nil, end: Double? = nil, rules: Rules = Rules()) throws -> (Table, Summary) {
        let users = try t.texts("user"), sessions = try t.texts("session"), types = try t.texts("event_type")
        let times = try t.numbers("time"), prices = try t.numbers("price")
        let key = try DuplicateKey(t, columns: rules.duplicateColumns)
        var seen = Set<DuplicateKey.Row>(minimumCapacity: t.rowCount)
        var keep: [Int] = []
        var dropped: [String: Int] = [:]
        for i in 0..<t.rowCount {
            let reason: String?
            if users[i].isEmpty || sessions[i].isEmpty { reason = "missing id" } else if (start.map { times[i] < $0 } ?? false) || (end.map { times[i] >= $0 } ?? false) {
                reason = "outside range"
            } else if rules.dropNegativePrices && prices[i] < 0 { reason = "negative price" } else if rules.purchaseNeedsPrice && types[i] == rules.purchaseEvent && !(prices[i] > 0) {
                reason = "purchase without price"
            } else if !seen.insert(key.row(i)).inserted {
                reason = "duplicate"
            } else { reason = nil }
            if let reason { dropped[reason, default: 0] += 1 } else { keep.append(i) }
        }
        return (t.selectingRows(keep), Summary(rowsIn: t.rowCount, rowsOut: keep.count, dropped: dropped))
    }
}

/// What makes two events duplicates: equal values in the chosen columns. Numbers compare by their
/// bits, so two missing (NaN) prices are equal, as their text is. A `Row` hashes and compares the
/// columns in place, so the set of seen rows allocates nothing per row.
final class DuplicateKey: Sendable {
    let texts: [[String]]
    let numbers: [[Double]]

    /// One row of the table, equal to another row when every chosen column is.
    struct Row: Hashable {
        let index: Int
        let key: DuplicateKey

        func hash(into h: inout Hasher) {
            for c in key.texts { h.combine(c[index]) }
            for c in key.numbers { h.combine(c[index].bitPattern) }
        }

        static func == (a: Row, b: Row) -> Bool {
            a.key.texts.allSatisfy { $0[a.index] == $0[b.index] } && a.key.numbers.allSatisfy { $0[a.index].bitPattern == $0[b.index].bitPattern }
        }
    }

    init(_ t: Table, columns: [String]) throws {
        guard !columns.isEmpty else {
            throw AnalyticsError.invalidParameter(name: "duplicate_columns", value: "[]", expected: "at least one column")
        }
        var texts: [[String]] = [], numbers: [[Double]] = [], seen = Set<String>()
        for name in columns {
            guard seen.insert(name).inserted else {
                throw AnalyticsError.invalidParameter(name: "duplicate_columns", value: "'\(name)' twice", expected: "each column once")
            }
            switch t[name] {
            case .text(let v)?: texts.append(v)
            case .number(let v)?: numbers.append(v)
            case nil:
                throw AnalyticsError.invalidParameter(name: "duplicate_columns", value: "'\(name)'",
                                                      expected: "columns of the event table (\(t.names.joined(separator: ", ")))")
            }
        }
        self.texts = texts
        self.numbers = numbers
    }

    func row(_ i: Int) -> Row { Row(index: i, key: self) }
}
