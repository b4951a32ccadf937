import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct GradientBoostingTests {
    /// n rows of 3 uniform features; y = 1 iff x0 > 0.3 (a step function of one feature).
    func stepData(_ n: Int, seed: UInt64) -> (Matrix, [Double]) {
        var rng = SeededRandom(seed: seed)
        let x = Matrix(rows: n, columns: 3, values: (0..<(3 * n)).map { _ in rng.uniform() })
        return (x, (0..<n).map { x[$0, 0] > 0.3 ? 1 : 0 })
    }

    /// Logistic data: P(y = 1) = sigmoid(2 x0 - x1 + x2^2), x ~ N(0, 1); also returns the true probabilities.
    func logisticData(_ n: Int, seed: UInt64) -> (Matrix, [Double], [Double]) {
        var rng = SeededRandom(seed: seed)
        let x = Matrix(rows: n, columns: 4, values: (0..<(4 * n)).map { _ in rng.normal() })
        let p = (0..<n).map { i in 1 / (1 + exp(-(2 * x[i, 0] - x[i, 1] + x[i, 2] * x[i, 2] - 1))) }
        return (x, p.map { rng.uniform() < $0 ? 1 : 0 }, p)
    }

    /// ROC AUC by the rank-sum formula (average ranks for ties); a local helper for tests only.
    func auc(_ y: [Double], _ s: [Double]) -> Double {
        let order = s.indices.sorted { s[$0] < s[$1] }
        var rankSum = 0.0, k = 0
        while k < order.count {
            var j = k
            while j + 1 < order.count && s[order[j + 1]] == s[order[k]] { j += 1 }
            for t in k...j where y[order[t]] == 1 { rankSum += Double(k + j) / 2 + 1 }
            k = j + 1
        }
        let pos = y.reduce(0, +), neg = Double(y.count) - pos
        return (rankSum - pos * (pos + 1) / 2) / (pos * neg)
    }

    let small = GradientBoosting.Config(rounds: 30, maxLeafNodes: 8, minSamplesLeaf: 10)

    // 2,000 distinct x0 values in 255 quantile bins: the bin holding 0.3 has ~8 rows that no split can
    // separate, so up to ~0.4% of rows may be wrong; 99% accuracy leaves room for that and nothing else.
    @Test func learnsAStepFunction() throws {
        let (x, y) = stepData(2000, seed: 1)
        let model = try GradientBoosting.fit(x: x, y: y, config: small)
        let p = try model.predictProbability(x)
        let correct = zip(p, y).filter { ($0 > 0.5 ? 1.0 : 0.0) == $1 }.count
        #expect(Double(correct) / 2000 >= 0.99)
        // All splits worth anything are on x0: the other features are noise.
        #expect(model.featureImportance[0] > 0.9)
        #expect(abs(model.featureImportance.reduce(0, +) - 1) < 1e-12)
    }

    // Each round is a Newton step with shrinkage 0.1 on a convex loss: the training loss must fall every round.
    @Test func trainingLossDecreasesEveryRound() throws {
        let (x, y, _) = logisticData(1500, seed: 2)
        let model = try GradientBoosting.fit(x: x, y: y, config: small)
        #expect(model.trainingLoss.count == small.rounds + 1)
        // Round 0 is the constant model: the entropy of the base rate.
        let r = y.reduce(0, +) / Double(y.count)
        #expect(abs(model.trainingLoss[0] - (-(r * log(r) + (1 - r) * log(1 - r)))) < 1e-12)
        for k in 1..<model.trainingLoss.count { #expect(model.trainingLoss[k] < model.trainingLoss[k - 1]) }
    }

    // Held-out AUC close to the AUC of the true probabilities (the best any model can do). With 3,000
    // training rows the fitted model loses a little; 0.03 is about 3 standard errors of a 2,000-row AUC.
    @Test func heldOutAUCNearTheOracle() throws {
        let (x, y, _) = logisticData(3000, seed: 3)
        let (xt, yt, pt) = logisticData(2000, seed: 4)
        let model = try GradientBoosting.fit(x: x, y: y, config: .init(rounds: 60, maxLeafNodes: 8))
        let a = auc(yt, try model.predictProbability(xt))
        #expect(a > auc(yt, pt) - 0.03)
    }

    @Test func fitsAreDeterministic() throws {
        let (x, y, _) = logisticData(1000, seed: 6)
        let a = try GradientBoosting.fit(x: x, y: y, config: small)
        let b = try GradientBoosting.fit(x: x, y: y, config: small)
        #expect(a == b)
    }

    // Separable data, full Newton steps and no hessian floor: scores grow by about 1 per round until p rounds
    // to exactly 0 or 1 (|score| > ~37; here up to ~75) and leaves have no curvature. Everything must stay
    // finite and in [0, 1].
    @Test func probabilitiesAreInUnitInterval() throws {
        let (x, y) = stepData(500, seed: 7)
        let model = try GradientBoosting.fit(x: x, y: y, config: .init(rounds: 100, learningRate: 1, minSamplesLeaf: 1,
                                                                      minHessianLeaf: 0))
        #expect(model.trainingLoss.allSatisfy { $0.isFinite && $0 >= 0 })
        #expect(try model.predictRaw(x).allSatisfy { $0.isFinite })
        let wild = Matrix(rowArrays: [[-1e300, 0, 0], [1e300, 1, 1], [.nan, .nan, .nan], [0.31, 0, 0]])
        for p in try model.predictProbability(x) + model.predictProbability(wild) { #expect(p >= 0 && p <= 1) }
    }

    // Raw features and the training bins give the same scores (x <= t[bin] iff bin(x) <= bin).
    @Test func rawAndBinnedPredictionsAgree() throws {
        var (x, y, _) = logisticData(800, seed: 8)
        for i in stride(from: 0, to: 800, by: 13) { x[i, 1] = .nan }
        let model = try GradientBoosting.fit(x: x, y: y, config: small)
        let binned = BinMapper.fit(x, maxBins: small.maxBins, seed: small.seed).transform(x)
        #expect(try model.predictRaw(x) == model.predictRaw(binned: binned))
    }

    // Raw predictions run over chunks of rows in parallel: on several chunks, the same bits as one
    // pass per tree on one thread (the trees added to each row in tree order).
    @Test func rawPredictionsMatchOnePassPerTree() throws {
        let (x, y, _) = logisticData(3 * RowChunks.size + 77, seed: 9)
        let model = try GradientBoosting.fit(x: x, y: y, config: small)
        var expected = [Double](repeating: model.baseScore, count: x.rows)
        for tree in model.trees { tree.addPredictions(x, to: &expected) }
        #expect(try model.predictRaw(x).map(\.bitPattern) == expected.map(\.bitPattern))
        #expect(try Parallel.limited(to: 1) { try model.predictRaw(x) }.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    // Missing values carry the signal: NaN in x0 means y = 1; otherwise y = 1 iff x0 > 0.5.
    @Test func learnsFromMissingValues() throws {
        var (x, _) = stepData(2000, seed: 9)
        var y = (0..<2000).map { x[$0, 0] > 0.5 ? 1.0 : 0.0 }
        for i in stride(from: 0, to: 2000, by: 5) { x[i, 0] = .nan; y[i] = 1 }
        let model = try GradientBoosting.fit(x: x, y: y, config: small)
        let p = try model.predictProbability(Matrix(rowArrays: [[.nan, 0.5, 0.5], [0.2, 0.5, 0.5], [0.8, 0.5, 0.5]]))
        #expect(p[0] > 0.9 && p[1] < 0.1 && p[2] > 0.9)
    }

    @Test func jsonRoundTripKeepsPredictions() throws {
        let (x, y, _) = logisticData(500, seed: 10)
        let model = try GradientBoosting.fit(x: x, y: y, featureNames: ["a", "b", "c", "d"], config: small)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let decoded = try JSONDecoder().decode(GradientBoostingModel.self, from: encoder.encode(model))
        #expect(decoded == model)
        #expect(try decoded.predictProbability(x) == model.predictProbability(x))
    }

    // A damaged file fails to decode instead of crashing or looping in prediction.
    @Test func damagedModelsFailToDecode() throws {
        let (x, y, _) = logisticData(300, seed: 12)
        let model = try GradientBoosting.fit(x: x, y: y, config: .init(rounds: 2, maxLeafNodes: 4))
        var badFeature = model, loop = model
        badFeature.trees[0].nodes[0].feature = 4
        loop.trees[1].nodes[0].left = 0
        for bad in [badFeature, loop] {
            let data = try JSONEncoder().encode(bad)
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(GradientBoostingModel.self, from: data) }
        }
    }

    @Test func badInputThrows() {
        func expectError(_ y: [Double], _ config: GradientBoosting.Config = .init(), names: [String]? = nil,
                         x: Matrix = Matrix(rowArrays: [[1], [2], [3]]), _ check: (AnalyticsError) -> Bool) {
            #expect(performing: { try GradientBoosting.fit(x: x, y: y, featureNames: names, config: config) },
                    throws: { ($0 as? AnalyticsError).map(check) ?? false })
        }
        expectError([], x: Matrix(rows: 0, columns: 1)) { if case .tooFewRows = $0 { true } else { false } }
        expectError([0, 1, 2]) { if case .invalidInput = $0 { true } else { false } }
        expectError([0, .nan, 1]) { if case .invalidInput = $0 { true } else { false } }
        expectError([1, 1, 1]) { $0 == .singleClass(column: "label", value: "1") }
        expectError([0, 1]) { if case .invalidInput = $0 { true } else { false } }
        expectError([0, 1, 1], names: ["a", "b"]) { if case .invalidParameter(name: "featureNames", _, _) = $0 { true } else { false } }
        for (name, config) in [("rounds", GradientBoosting.Config(rounds: 0)), ("learningRate", .init(learningRate: 0)),
                               ("maxLeafNodes", .init(maxLeafNodes: 1)), ("maxDepth", .init(maxDepth: 0)),
                               ("minSamplesLeaf", .init(minSamplesLeaf: 0)), ("l2", .init(l2: -1)),
                               ("maxBins", .init(maxBins: 256)), ("minHessianLeaf", .init(minHessianLeaf: .nan))] {
            expectError([0, 1, 1], config) { if case .invalidParameter(name, _, _) = $0 { true } else { false } }
        }
    }

    // Squared error, hand-computed: base score = mean 6; gradients s - y = 5, 4, -4, -5; the best 2-leaf split is
    // between x = 1 and 2 with leaf values -G/H = -4.5 and 4.5, so one full step fits 1.5, 1.5, 10.5, 10.5 (all
    // exact binary fractions). Training MSE before: (25 + 16 + 16 + 25) / 4 = 20.5; after: 0.25.
    @Test func squaredErrorRegressionHandComputed() throws {
        let x = Matrix(rowArrays: [[0], [1], [2], [3]])
        let config = GradientBoosting.Config(rounds: 1, learningRate: 1, maxLeafNodes: 2, minSamplesLeaf: 1, loss: .squaredError)
        let model = try GradientBoosting.fit(x: x, y: [1, 2, 10, 11], config: config)
        #expect(model.baseScore == 6 && model.isRegression)
        #expect(try model.predict(x) == [1.5, 1.5, 10.5, 10.5])
        #expect(model.trainingLoss == [20.5, 0.25])
        // Targets need not be 0/1, but must be finite.
        #expect(throws: AnalyticsError.self) { try GradientBoosting.fit(x: x, y: [1, 2, .infinity, 11], config: config) }
    }

    // A log-loss model's saved config has no "loss" key: classifiers keep the bytes they had before regression.
    @Test func classifierConfigOmitsTheLoss() throws {
        let data = try JSONEncoder().encode(GradientBoosting.Config())
        #expect(!String(decoding: data, as: UTF8.self).contains("loss"))
    }

    // Boosting on squared error: y = x0^2 + noise on [-1, 1]; the training MSE falls every round (each
    // round is a shrunk Newton step, exact for a quadratic loss) and the held-out RMSE ends near the noise sd 0.05.
    @Test func squaredErrorLearnsACurve() throws {
        var rng = SeededRandom(seed: 13)
        func draw(_ n: Int) -> (Matrix, [Double]) {
            let x = Matrix(rows: n, columns: 2, values: (0..<(2 * n)).map { _ in 2 * rng.uniform() - 1 })
            return (x, (0..<n).map { x[$0, 0] * x[$0, 0] + 0.05 * rng.normal() })
        }
        let (x, y) = draw(2000), (xt, yt) = draw(1000)
        let model = try GradientBoosting.fit(x: x, y: y, config: .init(rounds: 60, maxLeafNodes: 8, loss: .squaredError))
        for k in 1..<model.trainingLoss.count { #expect(model.trainingLoss[k] < model.trainingLoss[k - 1]) }
        let rmse = try RegressionMetrics.evaluate(targets: yt, predictions: model.predict(xt)).rootMeanSquaredError
        // The target's sd is ~0.3; 0.07 allows the noise (0.05) plus a small fitting error of the step approximation.
        #expect(rmse < 0.07)
    }

    // Early stopping keeps exactly the rounds up to the first minimum of the validation loss: the same trees as
    // the full fit's first `best`, where best = argmin of the full fit's validation losses over the rounds
    // grown before `patience` rounds passed without improvement. Full steps (learning rate 1) on noisy
    // labels overfit within a few rounds, so the stop comes early.
    @Test func earlyStoppingKeepsTheRoundsUpToTheValidationMinimum() throws {
        let (x, y, _) = logisticData(1500, seed: 14)
        let (xv, yv, _) = logisticData(600, seed: 15)
        var config = GradientBoosting.Config(rounds: 60, learningRate: 1, maxLeafNodes: 16, minSamplesLeaf: 5)
        let full = try GradientBoosting.fit(x: x, y: y, config: config, validation: (xv, yv))
        let curve = try #require(full.validationLoss)
        #expect(curve.count == 61 && full.trees.count == 60)
        config.earlyStoppingRounds = 5
        let stopped = try GradientBoosting.fit(x: x, y: y, config: config, validation: (xv, yv))
        let grown = try #require(stopped.validationLoss).count - 1
        var best = 0
        for k in 1...grown where curve[k] < curve[best] { best = k }
        #expect(grown - best == 5 && grown < 60)
        #expect(stopped.trees == Array(full.trees.prefix(best)))
        #expect(stopped.validationLoss! == Array(curve.prefix(grown + 1)))
        #expect(stopped.trainingLoss == Array(full.trainingLoss.prefix(best + 1)))
        // The validation loss of the kept model is the curve's minimum (same trees, same additions in the same order).
        let p = try stopped.predictProbability(xv)
        let logLoss = zip(p, yv).map { -($1 == 1 ? log($0) : log(1 - $0)) }.reduce(0, +) / Double(yv.count)
        // The fit sums the loss in another way (products of probabilities, see logLossGradients): 1e-12 of rounding.
        #expect(abs(logLoss - curve[best]) < 1e-12)
    }

    @Test func predictingWithOtherColumnsThrows() throws {
        let (x, y) = stepData(200, seed: 11)
        let model = try GradientBoosting.fit(x: x, y: y, config: small)
        #expect(throws: AnalyticsError.self) { try model.predictProbability(Matrix(rowArrays: [[1, 2]])) }
    }
}
