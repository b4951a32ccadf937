import Foundation

/// The Newton (IRLS) solver behind `LogisticRegression.fit`, in the fitting units (design matrix
/// z with an intercept column first; theta[0] the intercept).
extension LogisticRegression {
    struct NewtonResult {
        var theta: [Double]
        var iterations: Int
        var objective: Double
        /// Hessian of J at theta (mean scale, penalty included).
        var hessian: [[Double]]
    }

    /// J(theta): mean log loss plus l2 * sum of squared non-intercept parameters. The log loss is
    /// summed per chunk of `RowChunks.size` rows (in parallel) and the chunks' sums added in chunk
    /// order, so J does not depend on the number of threads.
    static func objective(z: Matrix, y: [Double], theta: [Double], l2: Double) -> Double {
        let k = z.columns
        var partial = [Double](repeating: 0, count: RowChunks.count(rows: z.rows))
        z.values.withUnsafeBufferPointer { zv in
            y.withUnsafeBufferPointer { yv in
                theta.withUnsafeBufferPointer { th in
                    partial.withUnsafeMutableBufferPointer { out in
                        let out = out
                        RowChunks.forEach(rows: z.rows) { c, rows in
                            var loss = 0.0
                            for i in rows {
                                let eta = dot(zv.baseAddress! + i * k, th.baseAddress!, k)
                                loss += softplus(eta) - yv[i] * eta
                            }
                            out[c] = loss
                        }
                    }
                }
            }
        }
        let loss = partial.reduce(0, +)
        return loss / Double(z.rows) + l2 * theta.dropFirst().reduce(0) { $0 + $1 * $1 }
    }

    /// a . b over k values, summed in index order.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ k: Int) -> Double {
        var s = 0.0
        for j in 0..<k { s += a[j] * b[j] }
        return s
    }

    static func linear(_ z: Matrix, _ i: Int, _ theta: [Double]) -> Double {
        var eta = 0.0
        for j in 0..<z.columns { eta += z[i, j] * theta[j] }
        return eta
    }

    /// Gradient (1/n) Z'(p - y) + 2 l2 [0, b] and Hessian (1/n) Z'WZ + 2 l2 diag(0, 1, ..., 1), W = p(1 - p).
    /// Z'(p - y) and the lower triangle of Z'WZ are summed per chunk of `RowChunks.size` rows (in
    /// parallel), and the chunks' sums added in chunk order: the same bits on any number of threads.
    static func derivatives(z: Matrix, y: [Double], theta: [Double], l2: Double) -> ([Double], [[Double]]) {
        let k = z.columns, n = Double(z.rows)
        let stride = k + k * k                              // per chunk: g, then h (lower triangle, row-major)
        let chunks = RowChunks.count(rows: z.rows)
        var partial = [Double](repeating: 0, count: chunks * stride)
        z.values.withUnsafeBufferPointer { zv in
            y.withUnsafeBufferPointer { yv in
                theta.withUnsafeBufferPointer { th in
                    partial.withUnsafeMutableBufferPointer { out in
                        let out = out
                        RowChunks.forEach(rows: z.rows) { c, rows in
                            let gv = out.baseAddress! + c * stride, hv = gv + k
                            for i in rows {
                                let row = zv.baseAddress! + i * k
                                let eta = dot(row, th.baseAddress!, k)
                                let p = sigmoid(eta), w = p * (1 - p), r = p - yv[i]
                                for a in 0..<k {
                                    let za = row[a], wa = w * za
                                    gv[a] += r * za
                                    let ha = hv + a * k
                                    for b in 0...a { ha[b] += wa * row[b] }
                                }
                            }
                        }
                    }
                }
            }
        }
        var g = [Double](repeating: 0, count: k)
        var h = [Double](repeating: 0, count: k * k)
        for c in 0..<chunks {
            let base = c * stride
            for a in 0..<k { g[a] += partial[base + a] }
            for m in 0..<(k * k) { h[m] += partial[base + k + m] }
        }
        var hessian = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        for a in 0..<k {
            g[a] = g[a] / n + (a == 0 ? 0 : 2 * l2 * theta[a])
            for b in 0...a {
                let v = h[a * k + b] / n + (a == b && a > 0 ? 2 * l2 : 0)
                hessian[a][b] = v
                hessian[b][a] = v
            }
        }
        return (g, hessian)
    }

    /// Newton's method with Armijo backtracking (Nocedal & Wright 2006, Algorithm 3.1, c = 1e-4, halving).
    static func newton(z: Matrix, y: [Double], config: Config) throws -> NewtonResult {
        var theta = [Double](repeating: 0, count: z.columns)
        // Start the intercept at the log odds of the base rate: the exact optimum when b = 0.
        let rate = y.reduce(0, +) / Double(y.count)
        theta[0] = log(rate / (1 - rate))
        var f = objective(z: z, y: y, theta: theta, l2: config.l2)
        for iteration in 0...config.maxIterations {
            let (g, h) = derivatives(z: z, y: y, theta: theta, l2: config.l2)
            if g.map(abs).max() ?? 0 <= config.tolerance {
                return NewtonResult(theta: theta, iterations: iteration, objective: f, hessian: h)
            }
            guard let d = choleskySolve(h, g.map { -$0 }) else {
                throw AnalyticsError.invalidInput(what: "the Hessian is singular (collinear features, or separable classes with l2 = 0)",
                                                  expected: "linearly independent features, or l2 > 0")
            }
            let decrement = -zip(g, d).reduce(0) { $0 + $1.0 * $1.1 }   // g'H^-1g >= 0
            if decrement / 2 <= config.tolerance * config.tolerance {
                return NewtonResult(theta: theta, iterations: iteration, objective: f, hessian: h)
            }
            if iteration == config.maxIterations { break }
            // Near the optimum the predicted decrease falls below the rounding of J, where an Armijo
            // test only sees noise: take the full step there (Newton's quadratic region).
            if decrement / 2 <= 1e-12 * max(1, abs(f)) {
                theta = zip(theta, d).map { $0 + $1 }
                f = objective(z: z, y: y, theta: theta, l2: config.l2)
                continue
            }
            var t = 1.0, next = theta, fNext = f
            for _ in 0..<60 {
                next = zip(theta, d).map { $0 + t * $1 }
                fNext = objective(z: z, y: y, theta: next, l2: config.l2)
                if fNext <= f - 1e-4 * t * decrement { break }
                t /= 2
            }
            guard fNext <= f else { break }   // no descent possible: rounding noise dominates
            theta = next
            f = fNext
        }
        throw AnalyticsError.didNotConverge(what: "logistic regression (Newton)", iterations: config.maxIterations)
    }

    /// Solves A x = b for symmetric positive definite A by Cholesky; nil if A is not (numerically) positive definite.
    static func choleskySolve(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        let n = a.count
        var l = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in 0...i {
                var s = a[i][j]
                for k in 0..<j { s -= l[i][k] * l[j][k] }
                if i == j {
                    guard s > 1e-14 * max(1, abs(a[i][i])) else { return nil }
                    l[i][i] = s.squareRoot()
                } else {
                    l[i][j] = s / l[j][j]
                }
            }
        }
        var x = b
        for i in 0..<n { for k in 0..<i { x[i] -= l[i][k] * x[k] }; x[i] /= l[i][i] }
        for i in stride(from: n - 1, through: 0, by: -1) {
            for k in (i + 1)..<n { x[i] -= l[k][i] * x[k] }
            x[i] /= l[i][i]
        }
        return x
    }

    /// Folds standardisation back into original units and attaches standard errors.
    /// eta = b0 + sum b_j (x_j - m_j) / s_j, so coefficient_j = b_j / s_j and
    /// intercept = b0 - sum b_j m_j / s_j; the covariance maps through the same linear map A: A C A'.
    static func model(fit: NewtonResult, z: Matrix, y: [Double], means: [Double], scales: [Double],
                      featureNames: [String], config: Config) -> LogisticRegressionModel {
        let p = means.count, n = Double(z.rows)
        var a = [[Double]](repeating: [Double](repeating: 0, count: p + 1), count: p + 1)
        a[0][0] = 1
        for j in 0..<p { a[0][j + 1] = -means[j] / scales[j]; a[j + 1][j + 1] = 1 / scales[j] }
        let original = a.map { row in zip(row, fit.theta).reduce(0) { $0 + $1.0 * $1.1 } }
        // Covariance: inverse of the sum-scale Hessian n H (H is the mean-scale Hessian of J).
        let cov = Minimizer.inverse(fit.hessian.map { $0.map { $0 * n } })
        let se: [Double] = (0...p).map { r in
            guard let c = cov else { return .nan }
            var v = 0.0
            for s in 0...p { for t in 0...p { v += a[r][s] * c[s][t] * a[r][t] } }
            return v > 0 ? v.squareRoot() : .nan
        }
        let penalty = config.l2 * fit.theta.dropFirst().reduce(0) { $0 + $1 * $1 }
        return LogisticRegressionModel(
            featureNames: featureNames, intercept: original[0], coefficients: Array(original.dropFirst()),
            interceptStandardError: se[0], coefficientStandardErrors: Array(se.dropFirst()),
            featureMeans: means, featureScales: scales, config: config, iterations: fit.iterations,
            converged: true, objective: fit.objective, trainingLogLoss: fit.objective - penalty)
    }
}
