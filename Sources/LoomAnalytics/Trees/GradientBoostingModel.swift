import Foundation

/// A fitted boosted classifier: raw score = `baseScore` + the sum of the trees' outputs, probability of
/// class 1 = sigmoid(raw score).
///
/// JSON form, version 1 (`JSONEncoder`, readable with `.prettyPrinted, .sortedKeys`): `featureCount`,
/// `featureNames` (optional), `baseScore` (log-odds of the training base rate), `trees` (see `DecisionTree`;
/// thresholds in the features' raw units), `trainingLoss` (mean log loss on the training data before
/// round 1 and after each round kept: `rounds + 1` values, fewer after early stopping; mean squared error for `config.loss`
/// squared_error), `config` and, with validation rows, `validationLoss`.
public struct GradientBoostingModel: Codable, Equatable, Sendable {
    public var version = 1
    public var featureCount: Int
    public var featureNames: [String]?
    public var baseScore: Double
    public var trees: [DecisionTree]
    public var trainingLoss: [Double]
    public var config: GradientBoosting.Config
    /// With validation rows: their loss before round 1 and after each round grown (possibly more rounds
    /// than `trees` keeps, when early stopping cut back to the minimum); nil without (left out of JSON).
    public var validationLoss: [Double]?

    public init(featureCount: Int, featureNames: [String]?, baseScore: Double, trees: [DecisionTree],
                trainingLoss: [Double], config: GradientBoosting.Config, validationLoss: [Double]? = nil) {
        self.validationLoss = validationLoss
        self.featureCount = featureCount
        self.featureNames = featureNames
        self.baseScore = baseScore
        self.trees = trees
        self.trainingLoss = trainingLoss
        self.config = config
    }

    /// Decodes and checks the model, so that a damaged or hand-edited file fails here and never crashes
    /// or loops in prediction: every split names an existing feature, and every child index lies after
    /// its parent and inside the tree.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(Int.self, forKey: .version)
        featureCount = try c.decode(Int.self, forKey: .featureCount)
        featureNames = try c.decodeIfPresent([String].self, forKey: .featureNames)
        baseScore = try c.decode(Double.self, forKey: .baseScore)
        trees = try c.decode([DecisionTree].self, forKey: .trees)
        trainingLoss = try c.decode([Double].self, forKey: .trainingLoss)
        config = try c.decode(GradientBoosting.Config.self, forKey: .config)
        validationLoss = try c.decodeIfPresent([Double].self, forKey: .validationLoss)
        func fail(_ what: String) -> DecodingError {
            .dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "GradientBoostingModel: \(what)"))
        }
        if version != 1 { throw fail("unknown version \(version), expected 1") }
        if let names = featureNames, names.count != featureCount {
            throw fail("\(names.count) feature names for \(featureCount) features")
        }
        if let problem = DecisionTree.problem(in: trees, featureCount: featureCount) { throw fail(problem) }
    }

    /// Raw scores (log-odds) for each row of `x` (same columns as the training data; NaN = missing).
    /// - Throws: `AnalyticsError.invalidInput` if `x` has another number of columns.
    public func predictRaw(_ x: Matrix) throws -> [Double] {
        guard x.columns == featureCount else {
            throw AnalyticsError.invalidInput(what: "data with \(x.columns) feature columns",
                                              expected: "\(featureCount) columns, as in training")
        }
        // Fixed chunks of rows on all cores; each row adds the trees' outputs in tree order, so the
        // scores are the same bits as one pass per tree (`predictRaw(binned:)`) on any thread count.
        var scores = [Double](repeating: baseScore, count: x.rows)
        let k = x.columns
        scores.withUnsafeMutableBufferPointer { out in
            let out = out
            x.values.withUnsafeBufferPointer { v in
                guard let base = v.baseAddress else { return }
                RowChunks.forEach(rows: x.rows) { _, rows in
                    for tree in trees {
                        for r in rows { out[r] += tree.predict(row: base + r * k) }
                    }
                }
            }
        }
        return scores
    }

    /// Whether the model is a regression (squared error): its output is the raw score, not a probability.
    public var isRegression: Bool { config.loss == .squaredError }

    /// The model's output for each row of `x`: a regression's raw score, a classifier's probability of class 1.
    /// - Throws: `AnalyticsError.invalidInput` if `x` has another number of columns.
    public func predict(_ x: Matrix) throws -> [Double] {
        isRegression ? try predictRaw(x) : try predictProbability(x)
    }

    /// Probability of class 1 for each row of `x`, in [0, 1].
    /// - Throws: `AnalyticsError.invalidInput` if `x` has another number of columns.
    public func predictProbability(_ x: Matrix) throws -> [Double] {
        try predictRaw(x).map(Self.sigmoid)
    }

    /// Raw scores for the rows of a binned matrix (the training data, binned by the fit's `BinMapper`).
    func predictRaw(binned: BinnedMatrix) -> [Double] {
        var scores = [Double](repeating: baseScore, count: binned.rows)
        for tree in trees { tree.addPredictions(binned, to: &scores) }
        return scores
    }

    /// Total split gain per feature over all trees, divided by the sum over features (all zeros when
    /// no tree has a split).
    public var featureImportance: [Double] {
        var gain = [Double](repeating: 0, count: featureCount)
        for tree in trees {
            for node in tree.nodes where !node.isLeaf { gain[node.feature] += node.gain }
        }
        let total = gain.reduce(0, +)
        return total > 0 ? gain.map { $0 / total } : gain
    }

    static func sigmoid(_ s: Double) -> Double {
        s >= 0 ? 1 / (1 + exp(-s)) : exp(s) / (1 + exp(s))
    }
}
