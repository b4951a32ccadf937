/// Simulates customers from known BG/NBD and Gamma-Gamma parameters: for recovery tests and the
/// synthetic shop. Each customer uses its own random stream, so results do not depend on order.
public struct BGNBDSimulator: Sendable {
    public var r, alpha, a, b: Double
    /// Gamma-Gamma spend parameters.
    public var p, q, v: Double

    public init(r: Double, alpha: Double, a: Double, b: Double, p: Double = 6, q: Double = 4, v: Double = 15) {
        self.r = r; self.alpha = alpha; self.a = a; self.b = b
        self.p = p; self.q = q; self.v = v
    }

    public struct Customer: Sendable {
        /// Purchase times in weeks from 0 (the first purchase) to at most the observation length.
        public var times: [Double]
        public var spends: [Double]
        public var lambda: Double
        public var dropout: Double
        /// Whether the customer dropped out (right after their last purchase) before the end.
        public var droppedOut: Bool
    }

    /// One customer observed for `weeks` weeks after their first purchase at time 0.
    /// Purchases follow a Poisson process of rate lambda; after each repeat purchase the customer
    /// drops out with probability p (FHL 2005, assumptions i-v).
    public func customer(seed: UInt64, index: UInt64, weeks: Double) -> Customer {
        var rng = SeededRandom(seed: seed, stream: index)
        let lambda = rng.gamma(shape: r, scale: 1 / alpha)
        let dropout = rng.beta(a, b)
        let nu = rng.gamma(shape: q, scale: 1 / v)
        // The first purchase (time 0) never ends a customer's life: in BG/NBD dropout follows
        // repeat purchases only (the likelihood of x = 0 is e^(-lambda T), with no dropout term).
        var times = [0.0], t = 0.0, droppedOut = false
        while true {
            t += rng.exponential(rate: lambda)
            if t > weeks { break }
            times.append(t)
            if rng.bernoulli(dropout) { droppedOut = true; break }
        }
        let spends = times.map { _ in rng.gamma(shape: p, scale: 1 / nu) }
        return Customer(times: times, spends: spends, lambda: lambda, dropout: dropout, droppedOut: droppedOut)
    }
}
