import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A moment broken into UTC calendar fields, and the few fixed formats Loom writes (run ids, run
/// records, console timestamps). Uses `gmtime_r`/`timegm` rather than `DateFormatter`: making an
/// ICU formatter costs more than a whole no-op run's bookkeeping, and these formats never vary by locale.
public struct UTCTime: Equatable, Sendable {
    public var year, month, day, hour, minute, second, millisecond: Int

    public init(_ date: Date) {
        // Whole milliseconds, to the nearest (a time stored as 1795405346.123 is a hair under it).
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000)
        millisecond = Int(ms - secs * 1000)
        // Days and seconds of the day, the day counted from 1970-01-01 (floor division).
        let days = secs >= 0 ? secs / 86_400 : -((-secs + 86_399) / 86_400)
        let inDay = Int(secs - days * 86_400)
        hour = inDay / 3600
        minute = inDay / 60 % 60
        second = inDay % 60
        (year, month, day) = Self.civil(days: days)
    }

    /// The proleptic Gregorian date `days` after 1970-01-01 (H. Hinnant's `civil_from_days`).
    /// Arithmetic rather than `gmtime_r`, whose first call reads /etc/localtime (six system calls
    /// in every run), although UTC needs no time zone.
    static func civil(days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097                                            // [0, 146096]
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365       // [0, 399]
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)                       // [0, 365]
        let mp = (5 * doy + 2) / 153                                            // [0, 11], from March
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(yoe + era * 400 + (m <= 2 ? 1 : 0)), Int(m), Int(d))
    }

    /// `2026-11-23T03:42:26.123Z`, as ISO 8601 with fractional seconds.
    public var iso: String {
        "\(pad(year, 4))-\(pad(month))-\(pad(day))T\(pad(hour)):\(pad(minute)):\(pad(second)).\(pad(millisecond, 3))Z"
    }

    /// `2026-11-23T03:42:26Z`: console timestamps.
    public var isoSeconds: String { "\(pad(year, 4))-\(pad(month))-\(pad(day))T\(pad(hour)):\(pad(minute)):\(pad(second))Z" }

    /// `20261123-034226-123`: the time part of a run id (sorts like the time).
    public var compact: String {
        "\(pad(year, 4))\(pad(month))\(pad(day))-\(pad(hour))\(pad(minute))\(pad(second))-\(pad(millisecond, 3))"
    }

    /// `11-23 03:42`: narrow tables.
    public var short: String { "\(pad(month))-\(pad(day)) \(pad(hour)):\(pad(minute))" }

    /// Parses `yyyy-MM-ddTHH:mm:ss[.fff]Z` (what `iso` and `isoSeconds` write) or `yyyy-MM-dd`
    /// (midnight UTC); nil for anything else.
    public static func parse(_ s: String) -> Date? {
        let b = Array(s.utf8)
        func num(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var v = 0
            for i in from..<(from + count) {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        func at(_ i: Int, _ c: Character) -> Bool { i < b.count && b[i] == c.asciiValue! }
        guard let y = num(0, 4), at(4, "-"), let mo = num(5, 2), at(7, "-"), let d = num(8, 2),
              (1...12).contains(mo), (1...31).contains(d) else { return nil }
        var h = 0, mi = 0, sec = 0, ms = 0
        if b.count > 10 {
            guard at(10, "T"), let hh = num(11, 2), at(13, ":"), let mm = num(14, 2), at(16, ":"), let ss = num(17, 2),
                  hh < 24, mm < 60, ss < 61 else { return nil }
            (h, mi, sec) = (hh, mm, ss)
            var i = 19
            if at(i, ".") {
                i += 1
                var digits = 0
                while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 {
                    if digits < 3 { ms = ms * 10 + Int(b[i] - 0x30) }
                    digits += 1
                    i += 1
                }
                guard digits > 0 else { return nil }
                if digits < 3 { for _ in digits..<3 { ms *= 10 } }
            }
            guard at(i, "Z"), i + 1 == b.count else { return nil }
        }
        var t = tm()
        t.tm_year = Int32(y - 1900)
        t.tm_mon = Int32(mo - 1)
        t.tm_mday = Int32(d)
        t.tm_hour = Int32(h)
        t.tm_min = Int32(mi)
        t.tm_sec = Int32(sec)
        let secs = timegm(&t)
        // timegm normalises out-of-range days (Feb 30 -> Mar 2): reject those.
        guard t.tm_mday == Int32(d), t.tm_mon == Int32(mo - 1) else { return nil }
        return Date(timeIntervalSince1970: Double(secs) + Double(ms) / 1000)
    }

    private func pad(_ v: Int, _ width: Int = 2) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
