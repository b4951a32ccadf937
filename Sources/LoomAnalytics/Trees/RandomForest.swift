import Foundation

/// Random forests (Breiman 2001, "Random forests", Machine Learning 45) on the histogram tree grower:
/// each tree is grown on a bootstrap sample of the rows (n draws with replacement) and each split
/// considers a random subset of the features, drawn afresh at every split (as scikit-learn's
/// `RandomForestClassifier(max_features=...)`, not once per tree).
///
/// Trees are regression trees on squared error: a tree is grown on gradients `-y` and hessians 1,
/// so a leaf's value `-G / H` is the mean label of its samples (for 0/1 labels: the share of class
/// 1) and a split's gain `1/2 [G_L^2/H_L + G_R^2/H_R - G^2/H]` is half the decrease of the sum of
/// squared errors, which for 0/1 labels is the node's sample count times the decrease of Gini
/// impurity over 2: the CART criterion of scikit-learn (Breiman et al. 1984). A forest's prediction
/// is the mean of its trees' leaf values: for a classifier, the mean of the leaf class fractions
/// (scikit-learn's `predict_proba`), for a regression the mean of the leaf means.
///
/// Differences from scikit-learn, by design: candidate thresholds are the histogram bins' (at most
/// `maxBins` quantile bins per feature, shared by all trees) rather than every midpoint, and trees
/// are grown best-first up to `maxLeafNodes` leaves.
///
/// Results are bit-identical for any number of threads: tree `t` draws its rows and features only
/// from `SeededRandom(seed: seed, stream: t)`, each tree is grown as gradient boosting's trees are
/// (deterministic sums), and the trees are kept in index order.
public enum RandomForest {
    /// How many features each split considers, out of p.
    public enum MaxFeatures: Equatable, Sendable, Codable, CustomStringConvertible {
        /// max(1, floor(sqrt(p))): scikit-learn's default for classifiers.
        case sqrt
        /// max(1, floor(log2(p))).
        case log2
        /// Every feature (bagging only; scikit-learn's default for regressors).
        case all
        /// min(n, p) features.
        case count(Int)

        /// "sqrt", "log2", "all" or a positive integer.
        public init?(text: String) {
            switch text {
            case "sqrt": self = .sqrt
            case "log2": self = .log2
            case "all": self = .all
            default:
                guard let n = Int(text), n >= 1 else { return nil }
                self = .count(n)
            }
        }

        public var description: String {
            switch self {
            case .sqrt: return "sqrt"
            case .log2: return "log2"
            case .all: return "all"
            case .count(let n): return String(n)
            }
        }

        /// Features per split out of `p` (as scikit-learn computes `max_features_`).
        public func count(of p: Int) -> Int {
            switch self {
            case .sqrt: return max(1, Int(Double(p).squareRoot()))
            case .log2: return max(1, Int(Foundation.log2(Double(p))))
            case .all: return p
            case .count(let n): return min(n, p)
            }
        }

        public init(from decoder: Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let v = MaxFeatures(text: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "maxFeatures '\(text)': expected sqrt, log2, all or a positive integer"))
            }
            self = v
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(description)
        }
    }

    /// Hyperparameters (part of a task's cache key).
    public struct Config: Codable, Equatable, Sendable {
        /// Trees in the forest, >= 1.
        public var trees: Int
        /// Leaves per tree, >= 2.
        public var maxLeafNodes: Int
        /// Depth limit (root has depth 0); nil for none, else >= 1.
        public var maxDepth: Int?
        /// Fewest training samples in a leaf (bootstrap duplicates count), >= 1.
        public var minSamplesLeaf: Int
        /// Features considered at each split.
        public var maxFeatures: MaxFeatures
        /// Each tree on a bootstrap sample of the rows (true) or on every row once (false).
        public var bootstrap: Bool
        /// Bins per feature (not counting the missing-value bin), 2...255.
        public var maxBins: Int
        /// Seed of the bootstrap samples and feature draws (and of row subsampling when binning over 200,000 rows).
        public var seed: UInt64

        public init(trees: Int = 100, maxLeafNodes: Int = 256, maxDepth: Int? = nil, minSamplesLeaf: Int = 1,
                    maxFeatures: MaxFeatures = .sqrt, bootstrap: Bool = true, maxBins: Int = 255, seed: UInt64 = 0) {
            self.trees = trees
            self.maxLeafNodes = maxLeafNodes
            self.maxDepth = maxDepth
            self.minSamplesLeaf = minSamplesLeaf
            self.maxFeatures = maxFeatures
            self.bootstrap = bootstrap
            self.maxBins = maxBins
            self.seed = seed
        }

        /// Throws `AnalyticsError.invalidParameter` for the first value out of range.
        public func validate() throws {
            func bad(_ name: String, _ value: Any, _ expected: String) -> AnalyticsError {
                .invalidParameter(name: name, value: "\(value)", expected: expected)
            }
            if trees < 1 { throw bad("trees", trees, "at least 1") }
            if maxLeafNodes < 2 { throw bad("maxLeafNodes", maxLeafNodes, "at least 2") }
            if let d = maxDepth, d < 1 { throw bad("maxDepth", d, "at least 1, or none") }
            if minSamplesLeaf < 1 { throw bad("minSamplesLeaf", minSamplesLeaf, "at least 1") }
            if case .count(let n) = maxFeatures, n < 1 { throw bad("maxFeatures", n, "at least 1") }
            if !(2...255).contains(maxBins) { throw bad("maxBins", maxBins, "in 2...255") }
        }
    }

    /// Fits a forest to features `x` (rows = samples; NaN = missing) and targets `y`: 0/1 labels
    /// (`regression` false; both classes present) or finite numbers (`regression` true).
    /// - Throws: `AnalyticsError` for an empty `x`, bad labels, sizes that disagree, or a bad config value.
    public static func fit(x: Matrix, y: [Double], featureNames: [String]? = nil, config: Config = Config(),
                           regression: Bool = false) throws -> RandomForestModel {
        try config.validate()
        try validate(x: x, y: y, featureNames: featureNames, regression: regression)
        let (mapper, binned) = BinMapper.fitTransform(FeatureColumns(x), maxBins: config.maxBins, seed: config.seed)
        let perSplit = config.maxFeatures.count(of: x.columns)
        var trees = [DecisionTree](repeating: DecisionTree(nodes: []), count: config.trees)
        trees.withUnsafeMutableBufferPointer { buffer in
            let out = buffer
            // One tree per task; each writes only its own slot.
            Parallel.perform(iterations: config.trees) { t in
                var random = SeededRandom(seed: config.seed, stream: UInt64(t))
                let rows = config.bootstrap ? (0..<x.rows).map { _ in random.int(below: x.rows) } : Array(0..<x.rows)
                let sample = bootstrapped(binned, rows: rows)
                let grower = TreeGrower(
                    binned: sample, binCounts: mapper.binCounts,
                    splitter: Splitter(l2: 0, minSamplesLeaf: config.minSamplesLeaf, minHessian: 0),
                    limits: .init(maxLeafNodes: config.maxLeafNodes, maxDepth: config.maxDepth, learningRate: 1),
                    sampling: perSplit < x.columns ? .init(count: perSplit, random: random) : nil)
                let grown = grower.grow(gradients: rows.map { SIMD2(-y[$0], 1) })
                out[t] = GradientBoosting.withRawThresholds(grown.tree, mapper: mapper)
            }
        }
        return RandomForestModel(featureCount: x.columns, featureNames: featureNames, regression: regression, trees: trees, config: config)
    }

    /// The rows `rows` of a binned matrix (repeats included), column-major as the grower reads it.
    static func bootstrapped(_ b: BinnedMatrix, rows: [Int]) -> BinnedMatrix {
        var bins = [UInt8](repeating: 0, count: rows.count * b.columns)
        for j in 0..<b.columns {
            let from = j * b.rows, to = j * rows.count
            for (k, r) in rows.enumerated() { bins[to + k] = b.bins[from + r] }
        }
        return BinnedMatrix(rows: rows.count, columns: b.columns, bins: bins)
    }

    private static func validate(x: Matrix, y: [Double], featureNames: [String]?, regression: Bool) throws {
        if x.rows == 0 { throw AnalyticsError.tooFewRows(what: "training data", rows: 0, needed: 1) }
        if x.columns == 0 { throw AnalyticsError.invalidInput(what: "training data has no feature columns", expected: "at least one feature") }
        if y.count != x.rows { throw AnalyticsError.invalidInput(what: "\(y.count) labels for \(x.rows) rows", expected: "one label per row") }
        if let names = featureNames, names.count != x.columns {
            throw AnalyticsError.invalidParameter(name: "featureNames", value: "\(names.count) names", expected: "\(x.columns) names, one per column")
        }
        if regression {
            if let k = y.firstIndex(where: { !$0.isFinite }) { throw AnalyticsError.invalidInput(what: "target of row \(k) is \(y[k])", expected: "a finite number") }
            return
        }
        if let k = y.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw AnalyticsError.invalidInput(what: "label of row \(k) is \(y[k])", expected: "0 or 1")
        }
        let positives = y.reduce(0, +)
        if positives == 0 || positives == Double(y.count) { throw AnalyticsError.singleClass(column: "label", value: positives == 0 ? "0" : "1") }
    }
}
