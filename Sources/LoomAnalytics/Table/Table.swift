/// A column of a `Table`: numbers or text. Missing numbers are `.nan`; missing text is "".
public enum Column: Equatable, Sendable {
    case number([Double])
    case text([String])

    public var count: Int {
        switch self {
        case .number(let v): return v.count
        case .text(let v): return v.count
        }
    }

    /// The numbers of a numeric column, or nil for a text column.
    public var numbers: [Double]? { if case .number(let v) = self { return v } else { return nil } }
    /// The strings of a text column, or nil for a numeric column.
    public var texts: [String]? { if case .text(let v) = self { return v } else { return nil } }
}

/// A columnar table: the unit of data that moves between analytics steps.
/// Column names are unique; every column has `rowCount` values. Column order is significant
/// (it is the order written to CSV), so two tables are equal only with the same order.
public struct Table: Equatable, Sendable {
    public private(set) var names: [String]
    public private(set) var columns: [Column]

    public init() { names = []; columns = [] }

    /// Builds a table from (name, column) pairs in order. Names must be unique and lengths equal.
    public init(_ pairs: [(String, Column)]) {
        self.init()
        for (n, c) in pairs { append(n, c) }
    }

    public var rowCount: Int { columns.first?.count ?? 0 }
    public var columnCount: Int { columns.count }

    /// Appends a column; the name must be new and the length must match.
    public mutating func append(_ name: String, _ column: Column) {
        precondition(!names.contains(name), "Table: duplicate column '\(name)'")
        precondition(columns.isEmpty || column.count == rowCount, "Table: column '\(name)' has \(column.count) rows, expected \(rowCount)")
        names.append(name)
        columns.append(column)
    }

    /// Replaces the column with this name, or appends it.
    public mutating func set(_ name: String, _ column: Column) {
        if let i = names.firstIndex(of: name) {
            precondition(column.count == rowCount || columns.count == 1, "Table: column '\(name)' length mismatch")
            columns[i] = column
        } else {
            append(name, column)
        }
    }

    public func index(of name: String) -> Int? { names.firstIndex(of: name) }
    public subscript(name: String) -> Column? { index(of: name).map { columns[$0] } }

    /// The rows at the given indices, in that order.
    public func selectingRows(_ indices: [Int]) -> Table {
        var t = Table()
        for (n, c) in zip(names, columns) {
            switch c {
            case .number(let v): t.append(n, .number(indices.map { v[$0] }))
            case .text(let v): t.append(n, .text(indices.map { v[$0] }))
            }
        }
        return t
    }

    /// The named columns, in the given order.
    public func selectingColumns(_ wanted: [String]) -> Table {
        var t = Table()
        for n in wanted { if let c = self[n] { t.append(n, c) } }
        return t
    }
}
