/// Holm's step-down adjustment of p-values for a family of tests (Holm 1979): sort ascending,
/// p_(i) -> max over j <= i of min(1, (m - j + 1) p_(j)). Controls the family-wise error rate at
/// alpha without assuming independence. As statsmodels' `multipletests(method="holm")`.
public enum HolmAdjustment {
    /// The adjusted p-values, in the order given. Ties keep their input order (stable sort), which
    /// does not change any adjusted value.
    public static func adjust(_ p: [Double]) -> [Double] {
        let m = p.count
        let order = p.indices.sorted { (p[$0], $0) < (p[$1], $1) }
        var out = [Double](repeating: 0, count: m)
        var running = 0.0
        for (rank, i) in order.enumerated() {
            running = max(running, min(1, Double(m - rank) * p[i]))
            out[i] = running
        }
        return out
    }
}
