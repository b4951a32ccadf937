/// CUPED (Deng, Xu, Kohavi & Walker 2013, "Improving the sensitivity of online controlled
/// experiments by utilizing pre-experiment data", eq. 3-4): Y' = Y - theta (X - mean X) with
/// theta = cov(X, Y) / var(X) over all units of the experiment, pooled across variants. X is
/// measured before randomisation, so it is independent of the assignment: the adjustment leaves
/// each difference of means unbiased and removes the share corr(X, Y)^2 of Y's variance.
/// (The uncertainty of theta itself is neglected, as in the paper; it vanishes as 1/n.)
public struct CUPED: Equatable, Sendable {
    public var theta: Double
    public var covariateMean: Double
    /// 1 - var(Y') / var(Y) over all units.
    public var varianceReduction: Double

    /// nil when the covariate does not vary (theta undefined).
    public static func fit(metric y: [Double], covariate x: [Double]) -> CUPED? {
        precondition(x.count == y.count && !x.isEmpty)
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxx = 0.0, sxy = 0.0, syy = 0.0
        for i in x.indices {
            sxx += (x[i] - mx) * (x[i] - mx)
            sxy += (x[i] - mx) * (y[i] - my)
            syy += (y[i] - my) * (y[i] - my)
        }
        guard sxx > 0 else { return nil }
        let theta = sxy / sxx
        // var(Y') = var(Y) - cov(X, Y)^2 / var(X).
        let reduction = syy > 0 ? (sxy * sxy / sxx) / syy : 0
        return CUPED(theta: theta, covariateMean: mx, varianceReduction: reduction)
    }

    public func adjust(metric y: [Double], covariate x: [Double]) -> [Double] {
        zip(y, x).map { $0 - theta * ($1 - covariateMean) }
    }
}
