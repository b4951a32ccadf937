import Testing
@testable import LoomAnalytics

@Suite struct KMeansPlusPlusTests {
    @Test func localTrialsAsScikitLearn() {
        // 2 + floor(ln k): ln 2 = 0.69, ln 3 = 1.10, ln 8 = 2.08, ln 20 = 3.00.
        #expect([1, 2, 3, 8, 20].map(KMeansPlusPlus.localTrials) == [2, 2, 3, 4, 4])
    }

    @Test func searchIsNumpysLeftSearchsorted() {
        let c: [Double] = [0, 1, 1, 3]
        #expect([0.0, 0.5, 1, 2, 3, 4].map { KMeansPlusPlus.firstIndex(in: c, atLeast: $0) } == [0, 1, 1, 3, 3, 4])
    }

    @Test func seedsAreDistinctRowsOnSeparatedData() {
        // Three far-apart pairs: D^2 sampling cannot pick a second seed within a pair of an existing one
        // unless the candidates all fall there, and the greedy step then prefers a new pair.
        let x = Matrix(rowArrays: [[0, 0], [0.1, 0], [100, 0], [100.1, 0], [0, 100], [0, 100.1]])
        var random = SeededRandom(seed: 4, stream: 0)
        let c = KMeansPlusPlus.centres(x, rowNorms: KMeansPlusPlus.squaredNorms(x), k: 3, random: &random)
        var pairs: Set<Int> = []
        for j in 0..<3 {
            let centre = Array(c[(j * 2)..<(j * 2 + 2)])
            if let row = (0..<6).first(where: { x.row($0) == centre }) { pairs.insert(row / 2) }
        }
        #expect(pairs == [0, 1, 2])
    }
}
