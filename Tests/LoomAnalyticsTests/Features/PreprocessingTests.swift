import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct PreprocessingTests {
    /// a: 1, NaN, 4, 10, 2 (training rows 0...3); device: web, mobile, web, "", tablet.
    func table() -> Table {
        Table([("a", .number([1, .nan, 4, 10, 2])), ("device", .text(["web", "mobile", "web", "", "tablet"]))])
    }

    // Training rows 0...3: a's values 1, 4, 10 (NaN skipped): median 4, mean 5; levels mobile, web (empty is none).
    @Test(arguments: [(Preprocessing.Imputation.median, 4.0), (.mean, 5.0), (.constant, -1.0)])
    func fillsMissingValuesFromTheTrainingRows(imputation: Preprocessing.Imputation, expected: Double) throws {
        let p = try Preprocessing.fit(table(), rows: [0, 1, 2, 3], numeric: ["a"], categorical: ["device"], imputation: imputation, constant: -1)
        #expect(p.fill == [expected])
        #expect(p.featureNames == ["a", "device=mobile", "device=web"])
        let x = try p.matrix(table())
        #expect(x.row(1) == [expected, 1, 0])
        #expect(x.row(0) == [1, 0, 1])
        // Empty and unseen levels (tablet, row 4) are 0 in every level column.
        #expect(x.row(3) == [10, 0, 0] && x.row(4) == [2, 0, 0])
    }

    // An even count: numpy's median of 1, 4, 10, 2 is (2 + 4) / 2.
    @Test func medianOfAnEvenCountIsTheMiddlePair() throws {
        let p = try Preprocessing.fit(table(), rows: [0, 1, 2, 3, 4], numeric: ["a"], categorical: [], imputation: .median)
        #expect(p.fill == [3])
    }

    @Test func withoutImputationNaNStays() throws {
        let p = try Preprocessing.fit(table(), rows: [0, 1], numeric: ["a"], categorical: [], imputation: .none)
        let x = try p.matrix(table())
        #expect(p.fill.isEmpty && x[1, 0].isNaN)
    }

    @Test func missingColumnsAreNamedAllAtOnce() throws {
        let p = try Preprocessing.fit(table(), rows: [0, 1], numeric: ["a"], categorical: ["device"], imputation: .mean)
        #expect(throws: AnalyticsError.invalidInput(what: "the table lacks the model's columns a, device (it has: b)", expected: "every column the model was trained on")) {
            try p.matrix(Table([("b", .number([1]))]))
        }
        #expect(throws: AnalyticsError.self) { try Preprocessing.fit(table(), rows: [1], numeric: ["a"], categorical: [], imputation: .median) }
    }
}
