/// One problem found in user input, with where it is and how to fix it.
public struct Diagnostic: Equatable, Sendable, Comparable {
    public enum Severity: String, Sendable { case error, warning }

    public var severity: Severity
    public var location: SourceLocation?
    /// Columns to underline from `location` (1 draws a lone caret).
    public var length: Int
    public var message: String
    /// Extra lines such as `did you mean 'features'?`, printed as `note: ...`.
    public var notes: [String]

    public init(_ severity: Severity = .error, _ message: String, at location: SourceLocation? = nil,
                length: Int = 1, notes: [String] = []) {
        self.severity = severity
        self.location = location
        self.length = max(1, length)
        self.message = message
        self.notes = notes
    }

    /// An error pointing at a located value.
    public static func error<T>(_ message: String, at value: Located<T>, notes: [String] = []) -> Diagnostic {
        Diagnostic(.error, message, at: value.location, length: value.length, notes: notes)
    }

    /// Diagnostics sort by location (those without one last), then message, so output is stable.
    public static func < (a: Diagnostic, b: Diagnostic) -> Bool {
        switch (a.location, b.location) {
        case let (x?, y?): return x == y ? a.message < b.message : x < y
        case (.some, .none): return true
        case (.none, .some): return false
        case (.none, .none): return a.message < b.message
        }
    }
}

/// A user error made of one or more diagnostics (a DAG that does not validate, a bad `-P`).
/// Validation collects every problem, sorts them and throws once.
public struct DiagnosticError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics.sorted() }

    /// The first problem on one line, and how many more (where an error is interpolated as text,
    /// as in a warning: the whole list can be thousands of entries).
    public var description: String {
        guard let first = diagnostics.first else { return "no problems" }
        let more = diagnostics.count > 1 ? " (and \(DiagnosticRenderer.grouped(diagnostics.count - 1)) more)" : ""
        return (first.location.map { "\($0): " } ?? "") + DiagnosticRenderer.cut(first.message) + more
    }
}
