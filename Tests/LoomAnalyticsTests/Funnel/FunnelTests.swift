import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct FunnelTests {
    /// Six sessions, worked by hand (steps view -> cart -> purchase):
    /// s1 view 0, cart 10, purchase 40: all three steps, 10 s and 30 s apart; carted, bought.
    /// s2 view 0, view 5, cart 25: two steps (25 s from the first view); abandoned.
    /// s3 cart 0, view 10: the view only (its cart came first); abandoned.
    /// s4 view 100: one step.
    /// s5 purchase 0: no step, no cart.
    /// s6 view 0, then purchase and cart both at 20 with the purchase first in the table: two
    ///    steps (the purchase is not after the cart in order), 20 s; not abandoned (a purchase at
    ///    the time of the cart counts).
    static let events: [(String, String, Double, String)] = [
        ("s1", "view", 0, "mobile"), ("s1", "cart", 10, "mobile"), ("s1", "purchase", 40, "mobile"),
        ("s2", "cart", 25, "desktop"), ("s2", "view", 0, "mobile"), ("s2", "view", 5, "mobile"),
        ("s3", "cart", 0, "desktop"), ("s3", "view", 10, "desktop"),
        ("s4", "view", 100, "mobile"),
        ("s5", "purchase", 0, "desktop"),
        ("s6", "view", 0, "tablet"), ("s6", "purchase", 20, "tablet"), ("s6", "cart", 20, "tablet"),
    ]

    func compute(_ config: Funnel.Config) throws -> Funnel.Result {
        try Funnel.compute(unit: Self.events.map(\.0), type: Self.events.map(\.1), time: Self.events.map(\.2),
                           breakdowns: config.breakdowns.map { $0 == "device" ? Self.events.map(\.3) : nil }, config: config, file: "e.csv")
    }

    @Test func handWorkedFunnel() throws {
        let r = try compute(Funnel.Config(steps: ["view", "cart", "purchase"]))
        #expect(r.units == 6)
        #expect(r.rows.map(\.units) == [5, 3, 1])
        let fromPrevious: [Double?] = [5.0 / 6, 3.0 / 5, 1.0 / 3], fromFirst: [Double?] = [1, 3.0 / 5, 1.0 / 5]
        #expect(r.rows.map(\.fromPrevious) == fromPrevious)
        #expect(r.rows.map(\.fromFirst) == fromFirst)
        #expect(r.rows.map(\.dropOff) == [1, 2, 2])
        // Gaps to the cart [10, 20, 25]: median 20; p90 at rank 0.9 * 2 = 1.8: 20 + 0.8 * 5 = 24
        // (np.percentile([10, 20, 25], [50, 90]) -> [20., 24.]).
        let median: [Double?] = [nil, 20, 30], p90: [Double?] = [nil, 24, 30]
        #expect(r.rows.map(\.medianSeconds) == median)
        #expect(r.rows.map(\.p90Seconds) == p90)
        #expect(r.abandonment == [Funnel.Abandonment(breakdown: "all", level: "all", unitsWithCart: 4, abandoned: 2)])
        #expect(r.abandonment[0].rate == 0.5)
    }

    /// A unit's level is its first event's (s2 is mobile: its desktop cart came later); with two
    /// levels kept, tablet is pooled as other.
    @Test func breakdownByTheFirstEvent() throws {
        var c = Funnel.Config(steps: ["view", "cart", "purchase"])
        c.breakdowns = ["device"]
        c.topLevels = 2
        let r = try compute(c)
        let device = r.rows.filter { $0.breakdown == "device" }
        #expect(device.map { "\($0.level) \($0.step) \($0.units)" } == [
            "mobile view 3", "mobile cart 2", "mobile purchase 1",
            "desktop view 1", "desktop cart 0", "desktop purchase 0",
            "other view 1", "other cart 1", "other purchase 0",
        ])
        // mobile's gaps to the cart are [10, 25]: np.percentile([10, 25], [50, 90]) -> [17.5, 23.5].
        #expect(device[1].medianSeconds == 17.5 && device[1].p90Seconds == 23.5)
        // desktop: s3 reaches view, s5 does not; nothing reaches cart, so purchase has no rate from the previous step.
        #expect(device[3].fromPrevious == 0.5 && device[4].fromPrevious == 0 && device[5].fromPrevious == nil && device[5].medianSeconds == nil)
        #expect(r.abandonment.map { "\($0.level) \($0.unitsWithCart) \($0.abandoned)" } == ["all 4 2", "mobile 2 1", "desktop 1 1", "other 1 0"])
    }

    @Test func weekdaysAndQuantiles() throws {
        #expect(Funnel.weekday(0) == "Thursday" && Funnel.weekday(4 * 86400 + 3600) == "Monday" && Funnel.weekday(-1) == "Wednesday")
        // 2019-10-01 (day 18170) was a Tuesday.
        #expect(Funnel.weekday(18170 * 86400) == "Tuesday")
        var c = Funnel.Config(steps: ["view"])
        c.breakdowns = [Funnel.dayOfWeek]
        #expect(try compute(c).rows.filter { $0.breakdown == Funnel.dayOfWeek }.map(\.level) == ["Thursday"])
        // np.percentile([1, 2, 3, 4, 10], [50, 90]) -> [3., 7.6]
        #expect(Funnel.quantile([1, 2, 3, 4, 10], 0.5) == 3)
        #expect(abs(Funnel.quantile([1, 2, 3, 4, 10], 0.9)! - 7.6) < 1e-12)
        #expect(Funnel.quantile([], 0.5) == nil && Funnel.quantile([7], 0.9) == 7)
    }

    @Test func aMissingTimeIsAnError() {
        #expect(throws: AnalyticsError.invalidInput(what: "e.csv: event 2 (of unit 'b') has no time", expected: "a time on every event")) {
            try Funnel.compute(unit: ["a", "b"], type: ["view", "view"], time: [0, .nan], breakdowns: [], config: Funnel.Config(steps: ["view"]), file: "e.csv")
        }
    }
}
