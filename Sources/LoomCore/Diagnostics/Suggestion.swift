/// "Did you mean" suggestions by edit distance.
public enum Suggestion {
    /// The candidate closest to `word` (edit distance, a swap of neighbours counting as one edit, at
    /// most 1 for words of up to 3 letters, else at most a third of the length but at least 2; ties
    /// broken by name so the answer is stable), or nil.
    public static func closest(to word: String, in candidates: [String]) -> String? {
        let limit = word.count <= 3 ? 1 : max(2, word.count / 3)
        var best: (distance: Int, name: String)?
        for c in candidates {
            // The distance is at least the difference in length: skip the quadratic table when that
            // alone rules a candidate out (a mistyped name can be megabytes long).
            guard abs(c.unicodeScalars.count - word.unicodeScalars.count) <= limit else { continue }
            let d = distance(word, c)
            guard d <= limit, d < word.count else { continue }   // share at least one letter
            if best == nil || d < best!.distance || (d == best!.distance && c < best!.name) { best = (d, c) }
        }
        return best?.name
    }

    /// A `did you mean` note for `word` among `candidates`, or no note.
    public static func notes(for word: String, in candidates: [String]) -> [String] {
        closest(to: word, in: candidates).map { ["did you mean '\($0)'?"] } ?? []
    }

    /// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[x.count][y.count]
    }
}
