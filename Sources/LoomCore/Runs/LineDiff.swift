/// A line diff of two texts, as `diff -u` shows its body: `  ` kept, `- ` removed, `+ ` added,
/// from a longest common subsequence of lines. For `loom diff` (commands, DAG texts) and `loom
/// rerun`: texts of a few hundred lines, so the quadratic table is small; past `maxCells` the
/// texts are shown as all removed then all added rather than spend the memory.
public enum LineDiff {
    public static let maxCells = 4_000_000

    public enum Line: Equatable, Sendable {
        case same(String), removed(String), added(String)
        public var isChange: Bool { if case .same = self { return false } else { return true } }
        public var text: String {
            switch self {
            case .same(let s): return s.isEmpty ? "" : "  " + s
            case .removed(let s): return "- " + s
            case .added(let s): return "+ " + s
            }
        }
    }

    public static func lines(_ old: String, _ new: String) -> [Line] {
        let a = split(old), b = split(new)
        guard a.count * b.count <= maxCells else { return a.map(Line.removed) + b.map(Line.added) }
        // lcs[i][j]: the longest common subsequence of a[i...] and b[j...], filled from the end.
        var lcs = [[Int32]](repeating: [Int32](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var out: [Line] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                out.append(.same(a[i])); i += 1; j += 1
            } else if i < a.count, j == b.count || lcs[i + 1][j] >= lcs[i][j + 1] {
                out.append(.removed(a[i])); i += 1   // removals first, as diff prints them
            } else {
                out.append(.added(b[j])); j += 1
            }
        }
        return out
    }

    /// Only the changed lines with `context` unchanged lines around each run of changes; a gap is
    /// shown as `  ...`.
    public static func hunks(_ old: String, _ new: String, context: Int = 2) -> [String] {
        let all = lines(old, new)
        var keep = [Bool](repeating: false, count: all.count)
        for (k, l) in all.enumerated() where l.isChange {
            for m in max(0, k - context)...min(all.count - 1, k + context) { keep[m] = true }
        }
        var out: [String] = []
        var gap = false
        for (k, l) in all.enumerated() {
            if keep[k] {
                if gap && !out.isEmpty { out.append("  ...") }
                gap = false
                out.append(l.text)
            } else {
                gap = true
            }
        }
        return out
    }

    static func split(_ s: String) -> [String] {
        if s.isEmpty { return [] }
        var parts = s.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if parts.last == "" { parts.removeLast() }
        return parts
    }
}
