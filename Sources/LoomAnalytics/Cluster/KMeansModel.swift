/// A fitted k-means model (saved as JSON by the task adapters).
public struct KMeansModel: Codable, Equatable, Sendable {
    /// Cluster centres, one array of `columns` coordinates per cluster, in the units of the fitted
    /// matrix (an array of arrays rather than a `Matrix` so that the JSON reads as rows).
    public var centres: [[Double]]
    /// Number of fitted rows nearest to each centre. A size can be 0 only when rows coincide
    /// (fewer distinct rows than k).
    public var sizes: [Int]
    /// Sum over fitted rows of the squared Euclidean distance to the nearest centre (computed directly,
    /// not by the norm expansion).
    public var inertia: Double
    /// Lloyd iterations run by the winning restart.
    public var iterations: Int
    /// `inertiaHistory[i]` is the inertia of the centres at the start of iteration i + 1 of the winning
    /// restart (the first entry is that of the k-means++ seeds); non-increasing up to rounding.
    public var inertiaHistory: [Double]

    public init(centres: [[Double]], sizes: [Int], inertia: Double, iterations: Int, inertiaHistory: [Double]) {
        self.centres = centres
        self.sizes = sizes
        self.inertia = inertia
        self.iterations = iterations
        self.inertiaHistory = inertiaHistory
    }

    /// The centres as a k x columns matrix (for example for `FeatureScaling.invert`).
    public var centreMatrix: Matrix { Matrix(rowArrays: centres) }

    /// Index of the nearest centre for each row of `x` (ties to the lower index), computed exactly as
    /// in the fit. `x` must have as many columns as the centres (a programmer error otherwise).
    public func predict(_ x: Matrix) -> [Int] {
        let c = centreMatrix
        precondition(x.columns == c.columns, "predict: \(x.columns) columns, the model has \(c.columns)")
        let block = CentreBlock(centres: c.values, count: c.rows, dimension: c.columns)
        var labels = [Int](repeating: 0, count: x.rows)
        let d = x.columns
        x.values.withUnsafeBufferPointer { xs in
            labels.withUnsafeMutableBufferPointer { out in
                block.withPointers { lanes, norms in
                    guard let xBase = xs.baseAddress else { return }
                    RowChunks.forEach(rows: x.rows) { _, rows in
                        for i in rows { out[i] = block.nearest(row: xBase + i * d, lanes: lanes, norms: norms).index }
                    }
                }
            }
        }
        return labels
    }
}
