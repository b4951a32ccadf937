import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct MatrixTests {
    /// The column-by-column computation `columnMeansAndVariances` replaced (in k-means' tolerance,
    /// `FeatureScaling` and logistic standardisation): must give the same bits.
    static func reference(_ x: Matrix, _ j: Int) -> (mean: Double, variance: Double) {
        let c = x.column(j)
        let mean = c.reduce(0, +) / Double(x.rows)
        return (mean, c.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.rows))
    }

    @Test(arguments: [(1, 1), (7, 3), (1000, 20), (4097, 5)])
    func columnMomentsMatchTheColumnByColumnSumsBitForBit(rows: Int, columns: Int) {
        var rng = SeededRandom(seed: UInt64(rows * 31 + columns))
        let x = Matrix(rows: rows, columns: columns, values: (0..<(rows * columns)).map { k in
            k % 7 == 0 ? 3.25 : rng.normal() * pow(10, Double(rng.int(below: 12)) - 6) + Double(k % 5)
        })
        let (means, variances) = x.columnMeansAndVariances()
        for j in 0..<columns {
            let r = Self.reference(x, j)
            #expect(means[j].bitPattern == r.mean.bitPattern, "column \(j)")
            #expect(variances[j].bitPattern == r.variance.bitPattern, "column \(j)")
        }
    }

    @Test func noRowsGivesNaN() {
        let (means, variances) = Matrix(rows: 0, columns: 2).columnMeansAndVariances()
        #expect(means.count == 2 && means.allSatisfy(\.isNaN) && variances.allSatisfy(\.isNaN))
    }
}
