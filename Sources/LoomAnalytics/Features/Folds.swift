import Foundation

/// K-fold cross-validation folds: which fold (0..<k) each row is held out in. Every row is in exactly
/// one fold, and fold f's model is fitted on the rows of the other folds.
///
/// - Grouped (a group per row, e.g. user): the distinct groups, sorted, are shuffled with
///   `SeededRandom(seed:)` and dealt to folds in turn (group i of the shuffle to fold i mod k), so that no
///   group is on both sides of a fold. Folds hold about equal numbers of groups (scikit-learn's
///   `GroupKFold` balances rows instead).
/// - Stratified (0/1 labels): the rows of each class, in row order, are shuffled and dealt in turn,
///   class 0 first and class 1 continuing where class 0 stopped, so each fold's positive rate is the
///   overall one up to a row (as `StratifiedKFold(shuffle=True)`).
/// - Otherwise the rows are shuffled and dealt in turn (`KFold(shuffle=True)`).
public enum Folds {
    /// The fold of each row.
    /// - Throws: `AnalyticsError.invalidParameter` for k < 2, `.tooFewRows` when there are fewer rows
    ///   (or groups) than folds, or a stratified class has fewer rows than folds.
    public static func assign(rows: Int, k: Int, labels: [Double]? = nil, groups: [String]? = nil, seed: UInt64) throws -> [Int] {
        guard k >= 2 else { throw AnalyticsError.invalidParameter(name: "cv_folds", value: "\(k)", expected: "at least 2") }
        var rng = SeededRandom(seed: seed)
        var fold = [Int](repeating: 0, count: rows)
        if let groups {
            var ids = Array(Set(groups)).sorted()   // sorted: the shuffle's input does not depend on Set order
            guard ids.count >= k else { throw AnalyticsError.tooFewRows(what: "cross-validation by group (\(ids.count) groups)", rows: ids.count, needed: k) }
            rng.shuffle(&ids)
            var foldOf: [String: Int] = [:]
            for (i, g) in ids.enumerated() { foldOf[g] = i % k }
            for r in 0..<rows { fold[r] = foldOf[groups[r]] ?? 0 }
            return fold
        }
        guard rows >= k else { throw AnalyticsError.tooFewRows(what: "cross-validation", rows: rows, needed: k) }
        let classes: [[Int]]
        if let labels {
            classes = [0.0, 1.0].map { c in (0..<rows).filter { labels[$0] == c } }
            for (c, members) in classes.enumerated() where members.count < k {
                throw AnalyticsError.tooFewRows(what: "stratified cross-validation: class \(c)", rows: members.count, needed: k)
            }
        } else {
            classes = [Array(0..<rows)]
        }
        var next = 0
        for var members in classes {
            rng.shuffle(&members)
            for r in members {
                fold[r] = next
                next = (next + 1) % k
            }
        }
        return fold
    }
}
