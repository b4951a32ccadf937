import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct SplitTests {
    static func users(_ n: Int, seed: UInt64) -> [String] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in "u\(rng.int(below: 37))" }
    }

    @Test func groupsNeverStraddle() throws {
        let g = Self.users(500, seed: 1)
        let s = try Split.byGroup(g, testFraction: 0.25, seed: 42)
        #expect(Set(s.train.map { g[$0] }).isDisjoint(with: Set(s.test.map { g[$0] })))
        #expect((s.train + s.test).sorted() == Array(0..<500))   // every row exactly once
        #expect(s.train == s.train.sorted() && s.test == s.test.sorted())
    }

    @Test func sameSeedSameSplitOtherSeedOtherSplit() throws {
        let g = Self.users(300, seed: 2)
        let a = try Split.byGroup(g, testFraction: 0.3, seed: 7)
        #expect(try Split.byGroup(g, testFraction: 0.3, seed: 7) == a)
        #expect(try Split.byGroup(g, testFraction: 0.3, seed: 8) != a)
        // The split depends on the set of groups, not the row order they first appear in.
        let reversed = try Split.byGroup(Array(g.reversed()), testFraction: 0.3, seed: 7)
        #expect(Set(reversed.test.map { g.reversed()[$0] }) == Set(a.test.map { g[$0] }))
    }

    // ceil(fraction * groups) groups go to test: 0.7 * 10 is 7.000000000000001 in doubles, still 7.
    @Test(arguments: [(0.7, 10, 7), (0.25, 10, 3), (0.5, 37, 19), (0.01, 5, 1)])
    func fractionRespected(fraction: Double, groups: Int, expected: Int) throws {
        let g = (0..<(groups * 3)).map { Double($0 % groups) }
        let s = try Split.byGroup(g, testFraction: fraction, seed: 3)
        #expect(Set(s.test.map { g[$0] }).count == expected)
    }

    @Test func byColumn() throws {
        let t = Table([("split", .text(["train", "test", "train", "test"])), ("x", .number([1, 2, 3, 4]))])
        #expect(try Split.byColumn(t, column: "split") == TrainTestSplit(train: [0, 2], test: [1, 3]))
        #expect(throws: AnalyticsError.invalidInput(what: "column 'split' at row 1 is 'tset'", expected: "'train' or 'test'")) {
            try Split.byValues(["train", "tset"])
        }
        #expect(throws: AnalyticsError.wrongColumnType(name: "x", expected: "text ('train' or 'test')")) {
            try Split.byColumn(t, column: "x")
        }
        #expect(throws: AnalyticsError.self) { try Split.byColumn(t, column: "nope") }
        #expect(throws: AnalyticsError.tooFewRows(what: "test split", rows: 0, needed: 1)) { try Split.byValues(["train"]) }
    }

    @Test func byGroupFromTableAndBadParameters() throws {
        let t = Table([("user", .text(["a", "b", "a", "c"]))])
        let s = try Split.byGroup(t, column: "user", testFraction: 0.3, seed: 1)
        #expect(s.test.count + s.train.count == 4)
        #expect(throws: AnalyticsError.self) { try Split.byGroup(["a", "b"], testFraction: 1, seed: 1) }
        #expect(throws: AnalyticsError.tooFewRows(what: "training split", rows: 0, needed: 1)) {
            try Split.byGroup(["a", "a"], testFraction: 0.5, seed: 1)
        }
    }

    @Test func byOrderTakesTheFirstRowsForTraining() throws {
        #expect(try Split.byOrder(rows: 5, trainRows: 3) == TrainTestSplit(train: [0, 1, 2], test: [3, 4]))
        // ceil(0.25 * 10) = 3 test rows; 0.3 * 10 = 3.0000000000000004 is 3 as well.
        #expect(try Split.byOrder(rows: 10, testFraction: 0.25).test == [7, 8, 9])
        #expect(try Split.byOrder(rows: 10, testFraction: 0.3).test == [7, 8, 9])
        for bad in [0, 5, 6] {
            #expect(throws: AnalyticsError.invalidParameter(name: "train_rows", value: "\(bad)", expected: "from 1 to 4 (fewer than the 5 rows)")) {
                try Split.byOrder(rows: 5, trainRows: bad)
            }
        }
    }
}
