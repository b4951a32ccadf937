/// Per-customer features from transactions, split at a calibration end: the summary BG/NBD and
/// Gamma-Gamma are fitted on (Fader, Hardie & Lee 2005, section 5), RFM values and scores, and the
/// holdout outcome used to evaluate them.
///
/// Conventions (as in FHL 2005 and `lifetimes`): time in UTC days; several purchases of one
/// customer on one day are one transaction with their spend summed; weeks are days / 7.
/// Customers whose first purchase is after the calibration end are left out (they have no history).
public struct CustomerFeatures: Sendable {
    /// One customer's row.
    public struct Row: Equatable, Sendable {
        public var customer: String
        /// Repeat transactions in the calibration period (x).
        public var frequency: Int
        /// Weeks from the first to the last calibration transaction (t_x).
        public var recency: Double
        /// Weeks from the first transaction to the calibration end (T).
        public var age: Double
        /// Mean spend of the repeat calibration transactions, first excluded (0 when x = 0).
        public var monetary: Double
        /// Days from the last calibration transaction to the calibration end.
        public var daysSinceLast: Int
        /// Days from the first transaction to the calibration end.
        public var tenureDays: Int
        public var calibrationSpend: Double
        public var holdoutTransactions: Int
        public var holdoutSpend: Double
        /// 1 when the customer made no transaction in the holdout period.
        public var churned: Int
        /// RFM quintile scores, 1..5, 5 best (most recent, most frequent, highest spend).
        public var recencyScore: Int
        public var frequencyScore: Int
        public var monetaryScore: Int
    }

    public var rows: [Row]

    /// - Parameters:
    ///   - customers, days, amounts: one entry per transaction record (day = UTC day number).
    ///   - calibrationEnd: last day of the calibration period (inclusive).
    ///   - holdoutEnd: last day of the holdout period (inclusive).
    public init(customers: [String], days: [Int], amounts: [Double], calibrationEnd: Int, holdoutEnd: Int) throws {
        guard customers.count == days.count, days.count == amounts.count else {
            throw AnalyticsError.invalidInput(what: "transactions", expected: "columns of equal length")
        }
        guard holdoutEnd >= calibrationEnd else {
            throw AnalyticsError.invalidParameter(name: "holdout_end", value: String(holdoutEnd), expected: "a day on or after calibration_end")
        }
        // Sort by (customer, day) so that grouping is deterministic and one pass.
        let order = customers.indices.sorted { (customers[$0], days[$0]) < (customers[$1], days[$1]) }
        var rows: [Row] = []
        var i = 0
        while i < order.count {
            let c = customers[order[i]]
            var perDay: [(day: Int, spend: Double)] = []
            while i < order.count, customers[order[i]] == c {
                let d = days[order[i]], a = amounts[order[i]]
                if let last = perDay.last, last.day == d { perDay[perDay.count - 1].spend += a } else { perDay.append((d, a)) }
                i += 1
            }
            guard let first = perDay.first, first.day <= calibrationEnd else { continue }
            let calibration = perDay.filter { $0.day <= calibrationEnd }
            let holdout = perDay.filter { $0.day > calibrationEnd && $0.day <= holdoutEnd }
            let x = calibration.count - 1
            let last = calibration[calibration.count - 1].day
            let repeatSpend = calibration.dropFirst().reduce(0) { $0 + $1.spend }
            rows.append(Row(
                customer: c, frequency: x, recency: Double(last - first.day) / 7, age: Double(calibrationEnd - first.day) / 7,
                monetary: x > 0 ? repeatSpend / Double(x) : 0, daysSinceLast: calibrationEnd - last,
                tenureDays: calibrationEnd - first.day, calibrationSpend: calibration.reduce(0) { $0 + $1.spend },
                holdoutTransactions: holdout.count, holdoutSpend: holdout.reduce(0) { $0 + $1.spend },
                churned: holdout.isEmpty ? 1 : 0, recencyScore: 0, frequencyScore: 0, monetaryScore: 0))
        }
        guard !rows.isEmpty else {
            throw AnalyticsError.tooFewRows(what: "customers with a transaction on or before the calibration end", rows: 0, needed: 1)
        }
        let r = Self.quintiles(rows.map { -Double($0.daysSinceLast) })
        let f = Self.quintiles(rows.map { Double($0.frequency) })
        let m = Self.quintiles(rows.map { $0.calibrationSpend / Double($0.frequency + 1) })
        for k in rows.indices {
            rows[k].recencyScore = r[k]
            rows[k].frequencyScore = f[k]
            rows[k].monetaryScore = m[k]
        }
        self.rows = rows
    }

    /// Quintile scores 1..5 by rank: a value's score is 1 + floor(5 * (number of values strictly
    /// below it) / n), so equal values always share a score (ties go to the lower quintile).
    public static func quintiles(_ v: [Double]) -> [Int] {
        let sorted = v.sorted()
        return v.map { x in
            var lo = 0, hi = sorted.count
            while lo < hi { let mid = (lo + hi) / 2; if sorted[mid] < x { lo = mid + 1 } else { hi = mid } }
            return 1 + min(4, 5 * lo / max(1, sorted.count))
        }
    }

    /// The features as a table, one row per customer, sorted by customer id.
    public var table: Table {
        Table([
            ("customer", .text(rows.map(\.customer))),
            ("frequency", .number(rows.map { Double($0.frequency) })),
            ("recency", .number(rows.map(\.recency))),
            ("T", .number(rows.map(\.age))),
            ("monetary", .number(rows.map(\.monetary))),
            ("days_since_last", .number(rows.map { Double($0.daysSinceLast) })),
            ("tenure_days", .number(rows.map { Double($0.tenureDays) })),
            ("calibration_spend", .number(rows.map(\.calibrationSpend))),
            ("r_score", .number(rows.map { Double($0.recencyScore) })),
            ("f_score", .number(rows.map { Double($0.frequencyScore) })),
            ("m_score", .number(rows.map { Double($0.monetaryScore) })),
            ("holdout_transactions", .number(rows.map { Double($0.holdoutTransactions) })),
            ("holdout_spend", .number(rows.map(\.holdoutSpend))),
            ("churned", .number(rows.map { Double($0.churned) })),
        ])
    }
}

/// Calendar days (UTC) <-> day numbers since 1970-01-01, by Hinnant's days_from_civil algorithm.
public enum CivilDate {
    public static func day(year y0: Int, month m: Int, day d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// (year, month, day) of a day number.
    public static func civil(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Parses `yyyy-mm-dd` or `yyyymmdd`; nil for anything else or an impossible date.
    public static func parse(_ s: String) -> Int? {
        var s = s
        return s.withUTF8 { parse(utf8: $0) }
    }

    /// `yyyymmdd` or `yyyy-mm-dd` as UTF-8 bytes (ASCII digits only).
    static func parse(utf8 u: UnsafeBufferPointer<UInt8>) -> Int? {
        let dashed = u.count == 10
        guard dashed || u.count == 8 else { return nil }
        if dashed { guard u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-") else { return nil } }
        var v = 0
        for (i, b) in u.enumerated() where !(dashed && (i == 4 || i == 7)) {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            v = v * 10 + Int(b - 0x30)
        }
        let y = v / 10000, m = (v / 100) % 100, d = v % 100
        guard (1...12).contains(m), d >= 1 else { return nil }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard d <= lengths[m - 1] else { return nil }
        return day(year: y, month: m, day: d)
    }

    /// `yyyy-mm-dd`.
    public static func format(_ day: Int) -> String {
        let c = civil(day)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(c.year)-\(two(c.month))-\(two(c.day))"
    }
}
