import Foundation

/// The Gamma-Gamma model of spend per transaction (Fader & Hardie 2013, "The Gamma-Gamma Model of
/// Monetary Value"): a customer's transactions are Gamma(p, nu) with nu ~ Gamma(q, v), independent of
/// the purchase process. Fitted on customers with at least one repeat transaction, using the mean
/// spend zbar of their x repeat transactions.
public enum GammaGamma {
    public struct Config: Codable, Equatable, Sendable {
        /// Starting values of p, q, v.
        public var start: [Double] = [1, 1, 1]
        /// Relative to |log-likelihood| (see `Minimizer.bfgs`).
        public var gradientTolerance: Double = 1e-9
        public var maxIterations: Int = 1000
        public init() {}
    }

    /// ln f(zbar | p, q, v, x) (Fader & Hardie 2013, eq. 5).
    public static func logLikelihood(p: Double, q: Double, v: Double, x: Double, zbar: Double) -> Double {
        lgamma(p * x + q) - lgamma(p * x) - lgamma(q) + q * log(v) + (p * x - 1) * log(zbar) + p * x * log(x) - (p * x + q) * log(x * zbar + v)
    }

    /// Maximum-likelihood fit; customers with x = 0 are skipped (they have no repeat spend).
    public static func fit(frequency: [Double], meanSpend: [Double], config: Config = Config()) throws -> GammaGammaModel {
        guard frequency.count == meanSpend.count else {
            throw AnalyticsError.invalidInput(what: "Gamma-Gamma data", expected: "frequency and monetary value of equal length")
        }
        // The model needs positive spend: repeat customers whose mean repeat spend is 0 (free
        // orders) are left out, and counted in the model (`excluded`).
        for i in frequency.indices where frequency[i] > 0 && !(meanSpend[i] >= 0 && meanSpend[i].isFinite) {
            throw AnalyticsError.invalidInput(what: "customer \(i): mean repeat spend \(meanSpend[i])", expected: "a finite amount >= 0")
        }
        let keep = frequency.indices.filter { frequency[$0] > 0 && meanSpend[$0] > 0 }
        let excluded = frequency.indices.filter { frequency[$0] > 0 }.count - keep.count
        guard keep.count >= 3 else { throw AnalyticsError.tooFewRows(what: "customers with repeat purchases", rows: keep.count, needed: 3) }
        // Identical (x, zbar) rows contribute identical terms: sum over unique rows with counts.
        var counts: [[Double]: Double] = [:]
        for i in keep { counts[[frequency[i], meanSpend[i]], default: 0] += 1 }
        let rows = counts.keys.sorted { $0.lexicographicallyPrecedes($1) }
        let weights = rows.map { counts[$0]! }
        func nll(_ p: [Double]) -> Double {
            var s = 0.0
            for (k, row) in rows.enumerated() { s += weights[k] * logLikelihood(p: p[0], q: p[1], v: p[2], x: row[0], zbar: row[1]) }
            return -s
        }
        let result = Minimizer.bfgs({ nll($0.map(exp)) }, start: config.start.map(log), gradientTolerance: config.gradientTolerance,
                                    maxIterations: config.maxIterations)
        guard result.converged else { throw AnalyticsError.didNotConverge(what: "Gamma-Gamma fit", iterations: result.iterations) }
        let p = result.x.map(exp)
        let se = Minimizer.standardErrors(negativeLogLikelihood: nll, at: p)
        return GammaGammaModel(p: p[0], q: p[1], v: p[2], logLikelihood: -result.value,
                               standardErrors: ["p": se[0], "q": se[1], "v": se[2]], iterations: result.iterations, customers: keep.count,
                               excluded: excluded)
    }
}

/// A fitted Gamma-Gamma model.
public struct GammaGammaModel: Codable, Equatable, Sendable {
    public var p, q, v: Double
    public var logLikelihood: Double
    public var standardErrors: [String: Double]
    public var iterations: Int
    public var customers: Int
    /// Repeat customers left out because their mean repeat spend is 0.
    public var excluded: Int = 0

    /// E[M | x, zbar]: expected spend per transaction (Fader & Hardie 2013, eq. 7), a weighted mean
    /// of the population mean p v / (q - 1) and the customer's own mean zbar. For x = 0 it is the
    /// population mean.
    public func conditionalExpectedSpend(x: Double, zbar: Double) -> Double {
        guard x > 0 else { return p * v / (q - 1) }
        return p * (v + x * zbar) / (p * x + q - 1)
    }
}

/// Customer lifetime value from BG/NBD and Gamma-Gamma, as `lifetimes`' customer_lifetime_value
/// computes it: over `horizon` periods of `periodWeeks` weeks, the expected transactions of each
/// period (differences of E[Y(t)]) times the expected spend, discounted by (1 + rate)^k.
public enum CLV {
    public static func value(bgnbd: BGNBDModel, spend: GammaGammaModel, x: Double, tx: Double, T: Double, zbar: Double,
                             horizon: Int, periodWeeks: Double, discountRate: Double) -> Double {
        let m = spend.conditionalExpectedSpend(x: x, zbar: zbar)
        var total = 0.0, previous = 0.0
        for k in 1...max(1, horizon) {
            let cumulative = bgnbd.conditionalExpectedTransactions(t: Double(k) * periodWeeks, x: x, tx: tx, T: T)
            total += m * (cumulative - previous) / pow(1 + discountRate, Double(k))
            previous = cumulative
        }
        return total
    }
}
