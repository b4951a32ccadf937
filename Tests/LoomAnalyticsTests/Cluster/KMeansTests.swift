import Foundation
import Testing
@testable import LoomAnalytics

/// Points drawn around known centres with a given spread, labels in centre order.
func blobs(_ centres: [[Double]], perCentre: Int, sd: Double, seed: UInt64) -> (x: Matrix, labels: [Int]) {
    var random = SeededRandom(seed: seed)
    var rows: [[Double]] = [], labels: [Int] = []
    for i in 0..<perCentre {
        for (c, centre) in centres.enumerated() {
            _ = i
            rows.append(centre.map { $0 + sd * random.normal() })
            labels.append(c)
        }
    }
    return (Matrix(rowArrays: rows), labels)
}

@Suite struct KMeansTests {
    let truth: [[Double]] = [[0, 0], [10, 0], [0, 10]]

    @Test func recoversWellSeparatedBlobs() throws {
        let (x, labels) = blobs(truth, perCentre: 100, sd: 0.5, seed: 1)
        let model = try KMeans.fit(x, config: .init(k: 3, seed: 7))
        let predicted = model.predict(x)
        // Map each true cluster to the fitted cluster of its first row; blobs 20 sd apart cannot mix,
        // so the labels must agree exactly up to that permutation.
        let map = (0..<3).map { c in predicted[labels.firstIndex(of: c)!] }
        #expect(Set(map).count == 3)
        #expect(zip(labels, predicted).allSatisfy { map[$0] == $1 })
        for c in 0..<3 {
            // Each centre is the mean of 100 points with sd 0.5: standard error 0.05, so 0.2 is 4 SE.
            for t in 0..<2 { #expect(abs(model.centres[map[c]][t] - truth[c][t]) < 0.2) }
            #expect(model.sizes[map[c]] == 100)
        }
        // Inertia of 300 2-D points with sd 0.5 is about 300 * 2 * 0.25 = 150 (chi-square, sd ~ 12).
        #expect(abs(model.inertia - 150) < 40)
    }

    @Test func sameSeedSameModel() throws {
        let (x, _) = blobs(truth + [[5, 5]], perCentre: 50, sd: 3, seed: 2)
        let a = try KMeans.fit(x, config: .init(k: 4, nInit: 3, seed: 11))
        let b = try KMeans.fit(x, config: .init(k: 4, nInit: 3, seed: 11))
        #expect(a == b)
        let config = KMeans.Config(k: 4, nInit: 3, seed: 11)
        #expect(try JSONDecoder().decode(KMeans.Config.self, from: JSONEncoder().encode(config)) == config)
        let json = try JSONEncoder().encode(a)
        #expect(try JSONDecoder().decode(KMeansModel.self, from: json) == a)
    }

    @Test func bestRestartIsNoWorseThanOneRestart() throws {
        let (x, _) = blobs(truth + [[5, 5], [10, 10]], perCentre: 40, sd: 3, seed: 3)
        let one = try KMeans.fit(x, config: .init(k: 5, nInit: 1, seed: 5))
        let ten = try KMeans.fit(x, config: .init(k: 5, nInit: 10, seed: 5))
        // Restart 0 of both fits draws from the same stream, so ten restarts keep it or beat it.
        #expect(ten.inertia <= one.inertia)
    }

    @Test func identicalPoints() throws {
        let x = Matrix(rowArrays: Array(repeating: [2.5, -1], count: 6))
        let model = try KMeans.fit(x, config: .init(k: 3, seed: 1))
        #expect(model.inertia == 0)
        #expect(model.centres.allSatisfy { $0 == [2.5, -1] })
        #expect(model.sizes == [6, 0, 0])   // every row ties, ties go to the lower index
        #expect(model.predict(x) == Array(repeating: 0, count: 6))
    }

    @Test func kEqualToRowsGivesZeroInertia() throws {
        let x = Matrix(rowArrays: [[0, 0], [1, 0], [0, 3], [7, 7]])
        let model = try KMeans.fit(x, config: .init(k: 4, seed: 3))
        #expect(model.inertia == 0)
        #expect(model.sizes == [1, 1, 1, 1])
    }

    @Test func rejectsBadInput() throws {
        let x = Matrix(rowArrays: [[0, 0], [1, 1], [2, 2]])
        #expect(throws: AnalyticsError.invalidParameter(name: "k", value: "4", expected: "between 1 and the number of rows (3)")) {
            try KMeans.fit(x, config: .init(k: 4))
        }
        #expect(throws: AnalyticsError.invalidParameter(name: "k", value: "0", expected: "between 1 and the number of rows (3)")) {
            try KMeans.fit(x, config: .init(k: 0))
        }
        #expect(throws: AnalyticsError.invalidParameter(name: "nInit", value: "0", expected: "at least 1")) {
            try KMeans.fit(x, config: .init(k: 2, nInit: 0))
        }
        #expect(throws: AnalyticsError.tooFewRows(what: "k-means input", rows: 0, needed: 1)) {
            try KMeans.fit(Matrix(rows: 0, columns: 2), config: .init(k: 1))
        }
        var bad = x
        bad[1, 1] = .nan
        #expect(throws: AnalyticsError.invalidInput(what: "k-means input column 1, row 1 is nan", expected: "finite numbers (no NaN or infinity)")) {
            try KMeans.fit(bad, config: .init(k: 2))
        }
    }

    @Test func selectPicksTheTrueNumberOfClusters() throws {
        let (x, _) = blobs(truth, perCentre: 30, sd: 0.5, seed: 4)
        let (chosen, scores) = try KMeans.select(x, ks: 2...5, config: .init(k: 1, nInit: 3, seed: 9))
        #expect(chosen.centres.count == 3)
        #expect(scores.map(\.k) == [2, 3, 4, 5])
        // Inertia falls as k grows on these well-separated blobs (best of 3 restarts each).
        #expect(zip(scores, scores.dropFirst()).allSatisfy { $0.inertia >= $1.inertia })
        #expect(throws: AnalyticsError.self) { try KMeans.select(x, ks: 1...3, config: .init(k: 1)) }
    }
}
