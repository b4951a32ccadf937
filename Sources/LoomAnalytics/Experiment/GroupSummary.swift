/// Count, mean and sample variance (n - 1 denominator) of one group, by two passes (no
/// cancellation of large sums of squares).
public struct GroupSummary: Equatable, Sendable {
    public var n: Int
    public var mean: Double
    public var variance: Double

    public init(_ values: [Double]) {
        n = values.count
        mean = values.isEmpty ? .nan : values.reduce(0, +) / Double(n)
        var ss = 0.0
        for v in values { ss += (v - mean) * (v - mean) }
        variance = n > 1 ? ss / Double(n - 1) : .nan
    }

    public init(n: Int, mean: Double, variance: Double) {
        self.n = n
        self.mean = mean
        self.variance = variance
    }
}
