import Foundation

/// Cohort analysis over an event log: users grouped by the calendar week or month (UTC) of their
/// first purchase (or first event), and per cohort and period since then, how many were active
/// and how much they spent.
///
/// Definitions: a user's cohort is the period holding their first purchase (`firstPurchase`;
/// users who never buy are in no cohort) or first event (`firstSeen`). Period k of a cohort is
/// the k-th calendar period after the cohort's own (period 0 is the cohort's period). A user is
/// active in a period when they have an activity event in it: a purchase (`purchase`) or any event
/// (`any`). Retention is active users / cohort size; revenue is the sum of the cohort's purchase
/// amounts in the period, per user divided by the cohort size (churned users stay in the
/// denominator, so cumulative revenue per user is what an average acquired user brought in).
/// Weeks start on Monday. Cells run up to the period of the last event in the data (a triangle);
/// a cell whose period ends after the last event's day is observed only in part (`complete` false).
public enum Cohort {
    public enum Period: String, CaseIterable, Sendable { case week, month }
    public enum Start: String, CaseIterable, Sendable { case firstPurchase = "first_purchase", firstSeen = "first_seen" }
    public enum Activity: String, CaseIterable, Sendable { case purchase, any }

    public struct Config: Equatable, Sendable {
        public var period: Period
        public var start: Start
        public var activity: Activity
        /// Periods kept per cohort (0 ... maxPeriod); nil: every observed one.
        public var maxPeriod: Int?
        public init(period: Period = .month, start: Start = .firstPurchase, activity: Activity = .purchase, maxPeriod: Int? = nil) {
            self.period = period
            self.start = start
            self.activity = activity
            self.maxPeriod = maxPeriod
        }
    }

    /// One cohort: its label (`2019-10` for a month, the Monday `2019-09-30` for a week) and size.
    public struct Group: Equatable, Sendable {
        public var label: String
        public var index: Int
        public var size: Int
    }

    /// One cell of the matrix.
    public struct Cell: Equatable, Sendable {
        public var cohort: String
        public var period: Int
        public var activeUsers: Int
        public var retention: Double
        public var revenue: Double
        public var revenuePerUser: Double
        public var cumulativeRevenuePerUser: Double
        public var complete: Bool
    }

    public struct Result: Equatable, Sendable {
        public var cohorts: [Group]
        /// Cohorts in time order, each's periods 0, 1, ... in order.
        public var cells: [Cell]
        public var users: Int { cohorts.reduce(0) { $0 + $1.size } }

        /// Active users / cohort users over the complete cells of period k (cohorts weighted by size); nil without any.
        public func retention(period k: Int) -> Double? {
            let cells = self.cells.filter { $0.period == k && $0.complete }
            let sizes = cells.reduce(0) { total, c in total + (cohorts.first { $0.label == c.cohort }?.size ?? 0) }
            return sizes > 0 ? Double(cells.reduce(0) { $0 + $1.activeUsers }) / Double(sizes) : nil
        }
    }

    /// Period number of a day (days since 1970-01-01): months since year 0, or Monday-based weeks
    /// since 1969-12-29 (day 0 was a Thursday).
    public static func periodIndex(day: Int, _ p: Period) -> Int {
        switch p {
        case .month:
            let c = CivilDate.civil(day)
            return c.year * 12 + c.month - 1
        case .week: return Int((Double(day + 3) / 7).rounded(.down))
        }
    }

    /// First day of a period number.
    public static func firstDay(ofPeriod i: Int, _ p: Period) -> Int {
        switch p {
        case .month:
            let y = Int((Double(i) / 12).rounded(.down))
            return CivilDate.day(year: y, month: i - y * 12 + 1, day: 1)
        case .week: return i * 7 - 3
        }
    }

    public static func label(ofPeriod i: Int, _ p: Period) -> String {
        let c = CivilDate.civil(firstDay(ofPeriod: i, p))
        let ym = String(format: "%04d-%02d", c.year, c.month)
        return p == .month ? ym : ym + String(format: "-%02d", c.day)
    }

    /// `user`, `time` (epoch seconds), whether the event is a purchase and its amount per event.
    /// `file` names the table in errors.
    public static func compute(user: [String], time: [Double], purchase: [Bool], amount: [Double], config c: Config, file: String) throws -> Result {
        if let r = time.firstIndex(where: { !$0.isFinite }) {
            throw AnalyticsError.invalidInput(what: "\(file): event \(r + 1) (of user '\(CSV.excerpt(user[r]))') has no time", expected: "a time on every event")
        }
        guard let lastTime = time.max() else { return Result(cohorts: [], cells: []) }
        let lastPeriod = periodIndex(day: day(lastTime), c.period)
        // Each event's period; each user's cohort period, from their first qualifying event.
        let period = time.map { periodIndex(day: day($0), c.period) }
        var cohortOf: [String: Int] = [:]
        for i in user.indices where c.start == .firstSeen || purchase[i] {
            cohortOf[user[i]] = min(cohortOf[user[i]] ?? .max, period[i])
        }
        // Active users and revenue per (cohort, k).
        var active: [Int: [Int: Set<String>]] = [:], revenue: [Int: [Int: Double]] = [:]
        for i in user.indices {
            guard let cohort = cohortOf[user[i]] else { continue }
            let k = period[i] - cohort
            guard k >= 0 else { continue }   // events before a user's first purchase
            if c.activity == .any || purchase[i] { active[cohort, default: [:]][k, default: []].insert(user[i]) }
            if purchase[i], amount[i].isFinite { revenue[cohort, default: [:]][k, default: 0] += amount[i] }
        }
        var sizes: [Int: Int] = [:]
        for cohort in cohortOf.values { sizes[cohort, default: 0] += 1 }
        var groups: [Group] = [], cells: [Cell] = []
        for cohort in sizes.keys.sorted() {
            let size = sizes[cohort]!, label = label(ofPeriod: cohort, c.period)
            groups.append(Group(label: label, index: cohort, size: size))
            var cumulative = 0.0
            for k in 0...min(lastPeriod - cohort, c.maxPeriod ?? .max) {
                let users = active[cohort]?[k]?.count ?? 0, spent = revenue[cohort]?[k] ?? 0
                cumulative += spent
                // Complete when the period's last day is at or before the last event's day.
                let lastDay = firstDay(ofPeriod: cohort + k + 1, c.period) - 1
                cells.append(Cell(cohort: label, period: k, activeUsers: users, retention: Double(users) / Double(size), revenue: spent,
                                  revenuePerUser: spent / Double(size), cumulativeRevenuePerUser: cumulative / Double(size), complete: lastDay <= day(lastTime)))
            }
        }
        return Result(cohorts: groups, cells: cells)
    }

    static func day(_ seconds: Double) -> Int { Int((seconds / 86400).rounded(.down)) }
}
