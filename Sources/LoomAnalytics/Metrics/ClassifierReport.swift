/// Everything `ClassifierMetrics.evaluate` measures about a binary classifier, as one Codable value
/// (saved as readable JSON by the task adapters). Fields that only make sense for probabilities
/// (log loss, Brier score, calibration) are nil when some score lies outside [0, 1].
public struct ClassifierReport: Codable, Equatable, Sendable {
    /// Number of rows, positives (label 1) and negatives (label 0).
    public var rows, positives, negatives: Int
    /// Area under the ROC curve, ties counted as one half (Mann-Whitney U with midranks).
    public var rocAUC: Double
    /// Average precision: sum over distinct thresholds of (R_n - R_{n-1}) P_n (scikit-learn's step definition).
    public var averagePrecision: Double
    /// Mean log loss with probabilities clipped to [1e-15, 1 - 1e-15]; nil if a score is outside [0, 1].
    public var logLoss: Double?
    /// Mean squared difference between probability and label; nil if a score is outside [0, 1].
    public var brierScore: Double?
    /// Counts and rates when "score >= threshold" is predicted positive.
    public var atThreshold: ThresholdMetrics
    /// ROC curve: the origin (threshold nil) then one point per distinct score, highest first.
    public var rocCurve: [ROCPoint]
    /// Precision-recall curve: one point per distinct score, highest first.
    public var precisionRecallCurve: [PRPoint]
    /// Ten equal-width bins of predicted probability, empty bins omitted; nil if a score is outside [0, 1].
    public var calibration: [CalibrationBin]?
    /// Cumulative gains and lift by decile of score (highest scores first).
    public var gains: [GainsRow]
}

/// One point of a ROC curve: rates when rows with score >= threshold are predicted positive.
public struct ROCPoint: Codable, Equatable, Sendable {
    /// nil for the curve's origin (nothing predicted positive).
    public var threshold: Double?
    public var falsePositiveRate, truePositiveRate: Double
}

/// One point of a precision-recall curve: rates when rows with score >= threshold are predicted positive.
public struct PRPoint: Codable, Equatable, Sendable {
    public var threshold, precision, recall: Double
}

/// Confusion matrix and the rates derived from it at one threshold (score >= threshold is positive).
/// Precision is 0 when nothing is predicted positive, and F1 is 0 when precision and recall are both 0
/// (scikit-learn's `zero_division=0`).
public struct ThresholdMetrics: Codable, Equatable, Sendable {
    public var threshold: Double
    public var truePositives, falsePositives, trueNegatives, falseNegatives: Int
    public var accuracy, precision, recall, f1: Double
}

/// One calibration bin: bin `index` holds probabilities p with min(floor(10 p), 9) == index,
/// that is [index/10, (index+1)/10), the last bin closed at 1.
public struct CalibrationBin: Codable, Equatable, Sendable {
    public var index: Int
    public var lower, upper: Double
    public var count: Int
    public var meanPredicted, observedRate: Double
}

/// One decile of a cumulative gains table. Rows are sorted by score descending (ties by original row
/// order); decile d covers the first ceil(d n / 10) rows, so decile 10 covers every row.
public struct GainsRow: Codable, Equatable, Sendable {
    public var decile: Int
    /// Rows and positives in this decile alone.
    public var rows, positives: Int
    /// Rows and positives in deciles 1...d.
    public var cumulativeRows, cumulativePositives: Int
    /// Share of all positives found in deciles 1...d (1 at decile 10).
    public var cumulativeGain: Double
    /// Positive rate in deciles 1...d divided by the overall positive rate.
    public var lift: Double
}
