/// A model's features read from a table's columns, for any chosen rows: numeric columns as they are
/// (`Table.matrix`) or as `Preprocessing` makes them (missing values filled, text columns one-hot
/// encoded). It holds the table's columns, not a copy: a matrix of chosen rows, or their columns one
/// at a time (`FeatureColumns`), is made only when asked for, so a fit on three quarters of a table
/// never needs a matrix of every row and then a copy of three quarters of it.
///
/// Every value is the one `Table.matrix(numeric)`, or `Preprocessing.matrix(table)`, has at that row
/// and column (a differential test holds them equal bit for bit).
public struct TableFeatures: Sendable {
    /// Where one model column's values come from.
    enum Source: Sendable {
        /// A numeric column; NaN replaced by `fill` when given (NaN stays NaN with `Preprocessing`'s
        /// imputation none, as its matrix writes it).
        case number([Double], fill: Double?)
        /// 1 where the text column holds `level`, else 0.
        case level([String], String)
    }

    let sources: [Source]
    public let rowCount: Int

    /// The number of model columns.
    public var count: Int { sources.count }

    /// The numeric columns `numeric`, as `table.matrix(numeric)` has them.
    /// - Throws: as `Table.numbers` (a missing or text column).
    public init(_ table: Table, numeric: [String]) throws {
        sources = try numeric.map { .number(try table.numbers($0), fill: nil) }
        rowCount = table.rowCount
    }

    /// The model columns of `preprocessing` (its `featureNames`), as `preprocessing.matrix(table)` has them.
    /// - Throws: as `Preprocessing.matrix` (missing columns, a numeric column that is text).
    public init(_ table: Table, preprocessing p: Preprocessing) throws {
        let missing = (p.numeric + p.categorical.map(\.column)).filter { table[$0] == nil }
        guard missing.isEmpty else {
            throw AnalyticsError.invalidInput(what: "the table lacks the model's columns \(missing.joined(separator: ", ")) (it has: \(table.names.joined(separator: ", ")))",
                                              expected: "every column the model was trained on")
        }
        var sources: [Source] = []
        for (j, name) in p.numeric.enumerated() {
            guard let v = table[name]?.numbers else { throw AnalyticsError.wrongColumnType(name: name, expected: "numeric, as in training") }
            sources.append(.number(v, fill: p.fill.isEmpty ? .nan : p.fill[j]))
        }
        for c in p.categorical {
            let texts = try table.texts(c.column)
            sources += c.levels.map { .level(texts, $0) }
        }
        self.sources = sources
        rowCount = table.rowCount
    }

    init(sources: [Source], rowCount: Int) {
        self.sources = sources
        self.rowCount = rowCount
    }

    /// Only the model columns at `columns`, in that order.
    public func keeping(_ columns: [Int]) -> TableFeatures {
        TableFeatures(sources: columns.map { sources[$0] }, rowCount: rowCount)
    }

    /// Model column `j` at the rows `rows` (nil: every row), in that order.
    public func column(_ j: Int, rows: [Int]?) -> [Double] {
        switch sources[j] {
        case .number(let v, nil):
            return rows.map { $0.map { v[$0] } } ?? v
        case .number(let v, let fill?):
            return rows.map { $0.map { v[$0].isNaN ? fill : v[$0] } } ?? v.map { $0.isNaN ? fill : $0 }
        case .level(let texts, let level):
            return rows.map { $0.map { texts[$0] == level ? 1 : 0 } } ?? texts.map { $0 == level ? 1 : 0 }
        }
    }

    /// The model columns at rows `rows` (nil: every row), one at a time.
    public func columns(rows: [Int]?) -> FeatureColumns {
        FeatureColumns(rows: rows?.count ?? rowCount, count: count) { j in column(j, rows: rows) }
    }

    /// The matrix of rows `rows` (nil: every row), in that order.
    public func matrix(rows: [Int]?) -> Matrix {
        let n = rows?.count ?? rowCount, k = count
        var x = Matrix(rows: n, columns: k)
        x.values.withUnsafeMutableBufferPointer { out in
            for j in 0..<k {
                let c = column(j, rows: rows)
                for i in 0..<n { out[i * k + j] = c[i] }
            }
        }
        return x
    }
}
