import Testing
@testable import LoomAnalytics

@Suite struct LloydTests {
    @Test func inertiaNeverIncreases() throws {
        // Overlapping blobs so that Lloyd needs many iterations.
        let (x, _) = blobs([[0, 0], [3, 0], [0, 3], [3, 3], [1.5, 1.5]], perCentre: 200, sd: 1.2, seed: 5)
        for seed in UInt64(0)..<5 {
            let model = try KMeans.fit(x, config: .init(k: 6, nInit: 1, tolerance: 0, seed: seed))
            #expect(model.inertiaHistory.count == model.iterations)
            #expect(model.iterations > 3)
            // Each step is a least-squares improvement; the history uses the norm expansion, whose
            // rounding is about 1e-16 * ||x||^2 per row, so allow a relative 1e-12 slack.
            for (a, b) in zip(model.inertiaHistory, model.inertiaHistory.dropFirst()) {
                #expect(b <= a * (1 + 1e-12))
            }
            #expect(model.inertia <= model.inertiaHistory.last! * (1 + 1e-12))
        }
    }

    @Test func repeatableAcrossParallelRuns() throws {
        // 10,000 rows span 3 chunks of 4096 run concurrently; whatever the scheduling, the chunk-ordered
        // reduction must give the same bits.
        let (x, _) = blobs([[0, 0, 0], [4, 0, 1], [0, 4, 2]], perCentre: 3334, sd: 1.5, seed: 6)
        let a = try KMeans.fit(x, config: .init(k: 3, nInit: 2, seed: 1))
        let b = try KMeans.fit(x, config: .init(k: 3, nInit: 2, seed: 1))
        #expect(a == b)
        #expect(a.sizes.reduce(0, +) == x.rows)
    }

    @Test func emptyClusterMovesToTheFarthestRow() throws {
        // Seeds: two centres on top of each other; the second is empty after the first assignment
        // (ties go to the lower index) and must move to the row farthest from its centre, (10, 0).
        let x = Matrix(rowArrays: [[0, 0], [1, 0], [10, 0]])
        let model = Lloyd.run(x, rowNorms: KMeansPlusPlus.squaredNorms(x), centres: [0, 0, 0, 0], k: 2, maxIterations: 10, tolerance: 0)
        #expect(model.centres == [[0.5, 0], [10, 0]])
        #expect(model.sizes == [2, 1])
        #expect(model.inertia == 0.5)
    }
}
