import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct CohortTests {
    /// Epoch seconds of a day at 10:00 UTC.
    static func t(_ y: Int, _ m: Int, _ d: Int) -> Double { Double(CivilDate.day(year: y, month: m, day: d)) * 86400 + 36000 }

    /// u1 buys in January and March (viewing in February), u2 views in December then buys in
    /// January and February, u3 buys in February, u4 only views. The data ends on 10 March.
    static let events: [(user: String, time: Double, purchase: Bool, amount: Double)] = [
        ("u1", t(2020, 1, 5), true, 10), ("u1", t(2020, 2, 3), false, 99), ("u1", t(2020, 3, 10), true, 20),
        ("u2", t(2019, 12, 20), false, 1), ("u2", t(2020, 1, 20), true, 5), ("u2", t(2020, 2, 1), true, 7),
        ("u3", t(2020, 2, 15), true, 8), ("u4", t(2020, 1, 10), false, 3),
    ]

    static func compute(_ c: Cohort.Config) throws -> Cohort.Result {
        try Cohort.compute(user: events.map(\.user), time: events.map(\.time), purchase: events.map(\.purchase), amount: events.map(\.amount),
                           config: c, file: "events.csv")
    }

    /// Cells as (cohort, period, active, retention, revenue, revenue per user, cumulative per user, complete).
    static func rows(_ r: Cohort.Result) -> [String] {
        r.cells.map { "\($0.cohort) \($0.period) \($0.activeUsers) \($0.retention) \($0.revenue) \($0.revenuePerUser) \($0.cumulativeRevenuePerUser) \($0.complete)" }
    }

    /// By first purchase, active = purchased: January holds u1 and u2 (u2's December view does
    /// not count), February u3; u4 never buys. March ends after the data: incomplete. By hand.
    @Test func monthlyByFirstPurchase() throws {
        let r = try Self.compute(Cohort.Config())
        #expect(r.cohorts == [.init(label: "2020-01", index: 2020 * 12, size: 2), .init(label: "2020-02", index: 2020 * 12 + 1, size: 1)])
        #expect(Self.rows(r) == [
            "2020-01 0 2 1.0 15.0 7.5 7.5 true", "2020-01 1 1 0.5 7.0 3.5 11.0 true", "2020-01 2 1 0.5 20.0 10.0 21.0 false",
            "2020-02 0 1 1.0 8.0 8.0 8.0 true", "2020-02 1 0 0.0 0.0 0.0 8.0 false",
        ])
        #expect(r.retention(period: 1) == 0.5 && r.retention(period: 2) == nil && r.users == 3)
    }

    /// By first event, active = any event: u2 starts December; u4 is in January's cohort.
    @Test func monthlyByFirstSeen() throws {
        let r = try Self.compute(Cohort.Config(start: .firstSeen, activity: .any))
        #expect(r.cohorts.map(\.label) == ["2019-12", "2020-01", "2020-02"] && r.cohorts.map(\.size) == [1, 2, 1])
        #expect(Self.rows(r) == [
            "2019-12 0 1 1.0 0.0 0.0 0.0 true", "2019-12 1 1 1.0 5.0 5.0 5.0 true", "2019-12 2 1 1.0 7.0 7.0 12.0 true", "2019-12 3 0 0.0 0.0 0.0 12.0 false",
            "2020-01 0 2 1.0 10.0 5.0 5.0 true", "2020-01 1 1 0.5 0.0 0.0 5.0 true", "2020-01 2 1 0.5 20.0 10.0 15.0 false",
            "2020-02 0 1 1.0 8.0 8.0 8.0 true", "2020-02 1 0 0.0 0.0 0.0 8.0 false",
        ])
        // max_period cuts each row.
        #expect(try Self.compute(Cohort.Config(start: .firstSeen, activity: .any, maxPeriod: 1)).cells.map(\.period) == [0, 1, 0, 1, 0, 1])
    }

    /// Weeks start on Monday: 2020-01-06 was one; 1970-01-01 (day 0) was a Thursday.
    @Test func weeksStartOnMonday() {
        func week(_ y: Int, _ m: Int, _ d: Int) -> String { Cohort.label(ofPeriod: Cohort.periodIndex(day: CivilDate.day(year: y, month: m, day: d), .week), .week) }
        #expect(week(2020, 1, 6) == "2020-01-06" && week(2020, 1, 12) == "2020-01-06" && week(2020, 1, 13) == "2020-01-13")
        #expect(week(1970, 1, 1) == "1969-12-29" && week(1969, 12, 28) == "1969-12-22")
        #expect(Cohort.label(ofPeriod: Cohort.periodIndex(day: CivilDate.day(year: 1969, month: 12, day: 31), .month), .month) == "1969-12")
    }

    /// A log built to a known matrix: cohort c (month c of 2019) has 100 users, of whom the first
    /// 100, 60, 45, 30, ... buy k months later (keep[k]), each spending c + 1 per purchase; the
    /// data ends on the last day of December, so every cell is complete. The matrix must come back exactly.
    @Test func recoversAKnownMatrix() throws {
        let keep = [100, 60, 45, 30, 25, 20, 18, 15, 12, 10, 8, 6]
        var user: [String] = [], time: [Double] = [], amount: [Double] = []
        for c in 0..<12 {
            for k in 0..<(12 - c) {
                for j in 0..<keep[k] {
                    user.append("c\(c)u\(j)")
                    time.append(Self.t(2019, c + k + 1, 1 + (j * 7 + k) % 28))
                    amount.append(Double(c + 1))
                }
            }
        }
        user.append("late"); time.append(Double(CivilDate.day(year: 2019, month: 12, day: 31)) * 86400 + 86399); amount.append(.nan)
        let r = try Cohort.compute(user: user, time: time, purchase: user.map { $0 != "late" }, amount: amount, config: Cohort.Config(), file: "t")
        #expect(r.cohorts.map(\.size) == Array(repeating: 100, count: 12))
        for cell in r.cells {
            let c = Int(cell.cohort.suffix(2))! - 1
            #expect(cell.activeUsers == keep[cell.period] && cell.revenue == Double(keep[cell.period] * (c + 1)) && cell.complete, "\(cell)")
        }
        #expect(r.cells.count == 78 && r.retention(period: 1) == 0.6 && r.retention(period: 3) == 0.3)
    }

    @Test func anEventWithoutTimeIsNamed() {
        #expect(throws: AnalyticsError.invalidInput(what: "t: event 2 (of user 'b') has no time", expected: "a time on every event")) {
            try Cohort.compute(user: ["a", "b"], time: [0, .nan], purchase: [true, true], amount: [1, 1], config: Cohort.Config(), file: "t")
        }
    }
}
