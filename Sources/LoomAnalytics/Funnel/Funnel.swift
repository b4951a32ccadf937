import Foundation

/// An ordered conversion funnel over an event log: which units (sessions or users) reach each of
/// the `steps` (event types) in order, overall and per level of breakdown columns, with the time
/// between steps and cart abandonment.
///
/// A unit reaches step k when it has events of steps 1..k at non-decreasing times, each at or
/// after the one before (ties in time keep the table's order). Matching each step to its first
/// possible event (greedy) reaches as deep as any matching can, and gives the shortest times
/// between steps for that depth's first path. A unit's breakdown level is the value on its first
/// event (by time); `dayOfWeek` is derived from that event's time (UTC).
public enum Funnel {
    public struct Config: Equatable, Sendable {
        public var steps: [String]
        /// Breakdown columns; `dayOfWeek` names the derived weekday unless the table has such a column.
        public var breakdowns: [String] = []
        /// Levels kept per breakdown (most units first); the rest are pooled as `other`.
        public var topLevels = 10
        public var cartEvent = "cart", purchaseEvent = "purchase"
        public init(steps: [String]) { self.steps = steps }
    }

    public static let dayOfWeek = "day_of_week"
    public static let weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    /// One step of the funnel of one group (the whole table, or one level of a breakdown).
    public struct Row: Equatable, Sendable {
        public var breakdown: String, level: String
        public var index: Int, step: String
        public var units: Int
        /// Units at this step / at the previous one (at the first step: / all the group's units);
        /// nil when there were none.
        public var fromPrevious: Double?
        /// Units at this step / at the first step; nil when none reached the first.
        public var fromFirst: Double?
        /// Units lost since the previous step (at the first step: the group's units that never reached it).
        public var dropOff: Int
        /// Median and 90th percentile of seconds since the previous step among the units here
        /// (linear interpolation between order statistics, numpy's default); nil at the first step or with no units.
        public var medianSeconds: Double?, p90Seconds: Double?
    }

    /// Cart abandonment of one group: units with a cart event and no purchase at or after their first cart.
    public struct Abandonment: Equatable, Sendable {
        public var breakdown: String, level: String
        public var unitsWithCart: Int, abandoned: Int
        public var rate: Double? { unitsWithCart > 0 ? Double(abandoned) / Double(unitsWithCart) : nil }
    }

    public struct Result: Equatable, Sendable {
        public var units: Int
        public var rows: [Row]
        public var abandonment: [Abandonment]
    }

    /// What one unit did: the times at which it reached each step (as many as it reached), whether
    /// it carted and abandoned, and its breakdown levels.
    struct Path {
        var times: [Double] = []
        var carted = false, abandoned = false
        var levels: [String] = []
    }

    /// `unit`, `type` and `time` per event; `breakdowns` the values of each breakdown column per
    /// event (`nil` for the derived weekday). `file` names the table in errors.
    public static func compute(unit: [String], type: [String], time: [Double], breakdowns: [[String]?], config c: Config, file: String) throws -> Result {
        guard !c.steps.isEmpty else { throw AnalyticsError.invalidParameter(name: "steps", value: "[]", expected: "at least one event type") }
        guard c.topLevels >= 1 else { throw AnalyticsError.invalidParameter(name: "top_levels", value: String(c.topLevels), expected: ">= 1") }
        if let r = time.firstIndex(where: { !$0.isFinite }) {
            throw AnalyticsError.invalidInput(what: "\(file): event \(r + 1) (of unit '\(CSV.excerpt(unit[r]))') has no time", expected: "a time on every event")
        }
        var rowsOf: [String: [Int]] = [:]
        for (i, u) in unit.enumerated() { rowsOf[u, default: []].append(i) }
        // Units in name order: the result does not depend on it, but the work is then the same every run.
        let paths = rowsOf.keys.sorted().map { u in path(rowsOf[u, default: []], type: type, time: time, breakdowns: breakdowns, config: c) }
        var rows = funnel(paths, breakdown: "all", level: "all", steps: c.steps)
        var abandonment = [abandon(paths, breakdown: "all", level: "all")]
        for (b, name) in c.breakdowns.enumerated() {
            for (level, members) in groups(paths, b, topLevels: c.topLevels) {
                rows += funnel(members, breakdown: name, level: level, steps: c.steps)
                abandonment.append(abandon(members, breakdown: name, level: level))
            }
        }
        return Result(units: paths.count, rows: rows, abandonment: abandonment)
    }

    static func path(_ events: [Int], type: [String], time: [Double], breakdowns: [[String]?], config c: Config) -> Path {
        let ordered = events.sorted { (time[$0], $0) < (time[$1], $1) }
        var p = Path()
        for i in ordered where p.times.count < c.steps.count && type[i] == c.steps[p.times.count] { p.times.append(time[i]) }
        // Abandonment goes by time alone: a purchase at the same second as the first cart counts,
        // whichever the table lists first.
        if let firstCart = ordered.first(where: { type[$0] == c.cartEvent }).map({ time[$0] }) {
            p.carted = true
            p.abandoned = !ordered.contains { type[$0] == c.purchaseEvent && time[$0] >= firstCart }
        }
        let first = ordered[0]
        p.levels = breakdowns.map { column in
            if let column { return column[first].isEmpty ? "(none)" : column[first] }
            return weekday(time[first])
        }
        return p
    }

    /// The weekday (UTC) of epoch seconds: day 0, 1970-01-01, was a Thursday.
    public static func weekday(_ seconds: Double) -> String {
        let day = Int((seconds / 86400).rounded(.down))
        return weekdays[((day + 3) % 7 + 7) % 7]
    }

    /// The units per level of breakdown `b`: the `topLevels` largest (ties by name), then `other`.
    static func groups(_ paths: [Path], _ b: Int, topLevels: Int) -> [(String, [Path])] {
        var byLevel: [String: [Path]] = [:]
        for p in paths { byLevel[p.levels[b], default: []].append(p) }
        let ranked = byLevel.keys.sorted { (byLevel[$0]!.count, $1) > (byLevel[$1]!.count, $0) }
        var out = ranked.prefix(topLevels).map { ($0, byLevel[$0]!) }
        let rest = ranked.dropFirst(topLevels).flatMap { byLevel[$0]! }
        if !rest.isEmpty {
            // A data level named "other" among the kept ones would be ambiguous: the pool gets a distinct name.
            out.append((out.contains { $0.0 == "other" } ? "other (pooled)" : "other", rest))
        }
        return out
    }

    static func funnel(_ paths: [Path], breakdown: String, level: String, steps: [String]) -> [Row] {
        var rows: [Row] = []
        var previous = paths.count
        let first = paths.filter { !$0.times.isEmpty }.count
        for (k, step) in steps.enumerated() {
            let here = paths.filter { $0.times.count > k }
            let gaps = k == 0 ? [] : here.map { $0.times[k] - $0.times[k - 1] }.sorted()
            rows.append(Row(breakdown: breakdown, level: level, index: k + 1, step: step, units: here.count,
                            fromPrevious: previous > 0 ? Double(here.count) / Double(previous) : nil,
                            fromFirst: first > 0 ? Double(here.count) / Double(first) : nil,
                            dropOff: previous - here.count,
                            medianSeconds: quantile(gaps, 0.5), p90Seconds: quantile(gaps, 0.9)))
            previous = here.count
        }
        return rows
    }

    static func abandon(_ paths: [Path], breakdown: String, level: String) -> Abandonment {
        Abandonment(breakdown: breakdown, level: level, unitsWithCart: paths.filter(\.carted).count, abandoned: paths.filter(\.abandoned).count)
    }

    /// The q-quantile of sorted values by linear interpolation between order statistics
    /// (Hyndman & Fan 1996 type 7, numpy's default); nil for no values.
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let h = q * Double(sorted.count - 1), lo = Int(h.rounded(.down))
        let hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }
}
