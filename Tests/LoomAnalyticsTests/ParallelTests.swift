import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct ParallelTests {
    /// Every iteration runs exactly once, whatever the limit.
    @Test(arguments: [nil, 1, 2, 3, 64] as [Int?]) func performVisitsEachIterationOnce(limit: Int?) {
        let n = 1000
        let lock = NSLock()
        var seen = [Int](repeating: 0, count: n)
        Parallel.limited(to: limit) {
            Parallel.perform(iterations: n) { i in
                lock.lock(); seen[i] += 1; lock.unlock()
            }
        }
        #expect(seen == [Int](repeating: 1, count: n))
    }

    /// A task's cpus change how many chunks run at once, never a bit of the model.
    @Test func gradientBoostingIsTheSameOnOneThread() throws {
        var rng = SeededRandom(seed: 5)
        let n = 3000
        let x = Matrix(rows: n, columns: 4, values: (0..<(4 * n)).map { _ in rng.normal() })
        let y: [Double] = (0..<n).map { i in x[i, 0] + 0.5 * x[i, 1] * x[i, 2] > 0 ? 1 : 0 }
        let config = GradientBoosting.Config(rounds: 15, maxLeafNodes: 16, minSamplesLeaf: 10)
        let one = try Parallel.limited(to: 1) { try GradientBoosting.fit(x: x, y: y, config: config) }
        let all = try GradientBoosting.fit(x: x, y: y, config: config)
        #expect(one == all)
    }
}
