/// A dense row-major matrix of doubles: the input of every numeric model.
/// `values[row * columns + column]`.
public struct Matrix: Equatable, Sendable {
    public var rows: Int
    public var columns: Int
    public var values: [Double]

    public init(rows: Int, columns: Int, values: [Double]) {
        precondition(values.count == rows * columns, "Matrix: \(values.count) values for \(rows)x\(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        self.init(rows: rows, columns: columns, values: Array(repeating: value, count: rows * columns))
    }

    /// Builds a matrix from rows of equal length.
    public init(rowArrays: [[Double]]) {
        let c = rowArrays.first?.count ?? 0
        precondition(rowArrays.allSatisfy { $0.count == c }, "Matrix(rowArrays:) needs rows of equal length")
        self.init(rows: rowArrays.count, columns: c, values: rowArrays.flatMap { $0 })
    }

    public subscript(row: Int, column: Int) -> Double {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    /// Row `i` as an array (a copy).
    public func row(_ i: Int) -> [Double] { Array(values[(i * columns)..<((i + 1) * columns)]) }

    /// Column `j` as an array (a copy).
    public func column(_ j: Int) -> [Double] { (0..<rows).map { values[$0 * columns + j] } }

    /// Per column, the mean (the column summed in row order, divided by the rows) and the population
    /// variance (squared deviations from that mean summed in row order, divided by the rows): the same
    /// operations in the same order as summing `column(j)` one column at a time, so the same bits, in
    /// two row-major passes instead of two strided passes per column (each strided pass reads the
    /// whole matrix for one column). No rows: NaN.
    public func columnMeansAndVariances() -> (means: [Double], variances: [Double]) {
        var sums = [Double](repeating: 0, count: columns), squares = [Double](repeating: 0, count: columns)
        let n = Double(rows), k = columns
        values.withUnsafeBufferPointer { v in
            sums.withUnsafeMutableBufferPointer { m in
                for i in 0..<rows {
                    let row = v.baseAddress! + i * k
                    for j in 0..<k { m[j] += row[j] }
                }
                for j in 0..<k { m[j] /= n }
            }
            squares.withUnsafeMutableBufferPointer { s in
                sums.withUnsafeBufferPointer { m in
                    for i in 0..<rows {
                        let row = v.baseAddress! + i * k
                        for j in 0..<k {
                            let d = row[j] - m[j]
                            s[j] += d * d
                        }
                    }
                }
            }
        }
        return (sums, squares.map { $0 / n })
    }

    /// The rows at the given indices, in that order.
    public func selectingRows(_ indices: [Int]) -> Matrix {
        var out = [Double]()
        out.reserveCapacity(indices.count * columns)
        for i in indices { out.append(contentsOf: values[(i * columns)..<((i + 1) * columns)]) }
        return Matrix(rows: indices.count, columns: columns, values: out)
    }
}
