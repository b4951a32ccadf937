import Foundation

/// Unconstrained minimisation of smooth functions of a few parameters (BFGS; Nocedal & Wright 2006,
/// Algorithm 6.1, with a backtracking Armijo line search and central-difference gradients), and
/// numerical Hessians for standard errors. Models optimise log-parameters so positivity is free.
public enum Minimizer {
    public struct Result: Sendable {
        public var x: [Double]
        public var value: Double
        public var iterations: Int
        public var converged: Bool
        public var gradientNorm: Double
    }

    /// Minimises `f` from `start`. Non-finite values of `f` count as +infinity (the line search backs off).
    /// Converged means |gradient| <= gradientTolerance * max(1, |f|): the tolerance is relative
    /// because central differences of a sum of n terms carry rounding noise of about
    /// 1e-16 * |f| / h (1e-6 for a log-likelihood of 1e4 with h = 1e-6), so no absolute tolerance
    /// below that can be met.
    public static func bfgs(_ f: @escaping ([Double]) -> Double, start: [Double], gradientTolerance: Double = 1e-9,
                            maxIterations: Int = 1000) -> Result {
        let n = start.count
        let safe: ([Double]) -> Double = { let v = f($0); return v.isFinite ? v : .infinity }
        var x = start, fx = safe(x), g = gradient(safe, x)
        var h = identity(n)   // inverse Hessian approximation
        var iterations = 0
        var stalled = false
        func small(_ g: [Double], _ f: Double) -> Bool { norm(g) <= gradientTolerance * max(1, abs(f)) }
        while iterations < maxIterations && !small(g, fx) {
            iterations += 1
            var p = (0..<n).map { i in -(0..<n).reduce(0) { $0 + h[i][$1] * g[$1] } }
            if iterations == 1 || dot(p, g) >= 0 {
                // First step, or not a descent direction: steepest descent scaled to unit length
                // (with H = I a large gradient would jump far along a flat ridge; N&W 6.1 scaling).
                h = identity(n)
                let gn = max(norm(g), 1e-300)
                p = g.map { -$0 / gn }
            }
            // Never move more than 5 units at once (in log-parameters: a factor of e^5).
            let pn = norm(p)
            if pn > 5 { p = p.map { $0 * 5 / pn } }
            let slope = dot(p, g)
            var step = 1.0, xNew = x, fNew = Double.infinity
            while step > 1e-20 {
                xNew = zip(x, p).map { $0 + step * $1 }
                fNew = safe(xNew)
                if fNew <= fx + 1e-4 * step * slope { break }
                step *= 0.5
            }
            guard fNew.isFinite, fNew <= fx else { stalled = true; break }
            let gNew = gradient(safe, xNew)
            let s = zip(xNew, x).map { $0 - $1 }, y = zip(gNew, g).map { $0 - $1 }
            let sy = dot(s, y)
            if sy > 1e-12 && iterations == 1 {
                // N&W eq. 6.20: before the first update, scale H0 = (s'y / y'y) I.
                let scale = sy / dot(y, y)
                h = identity(n).map { $0.map { $0 * scale } }
            }
            if sy > 1e-12 {
                // H <- (I - rho s y^T) H (I - rho y s^T) + rho s s^T
                let rho = 1 / sy
                let hy = (0..<n).map { i in (0..<n).reduce(0) { $0 + h[i][$1] * y[$1] } }
                let yhy = dot(y, hy)
                for i in 0..<n {
                    for j in 0..<n {
                        h[i][j] += -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j]
                    }
                }
            }
            let improvement = fx - fNew
            x = xNew; fx = fNew; g = gNew
            if improvement < 1e-15 * max(1, abs(fx)) { stalled = true; break }
        }
        // Stalled: no step decreases f any more, i.e. we are at the rounding floor of f and its
        // finite-difference gradient (for sums of many lgamma terms of size ~1e3 that floor is
        // ~1e-16 * sum|terms| / h, about 1e-4 here). Accept that as converged while the gradient is
        // still below 1e-6 |f|: parameter errors are then ~ gradient / curvature, far below their
        // standard errors.
        let converged = small(g, fx) || (stalled && norm(g) <= 1e-6 * max(1, abs(fx)))
        return Result(x: x, value: fx, iterations: iterations, converged: converged, gradientNorm: norm(g))
    }

    /// Central differences with a step scaled to each coordinate.
    public static func gradient(_ f: ([Double]) -> Double, _ x: [Double]) -> [Double] {
        (0..<x.count).map { i in
            let h = 1e-6 * max(1, abs(x[i]))
            var a = x, b = x
            a[i] += h
            b[i] -= h
            return (f(a) - f(b)) / (2 * h)
        }
    }

    /// The Hessian by central differences of `f` (step 1e-4 relative: the error is O(h^2) ~ 1e-8,
    /// well below the size of the standard errors it is used for).
    public static func hessian(_ f: ([Double]) -> Double, _ x: [Double]) -> [[Double]] {
        let n = x.count
        var out = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        let hs = x.map { 1e-4 * max(1e-2, abs($0)) }
        for i in 0..<n {
            for j in i..<n {
                func at(_ di: Double, _ dj: Double) -> Double {
                    var y = x
                    y[i] += di * hs[i]
                    y[j] += dj * hs[j]
                    return f(y)
                }
                let v = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * hs[i] * hs[j])
                out[i][j] = v
                out[j][i] = v
            }
        }
        return out
    }

    /// The inverse of a small square matrix (Gauss-Jordan with partial pivoting); nil if singular.
    public static func inverse(_ m: [[Double]]) -> [[Double]]? {
        let n = m.count
        var a = m, inv = identity(n)
        for c in 0..<n {
            guard let p = (c..<n).max(by: { abs(a[$0][c]) < abs(a[$1][c]) }), abs(a[p][c]) > 1e-300 else { return nil }
            a.swapAt(c, p)
            inv.swapAt(c, p)
            let d = a[c][c]
            for j in 0..<n { a[c][j] /= d; inv[c][j] /= d }
            for r in 0..<n where r != c {
                let k = a[r][c]
                if k == 0 { continue }
                for j in 0..<n { a[r][j] -= k * a[c][j]; inv[r][j] -= k * inv[c][j] }
            }
        }
        return inv
    }

    /// Standard errors: square roots of the diagonal of the inverse Hessian of a negative
    /// log-likelihood at its minimum (NaN where the Hessian is singular or not positive).
    public static func standardErrors(negativeLogLikelihood f: ([Double]) -> Double, at x: [Double]) -> [Double] {
        guard let cov = inverse(hessian(f, x)) else { return x.map { _ in .nan } }
        return (0..<x.count).map { cov[$0][$0] > 0 ? cov[$0][$0].squareRoot() : .nan }
    }

    static func identity(_ n: Int) -> [[Double]] { (0..<n).map { i in (0..<n).map { $0 == i ? 1 : 0 } } }
    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
    static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }
}
