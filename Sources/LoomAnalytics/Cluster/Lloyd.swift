import Foundation

/// Lloyd's algorithm (Lloyd 1982, "Least squares quantization in PCM") as scikit-learn runs it
/// (`_kmeans_single_lloyd`): assign every row to its nearest centre, move each centre to the mean of
/// its rows, and stop when no label changed or when the summed squared centre shift is at most the
/// tolerance; then assign once more so that labels and inertia match the final centres.
///
/// Empty clusters (as scikit-learn's `_relocate_empty_clusters`): an empty cluster's centre moves to
/// the row farthest from its own centre (the farthest rows go to the empty clusters in cluster order,
/// distance ties to the lower row), and that row is taken out of its old cluster's mean.
///
/// The assignment step runs over fixed chunks of rows in parallel; each chunk keeps its own partial
/// sums and counts, reduced in chunk order, so results are identical on any number of threads.
enum Lloyd {
    /// Per-chunk partial results of one assignment pass.
    private struct Partial {
        var sums: [Double]
        var counts: [Int]
        var inertia = 0.0
        var changed = 0
    }

    /// Runs Lloyd iterations from `centres` (row-major k x columns); `tolerance` is absolute.
    /// `rowNorms` are the squared norms of the rows of `x`.
    static func run(_ x: Matrix, rowNorms: [Double], centres seeds: [Double], k: Int, maxIterations: Int, tolerance: Double) -> KMeansModel {
        let n = x.rows, d = x.columns
        var centres = seeds
        var labels = [Int32](repeating: -1, count: n)
        var distances = [Double](repeating: 0, count: n)
        var history: [Double] = []
        var iterations = 0
        for _ in 0..<maxIterations {
            iterations += 1
            let p = assign(x, rowNorms: rowNorms, centres: centres, k: k, labels: &labels, distances: &distances, exact: false)
            history.append(p.inertia)
            var sums = p.sums, counts = p.counts
            relocateEmpty(x, labels: labels, distances: distances, sums: &sums, counts: &counts)
            var shift = 0.0
            for j in 0..<k where counts[j] > 0 {
                for t in 0..<d {
                    let new = sums[j * d + t] / Double(counts[j])
                    shift += (new - centres[j * d + t]) * (new - centres[j * d + t])
                    centres[j * d + t] = new
                }
            }
            if p.changed == 0 || shift <= tolerance { break }
        }
        let final = assign(x, rowNorms: rowNorms, centres: centres, k: k, labels: &labels, distances: &distances, exact: true)
        let rows = (0..<k).map { Array(centres[($0 * d)..<(($0 + 1) * d)]) }
        return KMeansModel(centres: rows, sizes: final.counts, inertia: final.inertia, iterations: iterations, inertiaHistory: history)
    }

    /// Assigns every row to its nearest centre (ties to the lower index), writes `labels` and the squared
    /// distances, and returns the summed per-cluster coordinates, counts, inertia and number of labels
    /// that changed. `exact` computes distances directly instead of by the norm expansion.
    private static func assign(
        _ x: Matrix, rowNorms: [Double], centres: [Double], k: Int, labels: inout [Int32], distances: inout [Double], exact: Bool
    ) -> Partial {
        let n = x.rows, d = x.columns
        let block = CentreBlock(centres: centres, count: k, dimension: d)
        let chunks = RowChunks.count(rows: n)
        var partials = [Partial](repeating: Partial(sums: [], counts: []), count: chunks)
        x.values.withUnsafeBufferPointer { xs in
            labels.withUnsafeMutableBufferPointer { lab in
                distances.withUnsafeMutableBufferPointer { dist in
                    partials.withUnsafeMutableBufferPointer { parts in
                        block.withPointers { lanes, norms in
                            centres.withUnsafeBufferPointer { cs in
                                guard let xBase = xs.baseAddress, let cBase = cs.baseAddress else { return }
                                RowChunks.forEach(rows: n) { c, range in
                                    var sums = [Double](repeating: 0, count: k * d), counts = [Int](repeating: 0, count: k)
                                    var inertia = 0.0, changed = 0
                                    sums.withUnsafeMutableBufferPointer { sums in
                                        for i in range {
                                            let row = xBase + i * d
                                            let (j, score) = block.nearest(row: row, lanes: lanes, norms: norms)
                                            let dd = exact
                                                ? squaredDistance(row, cBase + j * d, d)
                                                : Swift.max(0, rowNorms[i] + score)
                                            dist[i] = dd
                                            inertia += dd
                                            if lab[i] != Int32(j) { changed += 1; lab[i] = Int32(j) }
                                            counts[j] += 1
                                            let sum = sums.baseAddress! + j * d   // sums has k * d > 0 elements
                                            for t in 0..<d { sum[t] += row[t] }
                                        }
                                    }
                                    let part = Partial(sums: sums, counts: counts, inertia: inertia, changed: changed)
                                    parts[c] = part
                                }
                            }
                        }
                    }
                }
            }
        }
        var total = Partial(sums: [Double](repeating: 0, count: k * d), counts: [Int](repeating: 0, count: k))
        for part in partials {
            for m in 0..<(k * d) { total.sums[m] += part.sums[m] }
            for j in 0..<k { total.counts[j] += part.counts[j] }
            total.inertia += part.inertia
            total.changed += part.changed
        }
        return total
    }

    /// ||a - b||^2 over `d` coordinates, summed directly.
    @inline(__always)
    static func squaredDistance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ d: Int) -> Double {
        var s = 0.0
        for t in 0..<d {
            let e = a[t] - b[t]
            s += e * e
        }
        return s
    }

    /// Gives each empty cluster the farthest remaining row (see the type's comment).
    private static func relocateEmpty(_ x: Matrix, labels: [Int32], distances: [Double], sums: inout [Double], counts: inout [Int]) {
        let empty = counts.indices.filter { counts[$0] == 0 }
        guard !empty.isEmpty else { return }
        let d = x.columns
        let far = (0..<x.rows).sorted { distances[$0] != distances[$1] ? distances[$0] > distances[$1] : $0 < $1 }
        for (j, i) in zip(empty, far) {
            let old = Int(labels[i])
            for t in 0..<d {
                sums[old * d + t] -= x.values[i * d + t]
                sums[j * d + t] = x.values[i * d + t]
            }
            counts[old] -= 1
            counts[j] = 1
        }
    }
}
