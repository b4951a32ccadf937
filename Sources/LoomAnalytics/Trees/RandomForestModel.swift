import Foundation

/// A fitted random forest: the prediction is the mean of the trees' leaf values (a classifier's
/// probability of class 1: the mean of the leaf class fractions; a regression: the mean of the leaf means).
///
/// JSON form, version 1 (`JSONEncoder`, readable with `.prettyPrinted, .sortedKeys`): `featureCount`,
/// `featureNames` (optional), `regression` (false: 0/1 classifier), `trees` (see `DecisionTree`; a
/// leaf's `value` is its mean label, thresholds in the features' raw units) and `config`.
public struct RandomForestModel: Codable, Equatable, Sendable {
    public var version = 1
    public var featureCount: Int
    public var featureNames: [String]?
    public var regression: Bool
    public var trees: [DecisionTree]
    public var config: RandomForest.Config

    public init(featureCount: Int, featureNames: [String]?, regression: Bool, trees: [DecisionTree], config: RandomForest.Config) {
        self.featureCount = featureCount
        self.featureNames = featureNames
        self.regression = regression
        self.trees = trees
        self.config = config
    }

    /// Decodes and checks the model (as `GradientBoostingModel` does), so that a damaged file fails here.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(Int.self, forKey: .version)
        featureCount = try c.decode(Int.self, forKey: .featureCount)
        featureNames = try c.decodeIfPresent([String].self, forKey: .featureNames)
        regression = try c.decode(Bool.self, forKey: .regression)
        trees = try c.decode([DecisionTree].self, forKey: .trees)
        config = try c.decode(RandomForest.Config.self, forKey: .config)
        func fail(_ what: String) -> DecodingError {
            .dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "RandomForestModel: \(what)"))
        }
        if version != 1 { throw fail("unknown version \(version), expected 1") }
        if trees.isEmpty { throw fail("no trees") }
        if let names = featureNames, names.count != featureCount { throw fail("\(names.count) feature names for \(featureCount) features") }
        if let problem = DecisionTree.problem(in: trees, featureCount: featureCount) { throw fail(problem) }
    }

    /// The mean of the trees' outputs for each row of `x` (same columns as the training data; NaN =
    /// missing); summed in tree order, then divided by the number of trees.
    /// - Throws: `AnalyticsError.invalidInput` if `x` has another number of columns.
    public func predict(_ x: Matrix) throws -> [Double] {
        guard x.columns == featureCount else {
            throw AnalyticsError.invalidInput(what: "data with \(x.columns) feature columns", expected: "\(featureCount) columns, as in training")
        }
        var sums = [Double](repeating: 0, count: x.rows)
        for tree in trees { tree.addPredictions(x, to: &sums) }
        let n = Double(trees.count)
        return sums.map { $0 / n }
    }

    /// Mean decrease in impurity (scikit-learn's `feature_importances_`): per tree, each feature's
    /// total split gain over the tree's total; then the mean over trees with a split, normalised to
    /// sum to 1 (all zeros when no tree has a split).
    public var featureImportance: [Double] {
        var sum = [Double](repeating: 0, count: featureCount)
        for tree in trees {
            var gain = [Double](repeating: 0, count: featureCount)
            for node in tree.nodes where !node.isLeaf { gain[node.feature] += node.gain }
            let total = gain.reduce(0, +)
            if total > 0 { for j in 0..<featureCount { sum[j] += gain[j] / total } }
        }
        let total = sum.reduce(0, +)
        return total > 0 ? sum.map { $0 / total } : sum
    }
}
