import Foundation
import Testing
@testable import LoomAnalytics

/// `TableFeatures` against the matrices it replaces in train: `Table.matrix` and
/// `Preprocessing.matrix` of every row, then `selectingRows`, bit for bit, over random tables.
@Suite struct TableFeaturesTests {
    /// Random rows: numbers with NaN (some with a payload, which `Table.matrix` copies as it is),
    /// -0, infinities; text with empty values and levels absent from the training rows.
    static func randomTable(_ rng: inout SeededRandom, rows: Int) -> Table {
        func number() -> Double {
            switch rng.int(below: 12) {
            case 0: return .nan
            case 1: return Double(bitPattern: Double.nan.bitPattern | 0x1234)
            case 2: return -0.0
            case 3: return [Double.infinity, -.infinity][rng.int(below: 2)]
            case 4: return Double(rng.int(below: 3))
            default: return (rng.uniform() - 0.5) * 100
            }
        }
        return Table([("a", .number((0..<rows).map { _ in number() })), ("b", .number((0..<rows).map { _ in number() })),
                      ("c", .number((0..<rows).map { _ in number() })),
                      ("device", .text((0..<rows).map { _ in ["web", "mobile", "", "tablet", "é"][rng.int(below: 5)] })),
                      ("n", .number((0..<rows).map { _ in Double(rng.int(below: 3)) }))])
    }

    static func bits(_ x: Matrix) -> [UInt64] { x.values.map(\.bitPattern) }

    /// Random row lists: shuffled subsets, repeats, empty.
    static func randomRows(_ rng: inout SeededRandom, of n: Int) -> [Int] {
        switch rng.int(below: 4) {
        case 0: return []
        case 1: return (0..<rng.int(below: 2 * n + 1)).map { _ in rng.int(below: n) }
        default:
            var all = Array(0..<n)
            rng.shuffle(&all)
            return Array(all.prefix(rng.int(below: n + 1)))
        }
    }

    @Test func numericColumnsAreTheMatrixRows() throws {
        var rng = SeededRandom(seed: 31)
        for k in 0..<200 {
            let n = 1 + rng.int(below: 60)
            let t = Self.randomTable(&rng, rows: n)
            let names = [["a"], ["c", "a"], ["a", "b", "c", "n"], ["b", "b"]][k % 4]
            let rows = Self.randomRows(&rng, of: n)
            let f = try TableFeatures(t, numeric: names)
            let reference = try t.matrix(names).selectingRows(rows)
            #expect(Self.bits(f.matrix(rows: rows)) == Self.bits(reference), "table \(k)")
            #expect(Self.bits(f.matrix(rows: nil)) == Self.bits(try t.matrix(names)), "table \(k)")
            let columns = f.columns(rows: rows)
            #expect(columns.rows == rows.count && columns.count == names.count)
            for j in 0..<names.count { #expect(columns.column(j).map(\.bitPattern) == reference.column(j).map(\.bitPattern), "table \(k)") }
            let kept = [names.count - 1, 0]
            #expect(Self.bits(f.keeping(kept).matrix(rows: rows)) == Self.bits(try t.matrix(kept.map { names[$0] }).selectingRows(rows)), "table \(k)")
        }
    }

    @Test(arguments: Preprocessing.Imputation.allCases) func preprocessedColumnsAreTheMatrixRows(imputation: Preprocessing.Imputation) throws {
        var rng = SeededRandom(seed: 32)
        for k in 0..<200 {
            let n = 2 + rng.int(below: 60)
            let t = Self.randomTable(&rng, rows: n)
            let fitted = Array(0..<(n / 2 + 1))
            let categorical = [[], ["device"], ["device", "n"]][k % 3]
            guard let p = try? Preprocessing.fit(t, rows: fitted, numeric: ["a", "b"], categorical: categorical, imputation: imputation, constant: -2) else { continue }
            let rows = Self.randomRows(&rng, of: n)
            let f = try TableFeatures(t, preprocessing: p)
            #expect(f.count == p.featureNames.count)
            let reference = try p.matrix(t).selectingRows(rows)
            #expect(Self.bits(f.matrix(rows: rows)) == Self.bits(reference), "table \(k)")
            let columns = f.columns(rows: rows)
            for j in 0..<f.count { #expect(columns.column(j).map(\.bitPattern) == reference.column(j).map(\.bitPattern), "table \(k)") }
        }
    }

    @Test func missingColumnsAreReportedAsPreprocessingReportsThem() throws {
        let t = Table([("a", .number([1, 2])), ("device", .text(["x", "y"]))])
        let p = try Preprocessing.fit(t, rows: [0, 1], numeric: ["a"], categorical: ["device"], imputation: .mean)
        let other = Table([("b", .number([1]))])
        #expect(throws: AnalyticsError.invalidInput(what: "the table lacks the model's columns a, device (it has: b)", expected: "every column the model was trained on")) {
            try TableFeatures(other, preprocessing: p)
        }
        #expect(throws: AnalyticsError.wrongColumnType(name: "device", expected: "numeric")) { try TableFeatures(t, numeric: ["device"]) }
    }
}
