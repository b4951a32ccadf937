import Foundation

/// Renders diagnostics in the format editors parse:
///
///     dags/shop.yaml:14:12: error: task 'train' needs unknown task 'featurs'
///         needs: [featurs]
///                 ^~~~~~~
///     note: did you mean 'features'?
///
/// The source line is printed as written; the caret sits under the column.
///
/// Output stays small whatever the input: a message repeated for many places is printed
/// `maxRepeats` times and then counted (`note: and 9,997 more like this`), at most `maxShown`
/// diagnostics are printed in all, and a long source line or message is cut around what matters.
public struct DiagnosticRenderer {
    /// Copies of one message printed before the rest are only counted: three show the pattern
    /// (a list that repeats one name 10,000 times would otherwise print 10,000 errors).
    public static let maxRepeats = 3
    /// Diagnostics printed in all before the rest are only counted: more than a screenful is not read.
    public static let maxShown = 50
    /// Columns of a source line quoted around the caret: a generated one-line list can be megabytes.
    public static let maxQuotedColumns = 120
    /// Characters of a message or note printed (each echoes user text, which can be any length).
    public static let maxMessageLength = 400

    /// Source texts by path, split into lines only when a diagnostic is rendered (most loads
    /// render none, and a large DAG has thousands of lines).
    private var sources: [String: String] = [:]

    public init() {}

    /// Registers the text of a file so that its lines can be quoted.
    public mutating func addSource(path: String, text: String) {
        sources[path] = text
    }

    public func render(_ d: Diagnostic) -> String {
        var lines = Lines(sources: sources)
        return render(d, lines: &lines)
    }

    /// Every diagnostic, in order, with repeats and the total capped (see the type's comment).
    public func render(_ ds: [Diagnostic]) -> String {
        var lines = Lines(sources: sources)
        var total: [String: Int] = [:]
        for d in ds { total[d.message, default: 0] += 1 }
        var seen: [String: Int] = [:]
        var counted = Set<String>()   // messages whose remaining copies a "more like this" note counts
        var out = "", shown = 0, hidden = 0
        for d in ds {
            let n = seen[d.message, default: 0] + 1
            seen[d.message] = n
            if counted.contains(d.message) { continue }
            guard n <= Self.maxRepeats, shown < Self.maxShown else { hidden += 1; continue }
            out += render(d, lines: &lines)
            shown += 1
            if n == Self.maxRepeats, let all = total[d.message], all > n {
                out += "note: and \(Self.grouped(all - n)) more like this\n"
                counted.insert(d.message)
            }
        }
        if hidden > 0 { out += "note: and \(Self.grouped(hidden)) more problem\(hidden == 1 ? "" : "s") not shown\n" }
        return out
    }

    private func render(_ d: Diagnostic, lines: inout Lines) -> String {
        var out = ""
        if let loc = d.location { out += "\(loc): " }
        out += "\(d.severity.rawValue): \(Self.cut(d.message))\n"
        if let loc = d.location, let line = lines.line(loc.line, of: loc.file) {
            out += Self.quote(line, column: loc.column, length: d.length)
        }
        for n in d.notes { out += "note: \(Self.cut(n))\n" }
        return out
    }

    /// A source line and its caret line, the line cut to `maxQuotedColumns` around the column.
    static func quote(_ line: String, column: Int, length: Int) -> String {
        let scalars = Array(line.unicodeScalars)
        let at = min(max(0, column - 1), scalars.count)
        var start = 0, end = scalars.count
        if scalars.count > maxQuotedColumns {
            start = max(0, min(at - maxQuotedColumns / 2, scalars.count - maxQuotedColumns))
            end = start + maxQuotedColumns
        }
        let lead = start > 0 ? "..." : "", tail = end < scalars.count ? "..." : ""
        var out = lead + String(String.UnicodeScalarView(scalars[start..<end])) + tail + "\n"
        // Keep tabs in the padding so the caret lines up under tab-indented text.
        let pad = String(repeating: " ", count: lead.count) + String(String.UnicodeScalarView(scalars[start..<max(start, at)].map { $0 == "\t" ? "\t" : " " }))
        let underline = max(0, min(length - 1, end - at - 1))
        out += pad + "^" + String(repeating: "~", count: underline) + "\n"
        return out
    }

    /// A message cut to `maxMessageLength` characters, saying how long it was.
    static func cut(_ s: String) -> String {
        guard s.utf8.count > maxMessageLength, s.count > maxMessageLength else { return s }
        return s.prefix(maxMessageLength) + "... (\(grouped(s.count)) characters)"
    }

    /// `9997` as `9,997`.
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// Source lines, each file split once per render call.
    private struct Lines {
        let sources: [String: String]
        var split: [String: [Substring]] = [:]
        init(sources: [String: String]) { self.sources = sources }

        mutating func line(_ number: Int, of file: String) -> String? {
            if split[file] == nil, let text = sources[file] {
                split[file] = text.split(separator: "\n", omittingEmptySubsequences: false)
            }
            guard let lines = split[file], number >= 1, number <= lines.count else { return nil }
            return String(lines[number - 1]).replacingOccurrences(of: "\r", with: "")
        }
    }
}
