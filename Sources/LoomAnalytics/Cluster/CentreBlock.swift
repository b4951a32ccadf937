/// Centres laid out for fast nearest-centre search: transposed into blocks of 8 centres so that one
/// row's scores against 8 centres are computed with 8-wide vector arithmetic (no reductions, hence no
/// dependence on the compiler's reassociation). Lanes past the last centre are padding.
///
/// The score of row x against centre c is ||c||^2 - 2 x.c, which is ||x - c||^2 - ||x||^2: the expansion
/// of the squared distance with precomputed centre norms (the row norm is the same for every centre,
/// so the argmin needs only the score; add ||x||^2 for the distance).
struct CentreBlock {
    let count: Int
    let dimension: Int
    /// `lanes[b * dimension + t]` holds coordinate t of centres 8b..<8b+8.
    private(set) var lanes: [SIMD8<Double>]
    /// Squared norms of the centres, +infinity in padding lanes so they never win an argmin.
    private(set) var norms: [SIMD8<Double>]

    var blocks: Int { (count + 7) / 8 }

    /// `centres` is row-major, `count` x `dimension`.
    init(centres: UnsafeBufferPointer<Double>, count: Int, dimension: Int) {
        self.count = count
        self.dimension = dimension
        let blocks = (count + 7) / 8
        lanes = Array(repeating: SIMD8<Double>(), count: blocks * dimension)
        norms = Array(repeating: SIMD8<Double>(repeating: .infinity), count: blocks)
        for j in 0..<count {
            var norm = 0.0
            for t in 0..<dimension {
                let v = centres[j * dimension + t]
                lanes[(j / 8) * dimension + t][j % 8] = v
                norm += v * v
            }
            norms[j / 8][j % 8] = norm
        }
    }

    init(centres: [Double], count: Int, dimension: Int) {
        self = centres.withUnsafeBufferPointer { CentreBlock(centres: $0, count: count, dimension: dimension) }
    }

    /// Scores of the row starting at `row` against the centres of block `b`. Two accumulators (even and
    /// odd coordinates) halve the dependency chain; the order of additions is fixed, so the bits are too.
    @inline(__always)
    func scores(row: UnsafePointer<Double>, block b: Int, lanes: UnsafePointer<SIMD8<Double>>, norms: UnsafePointer<SIMD8<Double>>) -> SIMD8<Double> {
        var even = SIMD8<Double>(), odd = SIMD8<Double>()
        let base = lanes + b * dimension
        var t = 0
        while t + 1 < dimension {
            even += SIMD8<Double>(repeating: row[t]) * base[t]
            odd += SIMD8<Double>(repeating: row[t + 1]) * base[t + 1]
            t += 2
        }
        if t < dimension { even += SIMD8<Double>(repeating: row[t]) * base[t] }
        return norms[b] - 2 * (even + odd)
    }

    /// Index of the centre with the lowest score (ties to the lower index) and that score.
    @inline(__always)
    func nearest(row: UnsafePointer<Double>, lanes: UnsafePointer<SIMD8<Double>>, norms: UnsafePointer<SIMD8<Double>>) -> (index: Int, score: Double) {
        var best = 0, bestScore = Double.infinity
        for b in 0..<blocks {
            let s = scores(row: row, block: b, lanes: lanes, norms: norms)
            // A plain scalar loop: the standard library's SIMD min() is not specialised here and is slow.
            var m = s[0]
            for l in 1..<8 { m = Swift.min(m, s[l]) }
            if m < bestScore {
                bestScore = m
                var l = 0
                while s[l] != m { l += 1 }
                best = b * 8 + l
            }
        }
        return (best, bestScore)
    }

    /// Calls `body` with pointers to the lanes and norms (for `scores` and `nearest`).
    func withPointers<R>(_ body: (UnsafePointer<SIMD8<Double>>, UnsafePointer<SIMD8<Double>>) -> R) -> R {
        lanes.withUnsafeBufferPointer { l in
            norms.withUnsafeBufferPointer { n in
                // Both arrays have at least one element when count >= 1, which every caller guarantees.
                body(l.baseAddress!, n.baseAddress!)
            }
        }
    }
}
