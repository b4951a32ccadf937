/// Time stamps in user data, parsed by hand (no locale, no DateFormatter) into seconds since the
/// Unix epoch, UTC.
public enum TimeFormat: String, Codable, Sendable, CaseIterable {
    /// `19970101` (CDNOW)
    case yyyymmdd
    /// `1997-01-01`
    case date = "yyyy-mm-dd"
    /// `2019-10-01 00:00:00`, optionally followed by ` UTC` (REES46), or with a `T` and a `Z`.
    case datetime
    /// Seconds since 1970-01-01 UTC.
    case epoch
    /// Whichever of the above fits the first value.
    case auto

    /// Seconds since the epoch, or nil when `s` does not fit this format (or is an impossible date).
    public func seconds(_ s: String) -> Double? {
        switch self {
        case .yyyymmdd:
            guard s.utf8.count == 8 else { return nil }
            return CivilDate.parse(s).map { Double($0) * 86400 }
        case .date:
            guard s.utf8.count == 10 else { return nil }
            return CivilDate.parse(s).map { Double($0) * 86400 }
        case .datetime:
            return Self.datetime(s)
        case .epoch:
            return Double(s).flatMap { $0.isFinite ? $0 : nil }
        case .auto:
            return (Self.detect(s) ?? .epoch).seconds(s)
        }
    }

    /// The format of a sample value.
    public static func detect(_ s: String) -> TimeFormat? {
        for f in [TimeFormat.yyyymmdd, .date, .datetime] where f.seconds(s) != nil { return f }
        return Double(s) != nil ? .epoch : nil
    }

    static func datetime(_ s: String) -> Double? {
        var s = s
        return s.withUTF8 { datetime(utf8: $0) }
    }

    /// `seconds` of a value's UTF-8 bytes, without a String for the formats with a fixed shape
    /// and for epoch numbers `DecimalParser` decides (it gives `Double(String)`'s value).
    static func seconds(utf8 u: UnsafeBufferPointer<UInt8>, _ format: TimeFormat) -> Double? {
        switch format {
        case .yyyymmdd: return u.count == 8 ? CivilDate.parse(utf8: u).map { Double($0) * 86400 } : nil
        case .date: return u.count == 10 ? CivilDate.parse(utf8: u).map { Double($0) * 86400 } : nil
        case .datetime: return datetime(utf8: u)
        case .epoch:
            if let p = u.baseAddress, let v = DecimalParser.parse(p, 0, u.count) { return v.isFinite ? v : nil }
            return format.seconds(String(decoding: u, as: UTF8.self))
        case .auto: return format.seconds(String(decoding: u, as: UTF8.self))
        }
    }

    static func datetime(utf8 all: UnsafeBufferPointer<UInt8>) -> Double? {
        var n = all.count
        if n >= 4, all[n - 4] == 0x20, all[n - 3] == UInt8(ascii: "U"), all[n - 2] == UInt8(ascii: "T"), all[n - 1] == UInt8(ascii: "C") {
            n -= 4
        } else if n >= 1, all[n - 1] == UInt8(ascii: "Z") {
            n -= 1
        }
        guard n == 19 else { return nil }
        let u = UnsafeBufferPointer(rebasing: all[0..<19])
        guard u[10] == UInt8(ascii: " ") || u[10] == UInt8(ascii: "T"), u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":"),
              let day = CivilDate.parse(utf8: UnsafeBufferPointer(rebasing: u[0..<10])) else { return nil }
        func num(_ a: Int, _ b: Int) -> Int? {
            var v = 0
            for i in a..<b { guard u[i] >= 0x30 && u[i] <= 0x39 else { return nil }; v = v * 10 + Int(u[i] - 0x30) }
            return v
        }
        guard let h = num(11, 13), let m = num(14, 16), let sec = num(17, 19), h < 24, m < 60, sec < 61 else { return nil }
        return Double(day) * 86400 + Double(h * 3600 + m * 60 + sec)
    }
}

/// Reads a user's transaction file into the canonical transaction table (customer, time, amount).
public struct TransactionIngest: Sendable {
    public struct Config: Codable, Equatable, Sendable {
        public var customer: String
        public var time: String
        public var amount: String
        public var timeFormat: TimeFormat
        /// Drop malformed rows (and count them) instead of failing.
        public var skipBadRows: Bool
        public init(customer: String, time: String, amount: String, timeFormat: TimeFormat = .auto, skipBadRows: Bool = false) {
            self.customer = customer
            self.time = time
            self.amount = amount
            self.timeFormat = timeFormat
            self.skipBadRows = skipBadRows
        }
    }

    /// Rows read, kept, and skipped with the first few line numbers of each reason.
    public struct Summary: Codable, Equatable, Sendable {
        public var rowsRead = 0
        public var rowsKept = 0
        public var skipped: [String: Int] = [:]
        public var firstSkippedLines: [Int] = []

        public init() {}

        /// Rows skipped while reading (malformed records) and while checking values, together.
        init(_ rows: CSV.Rows, kept: Int) {
            skipped = rows.skipped
            rowsRead = rows.count + rows.malformed
            rowsKept = kept
            firstSkippedLines = Array(rows.skippedLines.sorted().prefix(CSV.skippedLinesKept))
        }
    }

    public static func run(bytes: [UInt8], file: String, config c: Config) throws -> (Table, Summary) {
        var rows = try CSV.rows(bytes, file: file, reading: CSV.Reading(skipBadRows: c.skipBadRows, strictUTF8: true))
        let ci = try rows.column(c.customer, param: "customer"), ti = try rows.column(c.time, param: "time")
        let ai = try rows.column(c.amount, param: "amount")
        let format = c.timeFormat == .auto ? (rows.count > 0 ? TimeFormat.detect(rows[0, ti]) : nil) ?? .epoch : c.timeFormat
        var customers: [String] = [], times: [Double] = [], amounts: [Double] = []
        for r in 0..<rows.count {
            func f(_ j: Int) -> String { rows[r, j] }
            var problem: (reason: String, field: Int, expected: String, found: String)?
            let t = format.seconds(f(ti)), a = CSV.number(f(ai))
            if f(ci).isEmpty { problem = ("missing customer", ci, "a customer id", "an empty field") } else if t == nil {
                problem = ("bad time", ti, "a time like \(Self.example(format))", CSV.quoted(f(ti)))
            } else if a == nil || !(a!.isFinite) { problem = ("bad amount", ai, "a number", CSV.quoted(f(ai))) }
            if let p = problem {
                guard c.skipBadRows else { throw rows.bad(row: r, field: p.field, expected: p.expected, found: p.found) }
                rows.skip(row: r, reason: p.reason)
                continue
            }
            customers.append(f(ci)); times.append(t!); amounts.append(a!)
        }
        let summary = Summary(rows, kept: customers.count)
        return (Table([("customer", .text(customers)), ("time", .number(times)), ("amount", .number(amounts))]), summary)
    }

    static func example(_ f: TimeFormat) -> String {
        switch f {
        case .yyyymmdd: return "19970101"
        case .date: return "1997-01-01"
        case .datetime: return "2019-10-01 00:00:00 UTC"
        case .epoch, .auto: return "1569888000"
        }
    }
}
