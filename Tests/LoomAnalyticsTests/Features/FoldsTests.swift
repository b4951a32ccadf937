import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct FoldsTests {
    // 100 rows, 30 positives, 5 folds: dealing each class in turn gives every fold 20 rows and 6 positives exactly.
    @Test func stratifiedFoldsKeepTheClassRate() throws {
        let y = (0..<100).map { $0 % 10 < 3 ? 1.0 : 0.0 }
        let fold = try Folds.assign(rows: 100, k: 5, labels: y, seed: 4)
        for f in 0..<5 {
            let rows = (0..<100).filter { fold[$0] == f }
            #expect(rows.count == 20)
            #expect(rows.filter { y[$0] == 1 }.count == 6)
        }
        // Seeded: the same seed gives the same folds, another seed other ones.
        #expect(try Folds.assign(rows: 100, k: 5, labels: y, seed: 4) == fold)
        #expect(try Folds.assign(rows: 100, k: 5, labels: y, seed: 5) != fold)
    }

    // No group is on two sides; 9 groups in 3 folds: 3 groups per fold.
    @Test func groupedFoldsKeepGroupsWhole() throws {
        let groups = (0..<90).map { "u\($0 % 9)" }
        let fold = try Folds.assign(rows: 90, k: 3, groups: groups, seed: 1)
        var foldOf: [String: Int] = [:]
        for (g, f) in zip(groups, fold) {
            if let seen = foldOf[g] { #expect(seen == f, "group \(g)") }
            foldOf[g] = f
        }
        for f in 0..<3 { #expect(foldOf.values.filter { $0 == f }.count == 3) }
    }

    @Test func plainFoldsAreBalancedAndCoverEveryRow() throws {
        let fold = try Folds.assign(rows: 11, k: 3, seed: 2)
        #expect(fold.count == 11 && Set(fold) == [0, 1, 2])
        #expect((0..<3).map { f in fold.filter { $0 == f }.count }.sorted() == [3, 4, 4])
    }

    @Test func tooFewRowsOrFoldsThrow() {
        #expect(throws: AnalyticsError.self) { try Folds.assign(rows: 10, k: 1, seed: 0) }
        #expect(throws: AnalyticsError.self) { try Folds.assign(rows: 3, k: 4, seed: 0) }
        #expect(throws: AnalyticsError.self) { try Folds.assign(rows: 6, k: 3, labels: [1, 0, 0, 0, 0, 1], seed: 0) }
        #expect(throws: AnalyticsError.self) { try Folds.assign(rows: 4, k: 3, groups: ["a", "a", "b", "b"], seed: 0) }
    }
}
