/// Features handed over one column at a time: `column(j)` is feature j's value in each of `rows`
/// rows, in row order. A fit that reads one feature at a time (histogram binning) takes this rather
/// than a `Matrix`, so that a caller can give chosen rows of a table's columns without ever holding a
/// row-major matrix of every feature: each column is made when asked for and dropped after use.
public struct FeatureColumns: Sendable {
    public let rows: Int
    public let count: Int
    private let make: @Sendable (Int) -> [Double]

    /// `column(j)` must return `rows` values for every j in 0..<count, the same on every call.
    public init(rows: Int, count: Int, column: @escaping @Sendable (Int) -> [Double]) {
        self.rows = rows
        self.count = count
        self.make = column
    }

    /// The columns of a matrix.
    public init(_ x: Matrix) {
        self.init(rows: x.rows, count: x.columns) { j in x.column(j) }
    }

    /// Feature `j` of every row.
    public func column(_ j: Int) -> [Double] {
        let c = make(j)
        precondition(c.count == rows, "FeatureColumns: column \(j) has \(c.count) values, expected \(rows)")
        return c
    }
}
