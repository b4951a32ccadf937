import Foundation

/// k-means clustering: k-means++ seeding (Arthur & Vassilvitskii 2007) with scikit-learn's greedy
/// variant, Lloyd iterations, several seeded restarts keeping the lowest inertia, and selection of k
/// by silhouette. Results are bit-identical for a given seed on any number of threads.
public enum KMeans {
    /// Hyperparameters of a k-means fit (part of a task's cache key).
    public struct Config: Codable, Equatable, Sendable {
        /// Number of clusters, 1...rows.
        public var k: Int
        /// Number of restarts with different k-means++ seedings; the lowest inertia wins (ties to the
        /// earlier restart).
        public var nInit: Int
        /// Maximum Lloyd iterations per restart.
        public var maxIterations: Int
        /// Convergence tolerance as in scikit-learn: stop when the sum over centres of the squared
        /// centre shift is at most `tolerance` times the mean of the columns' (population) variances.
        public var tolerance: Double
        /// Seed; restart r draws from `SeededRandom(seed: seed, stream: r)`.
        public var seed: UInt64

        public init(k: Int, nInit: Int = 10, maxIterations: Int = 300, tolerance: Double = 1e-4, seed: UInt64 = 0) {
            self.k = k
            self.nInit = nInit
            self.maxIterations = maxIterations
            self.tolerance = tolerance
            self.seed = seed
        }
    }

    /// Fits k-means to the rows of `x` (rows are points, columns are features; scale them first, for
    /// example with `FeatureScaling`). Each restart seeds with greedy k-means++ and runs Lloyd
    /// iterations until no label changes, the centre shift is within tolerance, or `maxIterations`.
    /// A cluster left empty during an iteration gets the row farthest from its own centre (as
    /// scikit-learn); clusters stay empty only when rows coincide (fewer distinct rows than k).
    ///
    /// Throws `AnalyticsError.tooFewRows` for an empty matrix, `.invalidInput` for a matrix without
    /// columns or with a non-finite value (naming the column index), and `.invalidParameter` for
    /// k < 1, k > rows, nInit < 1, maxIterations < 1 or a negative or non-finite tolerance.
    public static func fit(_ x: Matrix, config: Config) throws -> KMeansModel {
        try validate(x)
        try validate(config, rows: x.rows)
        let tolerance = meanVariance(x) * config.tolerance
        let rowNorms = KMeansPlusPlus.squaredNorms(x)
        var best: KMeansModel?
        for restart in 0..<config.nInit {
            var random = SeededRandom(seed: config.seed, stream: UInt64(restart))
            let seeds = KMeansPlusPlus.centres(x, rowNorms: rowNorms, k: config.k, random: &random)
            let model = Lloyd.run(x, rowNorms: rowNorms, centres: seeds, k: config.k, maxIterations: config.maxIterations, tolerance: tolerance)
            if best.map({ model.inertia < $0.inertia }) ?? true { best = model }
        }
        guard let best else { preconditionFailure("nInit >= 1 was validated") }
        return best
    }

    /// Fits one model per k in `ks` and picks the k with the highest silhouette score (ties to the
    /// smaller k). The silhouette is exact up to `silhouetteSampleSize` rows and otherwise computed on
    /// a seeded sample of that many rows (seeded by `config.seed`). `config.k` is ignored.
    ///
    /// Throws what `fit` throws, `.invalidParameter` for ks outside 2...rows - 1 (the silhouette needs
    /// at least two clusters and one cluster with two points), and `.invalidInput` when a fit leaves
    /// fewer than two non-empty clusters in the scored rows (for example when all rows are identical).
    public static func select(
        _ x: Matrix, ks: ClosedRange<Int>, config: Config, silhouetteSampleSize: Int = Silhouette.defaultSampleSize
    ) throws -> (chosen: KMeansModel, scores: [(k: Int, inertia: Double, silhouette: Double)]) {
        try validate(x)
        guard ks.lowerBound >= 2, ks.upperBound <= x.rows - 1 else {
            throw AnalyticsError.invalidParameter(
                name: "ks", value: "\(ks.lowerBound)...\(ks.upperBound)",
                expected: "a range within 2...\(x.rows - 1) (2 to rows - 1)")
        }
        var scores: [(k: Int, inertia: Double, silhouette: Double)] = []
        var chosen: (model: KMeansModel, silhouette: Double)?
        for k in ks {
            var c = config
            c.k = k
            let model = try fit(x, config: c)
            let s = try Silhouette.score(x, labels: model.predict(x), sampleSize: silhouetteSampleSize, seed: config.seed)
            scores.append((k, model.inertia, s))
            if chosen.map({ s > $0.silhouette }) ?? true { chosen = (model, s) }
        }
        guard let chosen else { preconditionFailure("ks is non-empty") }
        return (chosen.model, scores)
    }

    /// Checks that `x` has rows and columns and only finite values.
    static func validate(_ x: Matrix) throws {
        guard x.rows >= 1 else { throw AnalyticsError.tooFewRows(what: "k-means input", rows: x.rows, needed: 1) }
        guard x.columns >= 1 else {
            throw AnalyticsError.invalidInput(what: "k-means input has no columns", expected: "at least one numeric column")
        }
        if let i = x.values.firstIndex(where: { !$0.isFinite }) {
            throw AnalyticsError.invalidInput(
                what: "k-means input column \(i % x.columns), row \(i / x.columns) is \(x.values[i])",
                expected: "finite numbers (no NaN or infinity)")
        }
    }

    static func validate(_ c: Config, rows: Int) throws {
        guard c.k >= 1, c.k <= rows else {
            throw AnalyticsError.invalidParameter(name: "k", value: "\(c.k)", expected: "between 1 and the number of rows (\(rows))")
        }
        guard c.nInit >= 1 else { throw AnalyticsError.invalidParameter(name: "nInit", value: "\(c.nInit)", expected: "at least 1") }
        guard c.maxIterations >= 1 else {
            throw AnalyticsError.invalidParameter(name: "maxIterations", value: "\(c.maxIterations)", expected: "at least 1")
        }
        guard c.tolerance >= 0, c.tolerance.isFinite else {
            throw AnalyticsError.invalidParameter(name: "tolerance", value: "\(c.tolerance)", expected: "a finite number >= 0")
        }
    }

    /// Mean over columns of the population variance (scikit-learn's `_tolerance` scale).
    static func meanVariance(_ x: Matrix) -> Double {
        var total = 0.0
        for v in x.columnMeansAndVariances().variances { total += v }
        return total / Double(x.columns)
    }
}
