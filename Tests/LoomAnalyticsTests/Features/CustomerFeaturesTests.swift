import Foundation
import Testing
@testable import LoomAnalytics

/// The CDNOW sample shipped in data/ (provenance in data/README.md).
func cdnowFeatures() throws -> CustomerFeatures {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let t = try CSV.read(root.appendingPathComponent("data/cdnow_sample.csv").path, types: ["customer_id": .text, "date": .text])
    let days = try t.texts("date").map { CivilDate.parse($0) ?? -1 }
    return try CustomerFeatures(customers: try t.texts("customer_id"), days: days, amounts: try t.numbers("dollar_value"),
                                calibrationEnd: CivilDate.parse("1997-09-30")!, holdoutEnd: CivilDate.parse("1998-06-30")!)
}

@Suite struct CustomerFeaturesTests {
    // Published calibration and holdout totals of the sample (shared/data/README.md): exact.
    @Test func cdnowTotals() throws {
        let f = try cdnowFeatures()
        #expect(f.rows.count == 2357)
        #expect(f.rows.reduce(0) { $0 + $1.frequency } == 2457)
        #expect(f.rows.filter { $0.frequency > 0 }.count == 946)
        #expect(f.rows.reduce(0) { $0 + $1.holdoutTransactions } == 1882)
    }

    @Test func handComputedCustomer() throws {
        // Day 0 two records (one transaction, 30), day 7 (10), day 21 (20); calibration ends day 28;
        // holdout: day 35 (5). x = 2, t_x = 3 weeks, T = 4 weeks, monetary = (10 + 20) / 2.
        let f = try CustomerFeatures(customers: ["a", "a", "a", "a", "a", "b"], days: [0, 0, 7, 21, 35, 30], amounts: [10, 20, 10, 20, 5, 1],
                                     calibrationEnd: 28, holdoutEnd: 56)
        #expect(f.rows.count == 1, "b first bought after the calibration end")
        let a = f.rows[0]
        #expect(a.frequency == 2 && a.recency == 3 && a.age == 4 && a.monetary == 15)
        #expect(a.daysSinceLast == 7 && a.tenureDays == 28 && a.calibrationSpend == 60)
        #expect(a.holdoutTransactions == 1 && a.holdoutSpend == 5 && a.churned == 0)
    }

    @Test func quintilesShareScoresOnTies() {
        #expect(CustomerFeatures.quintiles([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
        #expect(CustomerFeatures.quintiles([0, 0, 0, 0, 5]) == [1, 1, 1, 1, 5])
    }

    @Test func civilDates() {
        #expect(CivilDate.parse("1970-01-01") == 0)
        #expect(CivilDate.parse("19970101") == 9862)
        #expect(CivilDate.parse("2000-02-29") != nil && CivilDate.parse("1900-02-29") == nil && CivilDate.parse("1997-13-01") == nil)
        for d in [-1000, 0, 9862, 20000] { #expect(CivilDate.parse(CivilDate.format(d)) == d) }
    }
}
