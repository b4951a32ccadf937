/// User errors raised by the analytics library: bad parameters or bad data. The task adapters in
/// LoomTasks add the task name and render these; they never reach the user as a crash.
/// (Keep this list short and general; areas describe specifics through the labelled values.)
public enum AnalyticsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A column that the step needs is not in the table.
    case missingColumn(name: String, available: [String])
    /// A column has the wrong type (for example text where numbers are needed).
    case wrongColumnType(name: String, expected: String)
    /// A table (or a selection of it) has no rows, or too few.
    case tooFewRows(what: String, rows: Int, needed: Int)
    /// A binary label column has one class only.
    case singleClass(column: String, value: String)
    /// A parameter is out of range or inconsistent.
    case invalidParameter(name: String, value: String, expected: String)
    /// A malformed value in a data file: file, 1-based line and column (in characters, as editors
    /// count), the field's name when it has one, what was expected and what was found (a value is
    /// quoted as `CSV.quoted` cuts it: a field can be any length).
    case badData(file: String, line: Int, column: Int, field: String?, expected: String, found: String)
    /// Any other invalid input, described in words: what is wrong and what was expected.
    case invalidInput(what: String, expected: String)
    /// An iterative fit did not converge.
    case didNotConverge(what: String, iterations: Int)

    /// Column names listed when one is missing: enough to spot a typo.
    public static let columnsListed = 20

    public var description: String {
        switch self {
        case let .missingColumn(name, available):
            // A header can hold thousands of names of any length: list a few, each cut short.
            let shown = available.prefix(Self.columnsListed).map(CSV.excerpt).joined(separator: ", ")
            let more = available.count > Self.columnsListed ? ", and \(available.count - Self.columnsListed) more" : ""
            return "no column '\(CSV.excerpt(name))' (columns: \(shown)\(more))"
        case let .wrongColumnType(name, expected):
            return "column '\(name)' must be \(expected)"
        case let .tooFewRows(what, rows, needed):
            return "\(what) has \(rows) rows, needs at least \(needed)"
        case let .singleClass(column, value):
            return "label column '\(column)' has one class only (every row is \(value)); need both 0 and 1"
        case let .invalidParameter(name, value, expected):
            return "parameter '\(name)' is \(value), expected \(expected)"
        case let .badData(file, line, column, field, expected, found):
            return "\(file):\(line):\(column): error: \(field.map { "field '\(CSV.excerpt($0))': " } ?? "")expected \(expected), found \(found)"
        case let .invalidInput(what, expected):
            return "\(what): expected \(expected)"
        case let .didNotConverge(what, iterations):
            return "\(what) did not converge in \(iterations) iterations"
        }
    }
}
