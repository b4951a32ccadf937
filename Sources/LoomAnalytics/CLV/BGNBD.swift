import Foundation

/// The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005, "Counting Your Customers the
/// Easy Way", Marketing Science 24(2)): while alive a customer buys at rate lambda ~ Gamma(r, alpha);
/// after each purchase they drop out with probability p ~ Beta(a, b).
public enum BGNBD {
    /// Fitting settings (part of a task's key).
    public struct Config: Codable, Equatable, Sendable {
        /// Starting values of r, alpha, a, b.
        public var start: [Double] = [1, 1, 1, 1]
        /// Relative to |log-likelihood| (see `Minimizer.bfgs`).
        public var gradientTolerance: Double = 1e-9
        public var maxIterations: Int = 1000
        public init() {}
    }

    /// Log-likelihood of one customer (FHL 2005 eq. 6), in log space for stability:
    /// ln L = A1 + A2 + ln(e^A3 + [x > 0] e^A4).
    public static func logLikelihood(r: Double, alpha: Double, a: Double, b: Double, x: Double, tx: Double, T: Double) -> Double {
        let a1 = lgamma(r + x) - lgamma(r) + r * log(alpha)
        let a2 = lgamma(a + b) + lgamma(b + x) - lgamma(b) - lgamma(a + b + x)
        let a3 = -(r + x) * log(alpha + T)
        guard x > 0 else { return a1 + a2 + a3 }
        let a4 = log(a) - log(b + x - 1) - (r + x) * log(alpha + tx)
        let m = max(a3, a4)
        return a1 + a2 + m + log(exp(a3 - m) + exp(a4 - m))
    }

    /// Maximum-likelihood fit on (frequency x, recency t_x, age T) per customer, in weeks.
    public static func fit(frequency: [Double], recency: [Double], age: [Double], config: Config = Config()) throws -> BGNBDModel {
        guard frequency.count == recency.count, recency.count == age.count else {
            throw AnalyticsError.invalidInput(what: "BG/NBD data", expected: "frequency, recency and T of equal length")
        }
        guard frequency.count >= 4 else { throw AnalyticsError.tooFewRows(what: "BG/NBD data", rows: frequency.count, needed: 4) }
        for i in frequency.indices {
            let x = frequency[i], tx = recency[i], t = age[i]
            guard x >= 0, x == x.rounded(), tx >= 0, t >= tx, t.isFinite else {
                throw AnalyticsError.invalidInput(what: "customer \(i): frequency \(x), recency \(tx), T \(t)",
                                                  expected: "a whole frequency >= 0 and 0 <= recency <= T")
            }
        }
        guard frequency.contains(where: { $0 > 0 }) else {
            throw AnalyticsError.invalidInput(what: "BG/NBD data", expected: "at least one customer with a repeat purchase")
        }
        // Customers with the same (x, t_x, T) contribute the same term: sum over unique rows with
        // counts (exact; the CDNOW cohort has about a third as many unique rows as customers).
        var counts: [[Double]: Double] = [:]
        for i in frequency.indices { counts[[frequency[i], recency[i], age[i]], default: 0] += 1 }
        let rows = counts.keys.sorted { $0.lexicographicallyPrecedes($1) }
        let weights = rows.map { counts[$0]! }
        let xs = rows.map { Int($0[0]) }, txs = rows.map { $0[1] }, ts = rows.map { $0[2] }
        let maxX = xs.max() ?? 0
        var lr = [Double](repeating: 0, count: maxX + 1), lb = lr, lab = lr
        func nll(_ p: [Double]) -> Double {
            let (r, alpha, a, b) = (p[0], p[1], p[2], p[3])
            // x is a whole number, so lgamma(r + x) - lgamma(r) = sum_{k<x} log(r + k): tabulate
            // once per evaluation instead of six lgamma calls per row (same value up to rounding).
            for k in 0..<maxX {
                lr[k + 1] = lr[k] + log(r + Double(k))
                lb[k + 1] = lb[k] + log(b + Double(k))
                lab[k + 1] = lab[k] + log(a + b + Double(k))
            }
            let logAlpha = log(alpha), logA = log(a)
            var s = 0.0
            for k in rows.indices {
                let x = xs[k], xd = Double(x)
                // FHL 2005 eq. 6 in log space, as `logLikelihood`.
                let a12 = lr[x] + r * logAlpha + lb[x] - lab[x]
                let a3 = -(r + xd) * log(alpha + ts[k])
                var term = a12 + a3
                if x > 0 {
                    let a4 = logA - log(b + xd - 1) - (r + xd) * log(alpha + txs[k])
                    let m = max(a3, a4)
                    term = a12 + m + log(exp(a3 - m) + exp(a4 - m))
                }
                s += weights[k] * term
            }
            return -s
        }
        let result = Minimizer.bfgs({ nll($0.map(exp)) }, start: config.start.map(log), gradientTolerance: config.gradientTolerance,
                                    maxIterations: config.maxIterations)
        let p = result.x.map(exp)
        guard result.converged else { throw AnalyticsError.didNotConverge(what: "BG/NBD fit", iterations: result.iterations) }
        let se = Minimizer.standardErrors(negativeLogLikelihood: nll, at: p)
        return BGNBDModel(r: p[0], alpha: p[1], a: p[2], b: p[3], logLikelihood: -result.value,
                          standardErrors: ["r": se[0], "alpha": se[1], "a": se[2], "b": se[3]], iterations: result.iterations,
                          customers: frequency.count)
    }
}

/// A fitted BG/NBD model.
public struct BGNBDModel: Codable, Equatable, Sendable {
    public var r, alpha, a, b: Double
    public var logLikelihood: Double
    public var standardErrors: [String: Double]
    public var iterations: Int
    public var customers: Int

    /// P(alive | x, t_x, T) (FHL 2005, eq. 13 of the accompanying note "Computing P(alive)").
    public func probabilityAlive(x: Double, tx: Double, T: Double) -> Double {
        guard x > 0 else { return 1 }
        let ratio = exp((r + x) * (log(alpha + T) - log(alpha + tx)))
        return 1 / (1 + a / (b + x - 1) * ratio)
    }

    /// E[X(t)]: expected transactions of a new customer in (0, t] (FHL 2005 eq. 7).
    public func expectedTransactions(newCustomerOver t: Double) -> Double {
        let z = t / (alpha + t)
        return (a + b - 1) / (a - 1) * (1 - pow(alpha / (alpha + t), r) * Hypergeometric.f21(r, b, a + b - 1, z))
    }

    /// E[Y(t) | x, t_x, T]: expected transactions in (T, T + t] (FHL 2005 eq. 10).
    public func conditionalExpectedTransactions(t: Double, x: Double, tx: Double, T: Double) -> Double {
        let z = t / (alpha + T + t)
        let head = (a + b + x - 1) / (a - 1)
        let body = 1 - pow((alpha + T) / (alpha + T + t), r + x) * Hypergeometric.f21(r + x, b + x, a + b + x - 1, z)
        let alive = x > 0 ? 1 + a / (b + x - 1) * pow((alpha + T) / (alpha + tx), r + x) : 1
        return head * body / alive
    }
}

/// The Gaussian hypergeometric function 2F1(a, b; c; z) by its power series, for 0 <= z < 1
/// (where the models use it: z = t / (alpha + T + t)). Terms are summed until they fall below
/// 1e-15 of the sum; the series converges geometrically at rate z.
public enum Hypergeometric {
    public static func f21(_ a: Double, _ b: Double, _ c: Double, _ z: Double) -> Double {
        precondition(z >= 0 && z < 1, "2F1 series needs 0 <= z < 1")
        var term = 1.0, sum = 1.0
        var j = 0.0
        while j < 100_000 {
            term *= (a + j) * (b + j) / ((c + j) * (j + 1)) * z
            sum += term
            if abs(term) < 1e-15 * abs(sum) { break }
            j += 1
        }
        return sum
    }
}
