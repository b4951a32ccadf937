import Foundation

/// Histogram gradient-boosted decision trees for binary classification with log loss, or regression with
/// squared error (`Config.loss`) (Friedman 2001,
/// "Greedy function approximation"; second-order leaf values and gains as in XGBoost, Chen & Guestrin 2016;
/// binning, histogram subtraction and leaf-wise growth as in LightGBM, Ke et al. 2017, and scikit-learn's
/// `HistGradientBoostingClassifier`).
///
/// Results are bit-identical for any number of threads: per-feature histograms are summed by one thread
/// each in sample order, and every other sum runs in a fixed order.
public enum GradientBoosting {
    /// Hyperparameters (part of a task's cache key).
    public struct Config: Codable, Equatable, Sendable {
        /// Boosting rounds (trees), >= 1.
        public var rounds: Int
        /// Shrinkage applied to every leaf value, in (0, 1] typically; > 0.
        public var learningRate: Double
        /// Leaves per tree, >= 2.
        public var maxLeafNodes: Int
        /// Depth limit (root has depth 0); nil for none, else >= 1.
        public var maxDepth: Int?
        /// Fewest training samples in a leaf, >= 1.
        public var minSamplesLeaf: Int
        /// Smallest hessian sum in a leaf, >= 0 (LightGBM's `min_sum_hessian_in_leaf`).
        public var minHessianLeaf: Double
        /// L2 penalty lambda on leaf values, >= 0.
        public var l2: Double
        /// Bins per feature (not counting the missing-value bin), 2...255.
        public var maxBins: Int
        /// Seed for subsampling rows when finding bin thresholds (only inputs over 200,000 rows).
        public var seed: UInt64
        /// The loss; nil is binary log loss (kept optional so that a classifier's saved config, written
        /// before regression existed, has the same bytes).
        public var loss: Loss?
        /// Early stopping (with validation rows given to `fit`): stop once the validation loss has not
        /// improved for this many rounds and keep the trees up to its minimum; nil: every round (left out
        /// of JSON when nil, as `loss`).
        public var earlyStoppingRounds: Int?

        public init(rounds: Int = 100, learningRate: Double = 0.1, maxLeafNodes: Int = 31, maxDepth: Int? = nil,
                    minSamplesLeaf: Int = 20, minHessianLeaf: Double = 1e-3, l2: Double = 0, maxBins: Int = 255,
                    seed: UInt64 = 0, loss: Loss? = nil, earlyStoppingRounds: Int? = nil) {
            self.loss = loss
            self.earlyStoppingRounds = earlyStoppingRounds
            self.rounds = rounds
            self.learningRate = learningRate
            self.maxLeafNodes = maxLeafNodes
            self.maxDepth = maxDepth
            self.minSamplesLeaf = minSamplesLeaf
            self.minHessianLeaf = minHessianLeaf
            self.l2 = l2
            self.maxBins = maxBins
            self.seed = seed
        }

        /// Throws `AnalyticsError.invalidParameter` for the first value out of range.
        public func validate() throws {
            func bad(_ name: String, _ value: Any, _ expected: String) -> AnalyticsError {
                .invalidParameter(name: name, value: "\(value)", expected: expected)
            }
            if rounds < 1 { throw bad("rounds", rounds, "at least 1") }
            if !(learningRate > 0 && learningRate.isFinite) { throw bad("learningRate", learningRate, "a finite number > 0") }
            if maxLeafNodes < 2 { throw bad("maxLeafNodes", maxLeafNodes, "at least 2") }
            if let d = maxDepth, d < 1 { throw bad("maxDepth", d, "at least 1, or none") }
            if minSamplesLeaf < 1 { throw bad("minSamplesLeaf", minSamplesLeaf, "at least 1") }
            if !(minHessianLeaf >= 0 && minHessianLeaf.isFinite) { throw bad("minHessianLeaf", minHessianLeaf, "a finite number >= 0") }
            if !(l2 >= 0 && l2.isFinite) { throw bad("l2", l2, "a finite number >= 0") }
            if !(2...255).contains(maxBins) { throw bad("maxBins", maxBins, "in 2...255") }
            if let e = earlyStoppingRounds, e < 1 { throw bad("earlyStoppingRounds", e, "at least 1, or none") }
        }
    }

    /// What the trees minimise.
    public enum Loss: String, Codable, Sendable {
        /// Binary log loss on 0/1 labels; the model's output is a probability.
        case logLoss = "log_loss"
        /// Half the squared error on any finite target (gradient s - y, hessian 1; Friedman 2001, sec. 4.1
        /// with Newton leaf values, which for this loss are the leaves' mean residuals); the output is the raw score.
        case squaredError = "squared_error"
    }

    /// Rows per chunk when computing gradients and the loss in parallel: fixed (not derived from the
    /// core count) so that the loss, summed per chunk then over chunks in order, is the same on any machine.
    static let chunkSize = 16_384

    /// Fits a boosted model to features `x` (rows = samples; NaN = missing) and labels `y` (0 or 1).
    ///
    /// The initial raw score is the log-odds of the base rate; each round fits a tree to the gradients
    /// `p - y` and hessians `p (1 - p)` of the log loss at the current scores (Friedman 2001, sec. 4.5).
    /// - Parameter featureNames: optional names stored in the model (one per column).
    /// - Throws: `AnalyticsError` for an empty `x`, labels that are not 0/1 (or NaN), a single class,
    ///   a label count or name count that differs from the data, or a bad config value.
    /// - Parameter validation: rows scored after every round; with `config.earlyStoppingRounds` the fit stops
    ///   once their loss has not improved for that many rounds and keeps the rounds up to the (first) minimum.
    public static func fit(x: Matrix, y: [Double], featureNames: [String]? = nil,
                           config: Config = Config(), validation: (x: Matrix, y: [Double])? = nil) throws -> GradientBoostingModel {
        try fit(columns: FeatureColumns(x), y: y, featureNames: featureNames, config: config, validation: validation)
    }

    /// `fit` of features given one column at a time (the model is the same as from the matrix of
    /// those columns): only the binned features (one byte per value) are held during the fit, so a
    /// caller need never make a row-major matrix of its training rows.
    public static func fit(columns x: FeatureColumns, y: [Double], featureNames: [String]? = nil,
                           config: Config = Config(), validation: (x: Matrix, y: [Double])? = nil) throws -> GradientBoostingModel {
        try config.validate()
        let regression = config.loss == .squaredError
        try validate(rows: x.rows, columns: x.count, y: y, featureNames: featureNames, regression: regression)
        if let v = validation {
            guard v.x.columns == x.count, v.y.count == v.x.rows, v.x.rows > 0 else {
                throw AnalyticsError.invalidInput(what: "validation data of \(v.x.rows) rows, \(v.x.columns) columns and \(v.y.count) labels",
                                                  expected: "at least one row, \(x.count) columns and one label per row")
            }
            if let k = v.y.firstIndex(where: { regression ? !$0.isFinite : ($0 != 0 && $0 != 1) }) {
                throw AnalyticsError.invalidInput(what: "validation label of row \(k) is \(v.y[k])", expected: regression ? "a finite number" : "0 or 1")
            }
        }
        let (mapper, binned) = BinMapper.fitTransform(x, maxBins: config.maxBins, seed: config.seed)
        let positives = y.reduce(0, +)
        // Regression starts from the mean target, classification from the log-odds of the base rate.
        let baseScore = regression ? positives / Double(y.count) : log(positives / (Double(y.count) - positives))
        let step = regression ? squaredErrorGradients : logLossGradients
        var scores = [Double](repeating: baseScore, count: x.rows)
        var gradients = [SIMD2<Double>](repeating: .zero, count: x.rows)
        let grower = TreeGrower(
            binned: binned, binCounts: mapper.binCounts,
            splitter: Splitter(l2: config.l2, minSamplesLeaf: config.minSamplesLeaf, minHessian: config.minHessianLeaf),
            limits: .init(maxLeafNodes: config.maxLeafNodes, maxDepth: config.maxDepth, learningRate: config.learningRate))
        var trees = [DecisionTree](), loss = [Double]()
        trees.reserveCapacity(config.rounds)
        // Validation scores follow the trees (raw features, as prediction does); validationLoss[k] is the loss after k trees.
        var validationScores = [Double](repeating: baseScore, count: validation?.x.rows ?? 0)
        var validationGradients = [SIMD2<Double>](repeating: .zero, count: validationScores.count)
        var validationLoss: [Double] = validation.map { [step($0.y, validationScores, &validationGradients)] } ?? []
        var best = 0
        for _ in 0..<config.rounds {
            loss.append(step(y, scores, &gradients))
            let grown = grower.grow(gradients: gradients)
            for leaf in grown.leafSamples {
                let v = grown.tree.nodes[leaf.node].value
                for i in leaf.samples { scores[Int(i)] += v }
            }
            trees.append(withRawThresholds(grown.tree, mapper: mapper))
            if let v = validation {
                trees[trees.count - 1].addPredictions(v.x, to: &validationScores)
                validationLoss.append(step(v.y, validationScores, &validationGradients))
                if validationLoss[trees.count] < validationLoss[best] { best = trees.count }
                if let patience = config.earlyStoppingRounds, trees.count - best >= patience { break }
            }
        }
        loss.append(step(y, scores, &gradients))
        if validation != nil, config.earlyStoppingRounds != nil, best < trees.count {
            // Keep the rounds up to the validation minimum; the training loss after them is already recorded.
            trees.removeLast(trees.count - best)
            loss.removeLast(loss.count - best - 1)
        }
        return GradientBoostingModel(featureCount: x.count, featureNames: featureNames, baseScore: baseScore,
                                     trees: trees, trainingLoss: loss, config: config,
                                     validationLoss: validation == nil ? nil : validationLoss)
    }

    private static func validate(rows: Int, columns: Int, y: [Double], featureNames: [String]?, regression: Bool) throws {
        if rows == 0 { throw AnalyticsError.tooFewRows(what: "training data", rows: 0, needed: 1) }
        if columns == 0 { throw AnalyticsError.invalidInput(what: "training data has no feature columns", expected: "at least one feature") }
        if y.count != rows {
            throw AnalyticsError.invalidInput(what: "\(y.count) labels for \(rows) rows", expected: "one label per row")
        }
        if let names = featureNames, names.count != columns {
            throw AnalyticsError.invalidParameter(name: "featureNames", value: "\(names.count) names",
                                                  expected: "\(columns) names, one per column")
        }
        if regression {
            if let k = y.firstIndex(where: { !$0.isFinite }) { throw AnalyticsError.invalidInput(what: "target of row \(k) is \(y[k])", expected: "a finite number") }
            return
        }
        if let k = y.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw AnalyticsError.invalidInput(what: "label of row \(k) is \(y[k])", expected: "0 or 1")
        }
        let positives = y.reduce(0, +)
        if positives == 0 || positives == Double(y.count) {
            throw AnalyticsError.singleClass(column: "label", value: positives == 0 ? "0" : "1")
        }
    }

    /// The tree with each split's raw threshold `t[bin]` (`x <= t[bin]` iff `bin(x) <= bin`); a split that
    /// sends every non-missing bin left gets the largest finite double.
    static func withRawThresholds(_ tree: DecisionTree, mapper: BinMapper) -> DecisionTree {
        var t = tree
        for k in t.nodes.indices where !t.nodes[k].isLeaf {
            let thresholds = mapper.thresholds[t.nodes[k].feature]
            let b = t.nodes[k].bin
            t.nodes[k].threshold = b < thresholds.count ? thresholds[b] : .greatestFiniteMagnitude
        }
        return t
    }

    /// Writes the squared-error (gradient, hessian) pairs `(s - y, 1)` and returns the mean squared error
    /// (not halved), summed per chunk of `chunkSize` rows and then over chunks in order.
    static func squaredErrorGradients(y: [Double], scores: [Double], gradients: inout [SIMD2<Double>]) -> Double {
        let n = scores.count
        let chunks = (n + chunkSize - 1) / chunkSize
        var chunkLoss = [Double](repeating: 0, count: chunks)
        chunkLoss.withUnsafeMutableBufferPointer { lp in
            gradients.withUnsafeMutableBufferPointer { gp in
                let (l, g) = (lp, gp)
                Parallel.perform(iterations: chunks) { c in
                    var sum = 0.0
                    for i in (c * chunkSize)..<min(n, (c + 1) * chunkSize) {
                        let r = scores[i] - y[i]
                        g[i] = SIMD2(r, 1)
                        sum += r * r
                    }
                    l[c] = sum
                }
            }
        }
        return chunkLoss.reduce(0, +) / Double(n)
    }

    /// Writes the log-loss (gradient, hessian) pairs `(p - y, p (1 - p))` at `scores` (p = sigmoid(score)) and
    /// returns the mean log loss, `log(1 + e^s) - y s`. Chunks of `chunkSize` rows run in parallel; the loss
    /// is summed per chunk and then over chunks in order.
    static func logLossGradients(y: [Double], scores: [Double], gradients: inout [SIMD2<Double>]) -> Double {
        let n = scores.count
        let chunks = (n + chunkSize - 1) / chunkSize
        var chunkLoss = [Double](repeating: 0, count: chunks)
        y.withUnsafeBufferPointer { yp in
            scores.withUnsafeBufferPointer { sp in
                gradients.withUnsafeMutableBufferPointer { gp in
                    chunkLoss.withUnsafeMutableBufferPointer { lp in
                        Parallel.perform(iterations: chunks) { c in
                            // Loss = -sum of log q, q = the probability given to the observed label. The q are
                            // multiplied up and the log taken only when the product gets small (one log per
                            // ~hundreds of rows instead of one per row); q below 2^-500 (a score beyond ~350)
                            // takes the exact per-row formula instead, so the product never leaves the normal range.
                            var sum = 0.0, product = 1.0
                            for i in (c * chunkSize)..<min(n, (c + 1) * chunkSize) {
                                let s = sp[i], y = yp[i]
                                let e = exp(-abs(s))                       // in (0, 1]: no overflow
                                let big = 1 / (1 + e), small = e * big     // sigmoid(|s|), sigmoid(-|s|)
                                let p = s >= 0 ? big : small
                                gp[i] = SIMD2(p - y, p * (1 - p))
                                let q = (s >= 0) == (y == 1) ? big : small
                                if q >= 0x1p-500 {
                                    product *= q
                                    if product < 0x1p-500 { sum -= log(product); product = 1 }
                                } else {
                                    sum += max(s, 0) + log(1 + e) - y * s  // log(1 + e^s) - y s, stably
                                }
                            }
                            sum -= log(product)
                            lp[c] = sum
                        }
                    }
                }
            }
        }
        return chunkLoss.reduce(0, +) / Double(n)
    }
}
