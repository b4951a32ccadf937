import Testing
@testable import LoomAnalytics

@Suite struct SilhouetteTests {
    @Test func handComputedFivePoints() throws {
        // 1-D points 0, 1, 2 (cluster 0) and 10, 11 (cluster 1).
        // s = (b - a) / max(a, b): row 0: a = 1.5, b = 10.5; row 1: a = 1, b = 9.5; row 2: a = 1.5, b = 8.5;
        // row 3: a = 1, b = 9; row 4: a = 1, b = 10.
        let x = Matrix(rowArrays: [[0], [1], [2], [10], [11]])
        let terms: [Double] = [9 / 10.5, 8.5 / 9.5, 7 / 8.5, 8 / 9, 9 / 10]
        let expected = terms.reduce(0, +) / 5
        let s = try Silhouette.score(x, labels: [0, 0, 0, 1, 1])
        #expect(abs(s - expected) < 1e-14)   // a handful of roundings of numbers below 1
    }

    @Test func singletonScoresZero() throws {
        let x = Matrix(rowArrays: [[0], [1], [5]])
        // Row 2 is alone: s = 0. Rows 0, 1: a = 1, b = 5 and 4.
        let terms: [Double] = [4 / 5, 3 / 4, 0]
        let expected = terms.reduce(0, +) / 3
        #expect(abs(try Silhouette.score(x, labels: [0, 0, 1]) - expected) < 1e-14)
    }

    @Test func oneClusterThrows() {
        #expect(throws: AnalyticsError.self) { try Silhouette.score(Matrix(rowArrays: [[0], [1]]), labels: [0, 0]) }
    }

    @Test func sampledScoreIsCloseToTheExactOne() throws {
        let (x, truth) = blobs([[0, 0], [3, 0], [0, 3]], perCentre: 900, sd: 1, seed: 8)
        let exact = try Silhouette.score(x, labels: truth, sampleSize: x.rows)
        let sampled = try Silhouette.score(x, labels: truth, seed: 2)
        #expect(sampled == (try Silhouette.score(x, labels: truth, seed: 2)))
        // s(i) lies in [-1, 1] with a spread of about 0.2 here; a mean over 2,000 of 2,700 rows differs
        // from the full mean by about 0.2 / sqrt(2000) * sqrt(700 / 2700) = 0.002, so 0.02 is 10 such errors.
        #expect(abs(sampled - exact) < 0.02)
        #expect(exact > 0.2 && exact < 0.8)
    }

    @Test func sampleIsSeededDistinctAndSorted() {
        let a = Silhouette.sample(rows: 5000, size: 2000, seed: 3)
        #expect(a == Silhouette.sample(rows: 5000, size: 2000, seed: 3))
        #expect(a.count == 2000 && Set(a).count == 2000 && a == a.sorted())
        #expect(Silhouette.sample(rows: 10, size: 2000, seed: 3) == Array(0..<10))
    }
}
