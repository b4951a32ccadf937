/// "Did you mean" suggestions by edit distance.
public enum Suggestion {
    /// The candidate closest to `word` (Levenshtein distance at most a third of its length, at least 1;
    /// ties broken by name so the answer is stable), or nil.
    public static func closest(to word: String, in candidates: [String]) -> String? {
        let limit = max(1, word.count / 3)
        var best: (distance: Int, name: String)?
        for c in candidates {
            let d = distance(word, c)
            guard d <= limit else { continue }
            if best == nil || d < best!.distance || (d == best!.distance && c < best!.name) { best = (d, c) }
        }
        return best?.name
    }

    /// A `did you mean` note for `word` among `candidates`, or no note.
    public static func notes(for word: String, in candidates: [String]) -> [String] {
        closest(to: word, in: candidates).map { ["did you mean '\($0)'?"] } ?? []
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var prev = Array(0...y.count), cur = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            cur[0] = i
            for j in 1...y.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[y.count]
    }
}
