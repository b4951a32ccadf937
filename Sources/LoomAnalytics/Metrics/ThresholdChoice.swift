import Foundation

/// The decision threshold chosen on validation rows: the score at or above which a row is predicted
/// positive that maximises F1 there (F1 = 2 TP / (2 TP + FP + FN)), among the distinct scores; of equal
/// F1 the highest threshold (fewest rows predicted positive).
public enum ThresholdChoice {
    /// - Throws: as `ClassifierMetrics.evaluate` for bad labels or scores (empty, a single class, non-finite).
    public static func maximizingF1(labels: [Double], scores: [Double]) throws -> (threshold: Double, f1: Double) {
        try ClassifierMetrics.validate(labels: labels, scores: scores)
        let positives = labels.filter { $0 == 1 }.count
        var best = (threshold: Double.infinity, f1: -1.0)
        for s in ClassifierMetrics.thresholdSteps(labels: labels, scores: scores) {
            // Rows with score >= s.threshold are predicted positive: tp of them are, fp are not; positives - tp are missed.
            let f1 = Double(2 * s.tp) / Double(2 * s.tp + s.fp + (positives - s.tp))
            if f1 > best.f1 { best = (s.threshold, f1) }
        }
        return best
    }
}

/// Permutation importance (Breiman 2001, sec. 10; scikit-learn's `permutation_importance`): for each
/// feature, the drop of a score (higher = better) when that feature's column is shuffled, the other
/// columns and the model left as they are; the mean and the population standard deviation over
/// `repeats` shuffles. Shuffle r of feature j uses `SeededRandom(seed: seed, stream: j * repeats + r)`, so
/// the result depends only on the seed, not on the order features are visited or on threads.
public enum PermutationImportance {
    /// - Parameter score: the model's score on a matrix with the same rows (for example AUC, or minus RMSE).
    public static func compute(x: Matrix, repeats: Int, seed: UInt64, score: (Matrix) throws -> Double) throws -> [(mean: Double, sd: Double)] {
        guard repeats >= 1 else { throw AnalyticsError.invalidParameter(name: "repeats", value: "\(repeats)", expected: "at least 1") }
        let base = try score(x)
        var out: [(mean: Double, sd: Double)] = []
        for j in 0..<x.columns {
            var drops: [Double] = []
            for r in 0..<repeats {
                var rng = SeededRandom(seed: seed, stream: UInt64(j * repeats + r))
                var order = Array(0..<x.rows)
                rng.shuffle(&order)
                var shuffled = x
                for i in 0..<x.rows { shuffled[i, j] = x[order[i], j] }
                drops.append(base - (try score(shuffled)))
            }
            let mean = drops.reduce(0, +) / Double(repeats)
            out.append((mean, (drops.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(repeats)).squareRoot()))
        }
        return out
    }
}
