import Foundation

/// Renders diagnostics in the format editors parse:
///
///     dags/shop.yaml:14:12: error: task 'train' needs unknown task 'featurs'
///         needs: [featurs]
///                 ^~~~~~~
///     note: did you mean 'features'?
///
/// The source line is printed as written; the caret sits under the column.
public struct DiagnosticRenderer {
    /// Source texts by path, split into lines only when a diagnostic is rendered (most loads
    /// render none, and a large DAG has thousands of lines).
    private var sources: [String: String] = [:]

    public init() {}

    /// Registers the text of a file so that its lines can be quoted.
    public mutating func addSource(path: String, text: String) {
        sources[path] = text
    }

    public func render(_ d: Diagnostic) -> String {
        var out = ""
        if let loc = d.location { out += "\(loc): " }
        out += "\(d.severity.rawValue): \(d.message)\n"
        if let loc = d.location, let lines = sources[loc.file]?.split(separator: "\n", omittingEmptySubsequences: false),
           loc.line >= 1, loc.line <= lines.count {
            let line = String(lines[loc.line - 1]).replacingOccurrences(of: "\r", with: "")
            out += line + "\n"
            // Keep tabs in the padding so the caret lines up under tab-indented text.
            let prefix = line.unicodeScalars.prefix(max(0, loc.column - 1))
            let pad = String(String.UnicodeScalarView(prefix.map { $0 == "\t" ? "\t" : " " }))
            out += pad + "^" + String(repeating: "~", count: max(0, d.length - 1)) + "\n"
        }
        for n in d.notes { out += "note: \(n)\n" }
        return out
    }

    public func render(_ ds: [Diagnostic]) -> String { ds.map(render).joined() }
}
