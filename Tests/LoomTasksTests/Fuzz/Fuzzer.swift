import Foundation
import Testing

/// A seeded mutational fuzzer: takes a small corpus of valid inputs, applies a few random
/// mutations to one (byte flips, insertions, deletions, tokens of the format, a slice repeated up
/// to thousands of times, truncation) and hands the result to a check, for a fixed number of
/// iterations or until a time budget runs out, whichever comes first. The same seed gives the same
/// inputs, so a failure names the seed and iteration that reproduce it.
struct Fuzzer {
    /// SplitMix64: tiny, seedable, good enough to pick mutations.
    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    let corpus: [[UInt8]]
    /// Fragments that mean something in the format (`*a`, `{`, `\ud800`), inserted whole.
    let tokens: [[UInt8]]
    /// Inputs are cut to this size: large enough for a 1,000-fold repeat of a short slice.
    var maxLength = 64 * 1024

    init(corpus: [String], tokens: [String]) {
        self.corpus = corpus.map { Array($0.utf8) }
        self.tokens = tokens.map { Array($0.utf8) }
    }

    func mutate(_ input: [UInt8], _ rng: inout Random) -> [UInt8] {
        var b = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let at = b.isEmpty ? 0 : Int.random(in: 0...b.count, using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0 where at < b.count: b[at] = UInt8.random(in: 0...255, using: &rng)
            case 1: b.insert(UInt8.random(in: 0...255, using: &rng), at: at)
            case 2 where at < b.count: b.removeSubrange(at..<min(b.count, at + Int.random(in: 1...16, using: &rng)))
            case 3, 4: b.insert(contentsOf: tokens.randomElement(using: &rng)!, at: at)
            case 5 where at < b.count:
                let slice = b[at..<min(b.count, at + Int.random(in: 1...24, using: &rng))]
                let times = [2, 10, 100, 1_000, 3_000].randomElement(using: &rng)!
                b.insert(contentsOf: Array(repeatElement(slice, count: times).joined()), at: at)
            case 6: b.removeSubrange(at...)
            default: break
            }
            if b.count > maxLength { b.removeSubrange(maxLength...) }
        }
        return b
    }

    /// Runs `check` on the corpus itself, then on mutants, for `iterations` or `seconds`. Each call
    /// must return within `perInput` seconds. Returns how many inputs were checked.
    @discardableResult
    func run(seed: UInt64, iterations: Int, seconds: Double, perInput: Double = 2, _ check: ([UInt8]) throws -> Void) rethrows -> Int {
        var rng = Random(state: seed)
        let end = Date().addingTimeInterval(seconds)
        var done = 0
        for i in 0..<(corpus.count + iterations) {
            guard i < corpus.count || Date() < end else { break }
            let input = i < corpus.count ? corpus[i] : mutate(corpus.randomElement(using: &rng)!, &rng)
            let start = Date()
            try check(input)
            let took = Date().timeIntervalSince(start)
            #expect(took < perInput, "seed \(seed), iteration \(i): \(took) s for \(input.count) bytes")
            done += 1
        }
        return done
    }

    /// The process's peak resident memory in bytes (VmHWM), or 0 where /proc is missing.
    static var peakMemory: Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
        return kb * 1024
    }

    /// Peak memory the test process may reach while fuzzing. The alias bomb alone took 3.4 GB;
    /// the whole test suite, run in parallel in one process, stays far below this.
    static let memoryLimit = 1_500_000_000
}
