import Testing
@testable import LoomAnalytics

@Suite struct SeededRandomTests {
    @Test func sameSeedSameStream() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42)
        for _ in 0..<100 { #expect(a.next() == b.next()) }
    }

    // Moments of 200,000 draws: the standard error of a mean is sd/sqrt(n) ~ 0.0022 sd, so a
    // tolerance of 0.01 (about 4.5 standard errors) fails by chance with probability < 1e-5.
    @Test func momentsMatch() {
        var r = SeededRandom(seed: 7)
        let n = 200_000
        let g = (0..<n).map { _ in r.gamma(shape: 2.5, scale: 2) }       // mean 5, var 10
        let gm = g.reduce(0, +) / Double(n)
        #expect(abs(gm - 5) < 0.01 * 10.0.squareRoot() * 4.5)
        let small = (0..<n).map { _ in r.gamma(shape: 0.3, scale: 1) }   // mean 0.3, var 0.3
        #expect(abs(small.reduce(0, +) / Double(n) - 0.3) < 0.0025 * 0.3.squareRoot() * 4.5)
        let b = (0..<n).map { _ in r.beta(2, 6) }                          // mean 0.25
        #expect(abs(b.reduce(0, +) / Double(n) - 0.25) < 0.005)
        let p = (0..<n).map { _ in Double(r.poisson(mean: 45.5)) }         // mean 45.5, var 45.5
        #expect(abs(p.reduce(0, +) / Double(n) - 45.5) < 0.0023 * 45.5.squareRoot() * 4.5)
        let z = (0..<n).map { _ in r.normal() }
        #expect(abs(z.reduce(0, +) / Double(n)) < 0.0023 * 4.5)
    }

    @Test func intBelowStaysInRange() {
        var r = SeededRandom(seed: 1)
        var seen = Set<Int>()
        for _ in 0..<1000 { let x = r.int(below: 7); #expect((0..<7).contains(x)); seen.insert(x) }
        #expect(seen.count == 7)
    }
}
