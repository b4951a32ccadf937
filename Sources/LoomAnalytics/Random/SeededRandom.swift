import Foundation

/// A seeded, platform-independent random number generator (xoshiro256**, Blackman & Vigna 2018),
/// seeded through SplitMix64. Every random draw in Loom goes through this type so that the same
/// seed gives the same bytes on every machine, process and `-j`.
///
/// Sampling methods are part of the reproducibility contract: changing one changes the output of
/// every kind that uses it, so such a change must bump those kinds' versions.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    /// Seeds the four words of state from one 64-bit seed with SplitMix64, as the xoshiro authors recommend.
    public init(seed: UInt64) {
        var sm = seed
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(&sm); s1 = splitMix(&sm); s2 = splitMix(&sm); s3 = splitMix(&sm)
    }

    /// An independent stream derived from this seed and a stream number (for per-chunk or per-restart
    /// generators whose results must not depend on how work is scheduled).
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03) &+ stream)
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in (0, 1): never exactly 0, safe for logarithms.
    public mutating func uniformOpen() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1.0p-53
    }

    /// Uniform integer in 0..<n (Lemire's nearly-divisionless method is not needed at these sizes;
    /// rejection sampling keeps it unbiased).
    public mutating func int(below n: Int) -> Int {
        precondition(n > 0, "int(below:) needs n > 0")
        let bound = UInt64(n)
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let x = next()
            if x < limit { return Int(x % bound) }
        }
    }

    /// Standard normal by the Box-Muller transform (one value per call; the second is discarded
    /// so that the stream position does not depend on call history).
    public mutating func normal() -> Double {
        let u1 = uniformOpen(), u2 = uniform()
        return (-2 * Foundation.log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    /// Exponential with the given rate.
    public mutating func exponential(rate: Double) -> Double {
        -Foundation.log(uniformOpen()) / rate
    }

    /// Gamma(shape, scale) by Marsaglia & Tsang (2000), "A simple method for generating gamma
    /// variables", with the shape < 1 boost X = Y * U^(1/shape).
    public mutating func gamma(shape: Double, scale: Double) -> Double {
        precondition(shape > 0 && scale > 0, "gamma needs positive shape and scale")
        if shape < 1 {
            let y = gamma(shape: shape + 1, scale: 1)
            return y * pow(uniformOpen(), 1 / shape) * scale
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat {
                x = normal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = uniformOpen()
            if u < 1 - 0.0331 * x * x * x * x { return d * v * scale }
            if Foundation.log(u) < 0.5 * x * x + d * (1 - v + Foundation.log(v)) { return d * v * scale }
        }
    }

    /// Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b).
    public mutating func beta(_ a: Double, _ b: Double) -> Double {
        let x = gamma(shape: a, scale: 1), y = gamma(shape: b, scale: 1)
        return x / (x + y)
    }

    /// Poisson(mean): inversion by sequential search for small means, and for large means the
    /// sum of Poisson draws of mean <= 30 (exact, since Poisson is closed under addition).
    public mutating func poisson(mean: Double) -> Int {
        precondition(mean >= 0, "poisson needs a non-negative mean")
        var remaining = mean, total = 0
        while remaining > 0 {
            let m = min(remaining, 30)
            remaining -= m
            let l = Foundation.exp(-m)
            var k = 0, p = 1.0
            repeat {
                k += 1
                p *= uniform()
            } while p > l
            total += k - 1
        }
        return total
    }

    /// Bernoulli(p).
    public mutating func bernoulli(_ p: Double) -> Bool { uniform() < p }

    /// Fisher-Yates shuffle driven by this generator (the standard library's shuffle takes any
    /// generator but does not promise a stable algorithm across Swift versions).
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = int(below: i + 1)
            if i != j { a.swapAt(i, j) }
        }
    }
}
