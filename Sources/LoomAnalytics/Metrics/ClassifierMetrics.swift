import Foundation

/// Metrics of a binary classifier from labels (0/1) and scores (higher means more likely 1).
/// Scores may be any finite reals; the probability metrics (log loss, Brier, calibration) are
/// computed only when every score lies in [0, 1].
public enum ClassifierMetrics {
    /// Probabilities are clipped to [eps, 1 - eps] before taking logarithms, so that a confident
    /// wrong prediction costs -log(1e-15) ~ 34.5 instead of infinity (scikit-learn's historical default).
    public static let logLossEpsilon = 1e-15

    /// Every metric of `ClassifierReport`.
    /// - Parameters:
    ///   - labels: 0 or 1 per row.
    ///   - scores: one finite score per row.
    ///   - threshold: rows with score >= threshold are predicted positive for the confusion matrix.
    ///   - maxCurvePoints: the ROC and PR curves keep at most this many points (evenly spaced along
    ///     the full curve, first and last always kept) so that reports stay small; AUC and average
    ///     precision are always computed from the full curves.
    /// - Throws: `AnalyticsError.tooFewRows` if empty, `.invalidInput` on a length mismatch, a label
    ///   other than 0/1 or a non-finite score or threshold, `.singleClass` if only one class is present.
    public static func evaluate(labels: [Double], scores: [Double], threshold: Double = 0.5,
                                maxCurvePoints: Int = 1000) throws -> ClassifierReport {
        try validate(labels: labels, scores: scores)
        guard threshold.isFinite else {
            throw AnalyticsError.invalidParameter(name: "threshold", value: "\(threshold)", expected: "a finite number")
        }
        guard maxCurvePoints >= 2 else {
            throw AnalyticsError.invalidParameter(name: "maxCurvePoints", value: "\(maxCurvePoints)", expected: "at least 2")
        }
        let isProbability = scores.allSatisfy { $0 >= 0 && $0 <= 1 }
        let pos = labels.filter { $0 == 1 }.count
        return ClassifierReport(
            rows: labels.count, positives: pos, negatives: labels.count - pos,
            rocAUC: rocAUC(labels: labels, scores: scores),
            averagePrecision: averagePrecision(labels: labels, scores: scores),
            logLoss: isProbability ? logLoss(labels: labels, probabilities: scores) : nil,
            brierScore: isProbability ? brierScore(labels: labels, probabilities: scores) : nil,
            atThreshold: thresholdMetrics(labels: labels, scores: scores, threshold: threshold),
            rocCurve: thinned(rocCurve(labels: labels, scores: scores), to: maxCurvePoints),
            precisionRecallCurve: thinned(precisionRecallCurve(labels: labels, scores: scores), to: maxCurvePoints),
            calibration: isProbability ? calibration(labels: labels, probabilities: scores) : nil,
            gains: gains(labels: labels, scores: scores))
    }

    /// ROC AUC alone (ties count one half), without the curves and tables of `evaluate`.
    /// - Throws: as `evaluate` for bad labels or scores.
    public static func auc(labels: [Double], scores: [Double]) throws -> Double {
        try validate(labels: labels, scores: scores)
        return rocAUC(labels: labels, scores: scores)
    }

    /// At most `limit` (>= 2) elements: indices round(k (n - 1) / (limit - 1)) for k = 0 ..< limit.
    static func thinned<T>(_ points: [T], to limit: Int) -> [T] {
        guard points.count > limit else { return points }
        let last = points.count - 1
        return (0..<limit).map { k in points[(k * last + (limit - 1) / 2) / (limit - 1)] }
    }

    /// Checks lengths, emptiness, 0/1 labels, finite scores and that both classes are present.
    static func validate(labels: [Double], scores: [Double]) throws {
        guard !labels.isEmpty else { throw AnalyticsError.tooFewRows(what: "labels", rows: 0, needed: 1) }
        guard labels.count == scores.count else {
            throw AnalyticsError.invalidInput(what: "scores has \(scores.count) values", expected: "one per label (\(labels.count))")
        }
        if let i = labels.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw AnalyticsError.invalidInput(what: "label at row \(i) is \(labels[i])", expected: "0 or 1")
        }
        if let i = scores.firstIndex(where: { !$0.isFinite }) {
            throw AnalyticsError.invalidInput(what: "score at row \(i) is \(scores[i])", expected: "a finite number")
        }
        let pos = labels.filter { $0 == 1 }.count
        if pos == 0 || pos == labels.count {
            throw AnalyticsError.singleClass(column: "label", value: pos == 0 ? "0" : "1")
        }
    }

    /// ROC AUC by the Mann-Whitney statistic: (sum of positive midranks - P(P+1)/2) / (P N).
    /// A positive and a negative with equal scores count one half. Inputs must be validated.
    static func rocAUC(labels: [Double], scores: [Double]) -> Double {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0, i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let midrank = Double(i + j + 2) / 2   // ranks are 1-based: mean of i+1 ... j+1
            for k in i...j where labels[order[k]] == 1 { rankSum += midrank }
            i = j + 1
        }
        let p = Double(labels.filter { $0 == 1 }.count), n = Double(labels.count) - p
        return (rankSum - p * (p + 1) / 2) / (p * n)
    }

    /// Cumulative (true positives, false positives, threshold) after each distinct score, highest first.
    static func thresholdSteps(labels: [Double], scores: [Double]) -> [(tp: Int, fp: Int, threshold: Double)] {
        let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        var steps: [(tp: Int, fp: Int, threshold: Double)] = []
        var tp = 0, fp = 0
        for (k, i) in order.enumerated() {
            if labels[i] == 1 { tp += 1 } else { fp += 1 }
            if k + 1 == order.count || scores[order[k + 1]] != scores[i] { steps.append((tp, fp, scores[i])) }
        }
        return steps
    }

    /// ROC curve: the origin, then (fpr, tpr) at each distinct threshold from highest to lowest.
    static func rocCurve(labels: [Double], scores: [Double]) -> [ROCPoint] {
        let p = Double(labels.filter { $0 == 1 }.count), n = Double(labels.count) - p
        return [ROCPoint(threshold: nil, falsePositiveRate: 0, truePositiveRate: 0)]
            + thresholdSteps(labels: labels, scores: scores).map {
                ROCPoint(threshold: $0.threshold, falsePositiveRate: Double($0.fp) / n, truePositiveRate: Double($0.tp) / p)
            }
    }

    /// Precision and recall at each distinct threshold from highest to lowest.
    static func precisionRecallCurve(labels: [Double], scores: [Double]) -> [PRPoint] {
        let p = Double(labels.filter { $0 == 1 }.count)
        return thresholdSteps(labels: labels, scores: scores).map {
            PRPoint(threshold: $0.threshold, precision: Double($0.tp) / Double($0.tp + $0.fp), recall: Double($0.tp) / p)
        }
    }

    /// Average precision, sum_n (R_n - R_{n-1}) P_n over distinct thresholds with R_0 = 0
    /// (scikit-learn `average_precision_score`; no interpolation).
    static func averagePrecision(labels: [Double], scores: [Double]) -> Double {
        var ap = 0.0, previousRecall = 0.0
        for point in precisionRecallCurve(labels: labels, scores: scores) {
            ap += (point.recall - previousRecall) * point.precision
            previousRecall = point.recall
        }
        return ap
    }

    /// Mean of -[y log p + (1 - y) log(1 - p)] with p clipped to [1e-15, 1 - 1e-15].
    static func logLoss(labels: [Double], probabilities: [Double]) -> Double {
        var total = 0.0
        for (y, raw) in zip(labels, probabilities) {
            let p = min(max(raw, logLossEpsilon), 1 - logLossEpsilon)
            total -= y == 1 ? log(p) : log(1 - p)
        }
        return total / Double(labels.count)
    }

    /// Mean of (p - y)^2.
    static func brierScore(labels: [Double], probabilities: [Double]) -> Double {
        zip(labels, probabilities).reduce(0) { $0 + ($1.1 - $1.0) * ($1.1 - $1.0) } / Double(labels.count)
    }

    /// Confusion matrix and accuracy, precision, recall, F1 when score >= threshold is positive.
    static func thresholdMetrics(labels: [Double], scores: [Double], threshold: Double) -> ThresholdMetrics {
        var tp = 0, fp = 0, tn = 0, fn = 0
        for (y, s) in zip(labels, scores) {
            switch (y == 1, s >= threshold) {
            case (true, true): tp += 1
            case (false, true): fp += 1
            case (false, false): tn += 1
            case (true, false): fn += 1
            }
        }
        let precision = tp + fp == 0 ? 0 : Double(tp) / Double(tp + fp)
        let recall = tp + fn == 0 ? 0 : Double(tp) / Double(tp + fn)
        let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
        return ThresholdMetrics(threshold: threshold, truePositives: tp, falsePositives: fp, trueNegatives: tn,
                                falseNegatives: fn, accuracy: Double(tp + tn) / Double(labels.count),
                                precision: precision, recall: recall, f1: f1)
    }

    /// Ten equal-width bins of probability (bin min(floor(10 p), 9)); empty bins are omitted.
    static func calibration(labels: [Double], probabilities: [Double]) -> [CalibrationBin] {
        var count = [Int](repeating: 0, count: 10), sumP = [Double](repeating: 0, count: 10), sumY = sumP
        for (y, p) in zip(labels, probabilities) {
            let b = min(Int((p * 10).rounded(.down)), 9)
            count[b] += 1; sumP[b] += p; sumY[b] += y
        }
        var bins: [CalibrationBin] = []
        for b in 0..<10 where count[b] > 0 {
            let c = Double(count[b])
            bins.append(CalibrationBin(index: b, lower: Double(b) / 10, upper: Double(b + 1) / 10, count: count[b],
                                       meanPredicted: sumP[b] / c, observedRate: sumY[b] / c))
        }
        return bins
    }

    /// Cumulative gains and lift by decile: rows sorted by score descending, ties by row index;
    /// decile d ends after ceil(d n / 10) rows.
    static func gains(labels: [Double], scores: [Double]) -> [GainsRow] {
        let n = labels.count
        let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        let totalPositives = labels.filter { $0 == 1 }.count
        let baseRate = Double(totalPositives) / Double(n)
        var rows: [GainsRow] = [], start = 0, cumPos = 0
        for d in 1...10 {
            let end = (d * n + 9) / 10
            let positives = order[start..<end].filter { labels[$0] == 1 }.count
            cumPos += positives
            rows.append(GainsRow(decile: d, rows: end - start, positives: positives, cumulativeRows: end,
                                 cumulativePositives: cumPos,
                                 cumulativeGain: Double(cumPos) / Double(totalPositives),
                                 lift: Double(cumPos) / Double(end) / baseRate))
            start = end
        }
        return rows
    }
}
